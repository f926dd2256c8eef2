// Launcher for zip_sample.wgsl: counts from latent states through the zero-inflated Poisson measurement.
import type { Engine } from '../engine.ts';
import { foldGrid } from '../engine.ts';
import type { GpuTensor } from '../tensor.ts';
import { seedWords } from './random.ts';
import { ShapeError } from '../errors.ts';

const WG = 64;

/** counts[i, g] ~ ZIP(u_g · softplus(states[i, g]), sigmoid(logitPi_g)), from the Philox stream (seed, c1, c2). */
export function zipSample(
  e: Engine,
  states: GpuTensor,
  unitScale: GpuTensor,
  logitPi: GpuTensor,
  seed: number,
  c1 = 0,
  c2 = 0,
): GpuTensor {
  const d = states.shape.at(-1)!;
  if (unitScale.size !== d || logitPi.size !== d)
    throw new ShapeError(
      `zipSample: states have ${d} genes but unit scale ${unitScale.size} and logits ${logitPi.size}`,
    );
  const out = e.empty(states.shape, 'zip-counts');
  const [seedLo, seedHi] = seedWords(seed);
  e.dispatch(
    'zip_sample',
    { WG },
    [states, unitScale, logitPi, out],
    { n: states.size, d, seedLo, seedHi, c1: c1 >>> 0, c2: c2 >>> 0 },
    foldGrid(Math.ceil(states.size / WG)),
  );
  return out;
}

/** ℓ [B×M] in the elementwise form (zip_loglik_direct.wgsl); lgx = lgamma(x + 1) per entry. For benchmarks. */
export function zipLogLikDirect(e: Engine, X: GpuTensor, lgx: GpuTensor, R: GpuTensor, theta: GpuTensor): GpuTensor {
  const [nB, d] = X.shape as [number, number],
    nM = R.shape[0]!;
  const out = e.empty([nB, nM], 'zip-loglik');
  e.dispatch('zip_loglik_direct', { WG }, [X, lgx, R, theta, out], { nB, nM, d }, foldGrid(Math.ceil((nB * nM) / WG)));
  return out;
}
