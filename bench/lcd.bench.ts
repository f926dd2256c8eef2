// LCD benchmarks: DSM training steps/s (and, at the built-in screen's size, the fused conditioning against its separate
// products); sampler particle-steps/s on the layer path, the one-dispatch network kernel and the op-by-op path.
import type { Engine } from '../src/gpu/engine.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { ScoreNet } from '../src/lcd/score-net.ts';
import { AdamW } from '../src/nn/adamw.ts';
import { cosineSchedule } from '../src/gpu/kernels/schedules.ts';
import { dsmStep, type TrainEnv } from '../src/lcd/dsm.ts';
import { N_LEVELS, songScale } from '../src/lcd/schedule.ts';
import { scratchRng } from '../src/reference/rng.ts';
import { record, timeGpu } from './harness.ts';
import { samplerStepSeconds } from './sampler-paths.ts';
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
    const opt = new AdamW(B, net.list(), {
      schedule: cosineSchedule(1e-3, 1000),
      weightDecay: 0.3,
      packed: net.packed,
    });
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
  // --- the fused conditioning (score_cond, score_cond_vjp) against its separate products, at the built-in screen's
  // size (d = 24, H = 128, batch 512, one environment per batch), each step flushed as a fit does, alternated three
  // times in this process (the two give the same bits; ScoreNet.fuseConditioning picks the path).
  {
    const net = ScoreNet.create(B, { d: 24, H: 128, De: 128, G: 8, L: N_LEVELS }, 0);
    const opt = new AdamW(B, net.list(), {
      schedule: cosineSchedule(1e-3, 1000),
      weightDecay: 0.01,
      packed: net.packed,
    });
    const envs = envsFor(24, 8, 512);
    let step = 0;
    const per: Record<'fused' | 'separate', number[]> = { fused: [], separate: [] };
    for (let round = 0; round < 3; round++)
      for (const path of ['separate', 'fused'] as const) {
        net.fuseConditioning = path === 'fused';
        per[path].push(
          await timeGpu(
            e,
            () => {
              B.scope(() => void dsmStep(B, net, opt, envs, 512, 0, step++, 1, null, 23));
              B.flush();
            },
            { targetS: quick ? 0.5 : 1, samples: 1, maxReps: 400 },
          ),
        );
      }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
    const common = { d: 24, H: 128, batch: 512, envsPerBatch: 1, ...dev };
    record({ name: 'dsm_train_steps_per_s_builtin', value: 1 / med(per.fused), unit: 'steps/s', ...common });
    record({
      name: 'dsm_conditioning_fused_speedup',
      value: med(per.separate) / med(per.fused),
      unit: 'x',
      ...common,
    });
    [...net.list(), net.sinusoid].forEach((t) => t.dispose());
    opt.dispose();
  }
  // --- sampler steps for E environments × P particles on three paths: 'layers' (3 matmuls with fused epilogues +
  // the fused update: 4 dispatches per step), 'network' (lcd_langevin_mlp: a level's 20 steps in one dispatch, the
  // network in workgroup memory) and op by op (separate primitives: the comparison point); at 1,024 particles
  // (compute-bound) and 64 (dispatch-bound). `sampler_particle_steps_per_s` (what the peers compare with) is the
  // faster of the two library paths, the one the sampler's 'auto' measurement would pick.
  const [d, H, E] = [100, 256, 4];
  const net = ScoreNet.create(B, { d, H, De: H, G: 8, L: N_LEVELS }, 0);
  const { inj1, bias2 } = net.envBiases(
    Array.from({ length: E }, (_, k) => Float64Array.from({ length: 8 }, (_, j) => (j === k ? 1 : 0))),
  );
  const bias1 = net.firstLayerBias(inj1, 15);
  const o = { level: { sigma: 0.5, s: songScale(0.5), alpha: 0.0025 }, noise: true };
  const perDispatch = 20;
  for (const rows of quick ? [1024] : [1024, 64]) {
    const z = B.randomNormal([rows, d], randomStream(0, 'scratch'));
    const t = await samplerStepSeconds(
      e,
      net,
      { bias1, bias2 },
      rows / E,
      z,
      o,
      ['layers', 'network', 'op-by-op'],
      perDispatch,
    );
    const [layers, network, unfused] = [t.layers!, t.network!, t['op-by-op']!];
    const common = { unit: 'particle-steps/s', d, H, particles: rows, ...dev };
    record({ name: 'sampler_particle_steps_per_s_layers', value: rows / layers, path: 'layers', ...common });
    record({
      name: 'sampler_particle_steps_per_s_network',
      value: rows / network,
      path: `network kernel, ${perDispatch} steps per dispatch`,
      ...common,
    });
    record({ name: 'sampler_particle_steps_per_s_opbyop', value: rows / unfused, path: 'op-by-op', ...common });
    const best = Math.min(layers, network);
    record({
      name: 'sampler_particle_steps_per_s',
      value: rows / best,
      path: best === network ? 'network' : 'layers',
      ...common,
    });
    record({ name: 'sampler_network_vs_layers', value: layers / network, unit: 'x', d, H, particles: rows, ...dev });
    record({ name: 'sampler_fused_speedup', value: unfused / best, unit: 'x', d, H, particles: rows, ...dev });
  }
  [...net.list(), net.sinusoid, inj1, bias2, bias1].forEach((t) => t.dispose());
}
