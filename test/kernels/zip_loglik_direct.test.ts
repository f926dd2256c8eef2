// Fused kernel `zip_loglik_direct`: the elementwise ZIP log-likelihood of 24 count cells under 16 rate states
// against the Float64 definition (zipLogLikRef), relative 1e-5.
import { zipLogLikDirectKernel } from '../../src/measurement/kernels/zip-loglik-direct.ts';
import { logFactorial } from '../../src/reference/scalar.ts';
import { scratchRng } from '../../src/reference/rng.ts';
import { describeKernel } from '../helpers/conformance.ts';

const rng = scratchRng(9, 1),
  [B, M, d] = [24, 16, 12];
const X = Float64Array.from({ length: B * d }, () => (rng.uniform() < 0.3 ? 0 : Math.floor(rng.uniform() * 20)));
const R = Float64Array.from({ length: M * d }, () => 0.05 + 15 * rng.uniform());
const theta = Float64Array.from({ length: d }, () => 2 * rng.normal());

describeKernel(zipLogLikDirectKernel, [
  {
    label: '24 cells × 16 states × 12 genes, 30 % zeros',
    inputs: [
      { data: X, shape: [B, d] },
      { data: Float64Array.from(X, logFactorial), shape: [B, d] },
      { data: R, shape: [M, d] },
      { data: theta, shape: [d] },
    ],
    attrs: () => ({}),
  },
]);
