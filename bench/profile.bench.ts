// Where the time goes: one DSM training step and one fused sampler step, every dispatch timed on the device with
// timestamp queries (Engine.startProfile; one compute pass per dispatch, so the totals run a little above an
// unprofiled step). Per kernel: dispatches per step, µs per step and share of the step. Adapters without
// 'timestamp-query' (Dawn's GL ES backend) replay each dispatch alone in its own submit, timed on the CPU (each then
// carries one submit's overhead); the records say which (`timing`).
import type { Engine } from '../src/gpu/engine.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { ScoreNet } from '../src/lcd/score-net.ts';
import { AdamW } from '../src/nn/adamw.ts';
import { cosineSchedule } from '../src/gpu/kernels/schedules.ts';
import { dsmStep, type TrainEnv } from '../src/lcd/dsm.ts';
import { lcdEmUpdateKernel } from '../src/lcd/kernels/lcd-em-update.ts';
import { N_LEVELS, songScale } from '../src/lcd/schedule.ts';
import { scratchRng } from '../src/reference/rng.ts';
import { randomStream } from '../src/core/random-streams.ts';
import { record } from './harness.ts';
import { CountPrior, PRIOR_DEFAULTS } from '../src/measurement/prior.ts';
import { LCD_DEFAULTS } from '../src/lcd/hyperparameters.ts';
import { countScreen } from './measurement.bench.ts';

/** Profile `steps` calls of `step` after `warm` unprofiled ones; per kernel: dispatches and µs per step. */
async function profileSteps(e: Engine, step: (i: number) => void, steps: number, warm = 2) {
  for (let i = 0; i < warm; i++) step(i);
  await e.sync();
  e.startProfile();
  for (let i = 0; i < steps; i++) step(warm + i);
  const rows = await e.stopProfile();
  const by = new Map<string, { n: number; ns: number }>();
  for (const r of rows) {
    const k = by.get(r.shader) ?? { n: 0, ns: 0 };
    k.n++;
    k.ns += r.ns;
    by.set(r.shader, k);
  }
  const total = rows.reduce((a, r) => a + r.ns, 0);
  return [...by]
    .map(([shader, k]) => ({ shader, perStep: k.n / steps, usPerStep: k.ns / steps / 1e3, share: k.ns / total }))
    .sort((a, b) => b.usPerStep - a.usPerStep);
}

export async function profileBenchmarks(e: Engine, quick: boolean): Promise<void> {
  if (e.profileMode === 'replay')
    console.log("profile: the adapter has no 'timestamp-query'; each dispatch is replayed alone and timed on the CPU");
  const B = new WebGPUBackend(e);
  const dev = { adapter: e.info.description || e.info.architecture, backend: e.info.backend };
  const [d, H, batch] = [100, 256, 1024];
  const net = ScoreNet.create(B, { d, H, De: H, G: 8, L: N_LEVELS }, 0);
  const opt = new AdamW(B, net.list(), { schedule: cosineSchedule(1e-3, 1000), weightDecay: 0.3, packed: net.packed });
  const rng = scratchRng(1);
  const envs: TrainEnv[] = Array.from({ length: 3 }, (_, k) => {
    const w = new Float64Array(8);
    if (k > 0) w[k - 1] = 1;
    return { values: Float32Array.from({ length: 2048 * d }, () => rng.normal()), cells: 2048, weights: w };
  });
  const dsm = await profileSteps(
    e,
    (i) =>
      B.scope(() => {
        dsmStep(B, net, opt, envs, batch, 0, i, 1);
      }),
    quick ? 2 : 5,
  );
  for (const r of dsm)
    record({
      name: 'profile_dsm_us_per_step',
      value: r.usPerStep,
      unit: 'µs',
      kernel: r.shader,
      dispatches: r.perStep,
      share: +r.share.toFixed(3),
      timing: e.profileMode,
      d,
      H,
      batch,
      ...dev,
    });
  // the fused sampler step at 1,024 particles (4 environments × 256)
  const [E, P] = [4, 256];
  const { inj1, bias2 } = net.envBiases(
    Array.from({ length: E }, (_, k) => Float64Array.from({ length: 8 }, (_, j) => (j === k ? 1 : 0))),
  );
  const bias1 = net.firstLayerBias(inj1, 15);
  const z = B.randomNormal([E * P, d], randomStream(0, 'scratch'));
  const level = { sigma: 0.5, s: songScale(0.5), alpha: 0.0025 };
  const sampler = await profileSteps(
    e,
    (i) => {
      const g = net.outputAt(z, level.s, bias1, bias2, P);
      B.fused(lcdEmUpdateKernel, [z, g], { level, noise: true, stream: randomStream(1, 'scratch', i) });
      g.dispose();
    },
    quick ? 5 : 20,
  );
  for (const r of sampler)
    record({
      name: 'profile_sampler_us_per_step',
      value: r.usPerStep,
      unit: 'µs',
      kernel: r.shader,
      dispatches: r.perStep,
      share: +r.share.toFixed(3),
      timing: e.profileMode,
      d,
      H,
      particles: E * P,
      ...dev,
    });
  [...net.list(), net.sinusoid, inj1, bias2, bias1, z].forEach((t) => t.dispose());
  opt.dispose();
  await profilePrior(e, quick, dev);
}

