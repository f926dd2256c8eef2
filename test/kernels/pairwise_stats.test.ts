// Fused kernel `pairwise_stats`: per-row distance and RBF sums over a Gram block of two samples (and of one sample
// with itself, whose diagonal d² = 0 is included), against the Float64 definition.
import { pairwiseStatsKernel } from '../../src/metrics/kernels/pairwise-stats.ts';
import { mmdBandwidths } from '../../src/metrics/distribution.ts';
import { scratchRng } from '../../src/reference/rng.ts';
import { describeKernel } from '../helpers/conformance.ts';

const rng = scratchRng(4, 2),
  [n, m, d] = [70, 45, 6];
const X = Float64Array.from({ length: n * d }, () => rng.normal()),
  Y = Float64Array.from({ length: m * d }, () => 0.5 + rng.normal());
const gram = (A: Float64Array, a: number, B: Float64Array, b: number) =>
  Float64Array.from({ length: a * b }, (_, k) => {
    const [i, j] = [Math.floor(k / b), k % b];
    let s = 0;
    for (let g = 0; g < d; g++) s += A[i * d + g]! * B[j * d + g]!;
    return s;
  });
const norms = (A: Float64Array, a: number) =>
  Float64Array.from({ length: a }, (_, i) => A.subarray(i * d, (i + 1) * d).reduce((s, v) => s + v * v, 0));
const gammas = mmdBandwidths(d).map((l) => 1 / (2 * l * l));

describeKernel(pairwiseStatsKernel, [
  {
    label: 'X against Y (70 × 45)',
    inputs: [
      { data: gram(X, n, Y, m), shape: [n, m] },
      { data: norms(X, n), shape: [n] },
      { data: norms(Y, m), shape: [m] },
    ],
    attrs: () => ({ gammas }),
  },
  {
    label: 'X against itself (diagonal included)',
    inputs: [
      { data: gram(X, n, X, n), shape: [n, n] },
      { data: norms(X, n), shape: [n] },
      { data: norms(X, n), shape: [n] },
    ],
    attrs: () => ({ gammas }),
  },
]);
