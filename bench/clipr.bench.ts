// CLIPR benchmarks: the final Tikhonov solve at d = k = 1000 on the GPU (f32 Cholesky) beside the f64 CPU
// reference in the same run, with the accuracy of the f32 result; sampler fused vs op-by-op at a small batch.
import type { Engine } from '../src/gpu/engine.ts';
import { solveLinearDriftGpu } from '../src/clipr/solve-gpu.ts';
import { solveLinearDrift } from '../src/clipr/clipr.ts';
import { linearScreen } from '../src/sim/linear.ts';
import { LinearDriftOracle } from '../src/clipr/drift-models.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { ScoreNet } from '../src/lcd/score-net.ts';
import { N_LEVELS, songScale } from '../src/lcd/schedule.ts';
import { record } from './harness.ts';
import { samplerStepSeconds } from './sampler-paths.ts';

export async function cliprBenchmarks(e: Engine, quick: boolean): Promise<void> {
  const dev = { adapter: e.info.description || e.info.architecture, backend: e.info.backend };
  const d = quick ? 200 : 1000;
  const { params } = linearScreen({ d, perturbed: 1, cellsPerEnv: 1, degree: 10, seed: 0 });
  const genes = Array.from({ length: d }, (_, i) => i);
  const r = await new LinearDriftOracle(params).responses(genes);
  const F = new Float64Array(d * d),
    X = new Float64Array(d * d);
  for (let j = 0; j < d; j++)
    for (let i = 0; i < d; i++) {
      F[i * d + j] = r.f0[j]![i]!;
      X[i * d + j] = r.fixedPoints[j + 1]![i]!;
    }
  for (const lambda of [1e-4, 1e-2]) {
    let t0 = performance.now();
    const ref = solveLinearDrift(r.f0, r.fixedPoints.slice(1), d, lambda, 'kxk').A;
    const cpuS = (performance.now() - t0) / 1e3;
    await solveLinearDriftGpu(e, F, X, d, d, lambda); // warm-up (pipeline compiles)
    t0 = performance.now();
    const gpu = await solveLinearDriftGpu(e, F, X, d, d, lambda);
    const gpuS = (performance.now() - t0) / 1e3;
    let num = 0,
      den = 0;
    for (let i = 0; i < d * d; i++) {
      num = Math.max(num, Math.abs(gpu[i]! - ref[i]!));
      den = Math.max(den, Math.abs(ref[i]!));
    }
    record({ name: 'clipr_solve_f64_cpu', value: cpuS, unit: 's', d, k: d, lambda });
    record({ name: 'clipr_solve_f32_gpu', value: gpuS, unit: 's', d, k: d, lambda, ...dev });
    record({ name: 'clipr_solve_f32_rel_error', value: num / den, unit: 'max|ΔA|/max|A|', d, k: d, lambda, ...dev });
  }
  // Sampler at a small batch (CLIPR's probability flow: one particle per query), fused vs op by op.
  const B = new WebGPUBackend(e);
  const [sd, H, E, P] = [100, 256, 32, 1];
  const net = ScoreNet.create(B, { d: sd, H, De: H, G: 8, L: N_LEVELS }, 0);
  const { inj1, bias2 } = net.envBiases(
    Array.from({ length: E }, (_, q) => Float64Array.from({ length: 8 }, (_, j) => (j === q % 8 ? 1 : 0))),
  );
  const bias1 = net.firstLayerBias(inj1, 15);
  const o = { level: { sigma: 0.5, s: songScale(0.5), alpha: 0.0025 }, noise: false };
  const t = await samplerStepSeconds(e, net, { bias1, bias2 }, P, B.full([E * P, sd], 0), o, ['layers', 'op-by-op']);
  const [fused, unfused] = [t.layers!, t['op-by-op']!];
  record({
    name: 'sampler_step_ms_small_batch',
    value: fused * 1e3,
    unit: 'ms/step',
    d: sd,
    H,
    particles: E * P,
    path: 'fused',
    ...dev,
  });
  record({
    name: 'sampler_step_ms_small_batch_opbyop',
    value: unfused * 1e3,
    unit: 'ms/step',
    d: sd,
    H,
    particles: E * P,
    path: 'op-by-op',
    ...dev,
  });
  record({
    name: 'sampler_fused_speedup_small_batch',
    value: unfused / fused,
    unit: 'x',
    d: sd,
    H,
    particles: E * P,
    ...dev,
  });
  [...net.list(), net.sinusoid, inj1, bias2, bias1].forEach((x) => x.dispose());
}
