// Measurement-model benchmarks: generator-fit steps/s at the reference size (d = 1000, 20,000 Monte-Carlo states,
// batch 64) and at a size that trains in minutes here, and the ZIP log-likelihood matrix in the GEMM form beside the
// elementwise WGSL kernel and the Float64 CPU definition, in the same run.
import type { Engine } from '../src/gpu/engine.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { Tape } from '../src/ops/tape.ts';
import { CountPrior } from '../src/measurement/prior.ts';
import { countBatchConstants, zipLogLikGemm, zipLogLikRef } from '../src/measurement/likelihood.ts';
import { logFactorial } from '../src/reference/scalar.ts';
import { zipLogLikDirect } from '../src/measurement/kernels/zip-loglik-direct.ts';
import { poisson } from '../src/sim/counts.ts';
import { scratchRng } from '../src/reference/rng.ts';
import { record, timeGpu, timeCpu } from './harness.ts';

/** A count screen of `envs` environments (the control first, then one single per gene g1, g2, …) of n cells each:
 *  zero-inflated Poisson counts (π = 0.3, rates 2–5), drawn in order from one generator. */
export function countScreen(d: number, n: number, seed: number, envs = 1) {
  const rng = scratchRng(seed);
  return {
    genes: Array.from({ length: d }, (_, g) => `g${g}`),
    kind: 'counts' as const,
    envs: Array.from({ length: envs }, (_, k) => ({
      name: k ? `g${k}` : 'ctrl',
      targets: k ? [`g${k}`] : [],
      values: Float32Array.from({ length: n * d }, () =>
        rng.uniform() < 0.3 ? 0 : poisson(2 + 3 * rng.uniform(), rng),
      ),
      cells: n,
    })),
  };
}

export async function measurementBenchmarks(e: Engine, quick: boolean): Promise<void> {
  const dev = { adapter: e.info.description || e.info.architecture, backend: e.info.backend };
  const B = new WebGPUBackend(e);
  const sizes: [string, number, number, number][] = quick
    ? [['small', 100, 1024, 64]]
    : [
        ['small', 100, 1024, 64],
        ['reference', 1000, 20000, 64],
      ];
  for (const [label, d, M, nB] of sizes) {
    const steps = label === 'reference' ? 3 : 30;
    const screen = countScreen(d, 500, 1);
    await new CountPrior(B, { steps: 2, mcSamples: M, batchSize: nB }).fit(screen); // warm-up: pipelines compile
    const t0 = performance.now();
    const p = await new CountPrior(B, {
      steps,
      mcSamples: M,
      batchSize: nB,
      generator: label === 'reference' ? { latent: 64, layers: 4, wide: 256, wideLayers: 2 } : undefined,
    }).fit(screen);
    const s = (performance.now() - t0) / 1e3;
    p.dispose();
    record({
      name: `prior_fit_${label}`,
      value: steps / s,
      unit: 'steps/s',
      genes: d,
      mcSamples: M,
      batch: nB,
      ...dev,
    });
  }
  // log-likelihood matrix: GEMM form vs elementwise kernel vs f64 CPU
  const [d, M, nB] = quick ? [200, 1000, 64] : [1000, 4000, 64];
  const rng = scratchRng(2);
  const X = Float32Array.from({ length: nB * d }, () => (rng.uniform() < 0.4 ? 0 : poisson(3, rng)));
  const R = Float32Array.from({ length: M * d }, () => 0.1 + 5 * rng.uniform()),
    theta = Float32Array.from({ length: d }, () => rng.normal());
  const k = countBatchConstants(X, nB, d);
  const xs = e.upload(X, [nB, d]),
    z = e.upload(k.Z, [nB, d]),
    nz = e.upload(k.NZ, [nB, d]),
    lg = e.upload(Float32Array.from(k.lgammaSum), [nB, 1]);
  const r = e.upload(R, [M, d]),
    th = e.upload(theta, [1, d]),
    lgx = e.upload(Float32Array.from(X, logFactorial), [nB, d]);
  const gemmS = await timeGpu(e, () => {
    e.scope(() => {
      const tape = new Tape(B);
      zipLogLikGemm(
        tape,
        { X: tape.constant(xs), Z: tape.constant(z), NZ: tape.constant(nz), lgammaSum: tape.constant(lg) },
        tape.constant(r),
        tape.constant(th),
      );
    });
  });
  const directS = await timeGpu(e, () => {
    e.scope(() => {
      zipLogLikDirect(e, xs, lgx, r, th);
    });
  });
  const sub = 64; // the f64 CPU definition on a slice of the states (it is O(B·M·d) scalar work)
  const cpuS =
    timeCpu(() => {
      zipLogLikRef(X, nB, R.subarray(0, sub * d), sub, theta, d);
    }) *
    (M / sub);
  [xs, z, nz, lg, r, th, lgx].forEach((t) => t.dispose());
  const shape = { cells: nB, states: M, genes: d };
  record({ name: 'zip_loglik_gemm', value: gemmS * 1e3, unit: 'ms', ...shape, ...dev });
  record({ name: 'zip_loglik_elementwise_wgsl', value: directS * 1e3, unit: 'ms', ...shape, ...dev });
  record({ name: 'zip_loglik_f64_cpu', value: cpuS * 1e3, unit: 'ms', ...shape, extrapolatedFrom: sub });
  record({ name: 'zip_loglik_gemm_vs_elementwise', value: directS / gemmS, unit: 'x', ...shape, ...dev });
}
