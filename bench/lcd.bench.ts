// LCD benchmarks: DSM training steps/s, sampler particle-steps/s, fused sampler beside the op-by-op path.
import { lcdEmUpdateKernel } from '../src/lcd/kernels/lcd-em-update.ts';
import type { Engine } from '../src/gpu/engine.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { ScoreNet } from '../src/lcd/score-net.ts';
import { AdamW } from '../src/nn/adamw.ts';
import { cosineSchedule } from '../src/gpu/kernels/schedules.ts';
import { dsmStep, type TrainEnv } from '../src/lcd/dsm.ts';
import { outputAtUnfused, emUpdateUnfused } from '../src/lcd/sampler-unfused.ts';
import { N_LEVELS, songScale } from '../src/lcd/schedule.ts';
import { scratchRng } from '../src/reference/rng.ts';
import { record, timeGpu } from './harness.ts';
import { randomStream } from '../src/core/random-streams.ts';

function envsFor(d: number, G: number, cells: number): TrainEnv[] {
  const rng = scratchRng(1);
  return Array.from({ length: 3 }, (_, e) => {
    const w = new Float64Array(G);
    if (e > 0) w[e - 1] = 1;
    return { values: Float32Array.from({ length: cells * d }, () => rng.normal()), cells, weights: w };
  });
}

export async function lcdBenchmarks(e: Engine, quick: boolean): Promise<void> {
  const B = new WebGPUBackend(e);
  const dev = { adapter: e.info.description || e.info.architecture, backend: e.info.backend };
  // --- DSM training step (forward + backward + AdamW, one submit). Sizes: ours at d = 100, the reference's linear
  // d = 100 setting (H 1024, batch 8192) and its Norman size (d = 1000); at d = 100, H = 256 also a batch drawn from
  // 3 environments (envsPerBatch) beside the reference's one, to show what the per-sample injection rows cost.
  const sizes: [number, number, number, number][] = quick
    ? [
        [100, 256, 1024, 1],
        [100, 256, 1024, 3],
      ]
    : [
        [100, 256, 1024, 1],
        [100, 256, 1024, 3],
        [100, 1024, 8192, 1],
        [1000, 1024, 8192, 1],
      ];
  for (const [d, H, batch, envsPerBatch] of sizes) {
    const net = ScoreNet.create(B, { d, H, De: H, G: 8, L: N_LEVELS }, 0);
    const opt = new AdamW(B, net.list(), { schedule: cosineSchedule(1e-3, 1000), weightDecay: 0.3 });
    const envs = envsFor(d, 8, Math.min(batch, 2048));
    let step = 0;
    const big = H * batch >= 1024 * 8192;
    const s = await timeGpu(
      e,
      () =>
        B.scope(() => {
          dsmStep(B, net, opt, envs, batch, 0, step++, envsPerBatch);
        }),
      { targetS: big ? 1 : 1.5, samples: big ? 1 : 3, maxReps: 20 },
    );
    record({ name: 'dsm_train_steps_per_s', value: 1 / s, unit: 'steps/s', d, H, batch, envsPerBatch, ...dev });
    record({ name: 'dsm_train_samples_per_s', value: batch / s, unit: 'samples/s', d, H, batch, envsPerBatch, ...dev });
    [...net.list(), net.sinusoid].forEach((t) => t.dispose());
    opt.dispose();
  }
  // --- sampler: one EM step for E environments × P particles, fused vs op by op
  const [d, H, E, P] = [100, 256, 4, 256];
  const net = ScoreNet.create(B, { d, H, De: H, G: 8, L: N_LEVELS }, 0);
  const { inj1, bias2 } = net.envBiases(
    Array.from({ length: E }, (_, k) => Float64Array.from({ length: 8 }, (_, j) => (j === k ? 1 : 0))),
  );
  const bias1 = net.firstLayerBias(inj1, 15);
  let z = B.randomNormal([E * P, d], randomStream(0, 'scratch'));
  const o = { level: { sigma: 0.5, s: songScale(0.5), alpha: 0.0025 }, noise: true };
  let k = 0;
  const fused = await timeGpu(
    e,
    () => {
      const g = net.outputAt(z, 0.9, bias1, bias2, P);
      B.fused(lcdEmUpdateKernel, [z, g], { ...o, stream: randomStream(1, 'scratch', k++) });
      g.dispose();
    },
    { targetS: 1 },
  );
  const unfused = await timeGpu(
    e,
    () => {
      const next = e.scope(() =>
        emUpdateUnfused(B, z, outputAtUnfused(B, net, z, 0.9, bias1, bias2, P), {
          ...o,
          stream: randomStream(1, 'scratch', k++),
        }),
      );
      z.dispose();
      z = next;
    },
    { targetS: 1 },
  );
  const rows = E * P;
  record({
    name: 'sampler_particle_steps_per_s',
    value: rows / fused,
    unit: 'particle-steps/s',
    d,
    H,
    particles: rows,
    path: 'fused',
    ...dev,
  });
  record({
    name: 'sampler_particle_steps_per_s_opbyop',
    value: rows / unfused,
    unit: 'particle-steps/s',
    d,
    H,
    particles: rows,
    path: 'op-by-op',
    ...dev,
  });
  record({ name: 'sampler_fused_speedup', value: unfused / fused, unit: 'x', d, H, particles: rows, ...dev });
  [...net.list(), net.sinusoid, inj1, bias2, bias1, z].forEach((t) => t.dispose());
}