/** Milliseconds per step of the two stages of a default fit at the size of the README's count screens (60 genes, 17
 *  training environments of 300 cells, the defaults' generator, Monte-Carlo states and batch; H = 128, batch 512),
 *  unprofiled, `steps` of each after a warm-up; and the prior step's dispatches per kernel (Engine.dispatchesByShader).
 *  Also run alone in a child process by the threads suite (threads-child.ts). */
export async function fitStageMs(e: Engine, steps: number) {
  const B = new WebGPUBackend(e);
  const [d, nEnv, cells] = [60, 17, 300];
  const screen = countScreen(d, cells, 2, nEnv);
  (await new CountPrior(B, { steps: 3 }).fit(screen)).dispose(); // pipelines compiled
  await e.sync();
  const before = e.dispatchesByShader();
  let t0 = performance.now();
  (await new CountPrior(B, { steps }).fit(screen)).dispose();
  await e.sync();
  const priorMs = (performance.now() - t0) / steps;
  const after = e.dispatchesByShader();
  const perKernel = [...after]
    .map(([shader, n]) => ({ shader, perStep: (n - (before.get(shader) ?? 0)) / steps }))
    .filter((k) => k.perStep > 0)
    .sort((a, b) => b.perStep - a.perStep);
  // the DSM step of the same fit: H = 128, batch 512, one target per environment
  const H = LCD_DEFAULTS.hidden,
    net = ScoreNet.create(B, { d, H, De: H, G: nEnv - 1, L: N_LEVELS }, 0);
  const opt = new AdamW(B, net.list(), { schedule: cosineSchedule(1e-3, 1000), weightDecay: 0.01, packed: net.packed });
  const envs: TrainEnv[] = screen.envs.map((x, k) => {
    const w = new Float64Array(nEnv - 1);
    if (k > 0) w[k - 1] = 1;
    return { values: Float32Array.from(x.values, (v) => Math.log1p(v)), cells, weights: w };
  });
  // the default fit's step: its batch and its trained levels
  const dsm = (i: number) =>
    B.scope(() => void dsmStep(B, net, opt, envs, LCD_DEFAULTS.batchSize, 0, i, 1, null, LCD_DEFAULTS.trainLevels));
  for (let i = 0; i < 3; i++) (dsm(i), B.flush());
  await e.sync();
  t0 = performance.now();
  for (let i = 0; i < steps; i++) (dsm(3 + i), B.flush());
  await e.sync();
  const dsmMs = (performance.now() - t0) / steps;
  [...net.list(), net.sinusoid].forEach((t) => t.dispose());
  opt.dispose();
  return { priorMs, dsmMs, perKernel, d, H, environments: nEnv };
}

/** The two stages of a default fit side by side (fitStageMs): ms per step of each, each stage's share of a default
 *  fit (PRIOR_DEFAULTS.steps prior steps, LCD_DEFAULTS.steps DSM steps), the prior step's dispatches per kernel. */
async function profilePrior(e: Engine, quick: boolean, dev: Record<string, string>): Promise<void> {
  const { priorMs, dsmMs, perKernel, d, H, environments } = await fitStageMs(e, quick ? 10 : 40);
  const priorS = (priorMs * PRIOR_DEFAULTS.steps) / 1e3,
    dsmS = (dsmMs * LCD_DEFAULTS.steps) / 1e3;
  const dispatches = perKernel.reduce((a, k) => a + k.perStep, 0);
  record({ name: 'profile_prior_ms_per_step', value: priorMs, unit: 'ms', dispatches, d, environments, ...dev });
  record({
    name: 'profile_fit_dsm_ms_per_step',
    value: dsmMs,
    unit: 'ms',
    d,
    H,
    batch: LCD_DEFAULTS.batchSize,
    ...dev,
  });
  record({
    name: 'profile_fit_prior_share',
    value: priorS / (priorS + dsmS),
    unit: 'fraction',
    priorSteps: PRIOR_DEFAULTS.steps,
    dsmSteps: LCD_DEFAULTS.steps,
    priorS: +priorS.toFixed(1),
    dsmS: +dsmS.toFixed(1),
    ...dev,
  });
  for (const k of perKernel)
    record({ name: 'profile_prior_dispatches', value: k.perStep, unit: 'dispatches/step', kernel: k.shader, ...dev });
}
