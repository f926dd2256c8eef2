// Fused kernel `trisolve_batched`: triangular solves with 7 right-hand sides on 3 matrices of order 9, for the lower
// and upper parts, transposed or not, with and without a unit diagonal, against Float64 substitution. (The row
// permutation of the LU case is covered by the LU solver in clipr.test.ts.)
import { trisolveBatchedKernel } from '../../src/clipr/kernels/solve.ts';
import { describeKernel } from '../helpers/conformance.ts';
import { spdBatch, rhsBatch } from './solve-fixtures.ts';

const [batch, n, m] = [3, 9, 7];
const inputs = () => [
  { data: spdBatch(batch, n, 5), shape: [batch, n, n] }, // diagonally dominant: every triangle is well conditioned
  { data: rhsBatch(batch, n, m, 6), shape: [batch, n, m] },
];

describeKernel(
  trisolveBatchedKernel,
  (
    [
      { lower: true },
      { lower: true, trans: true },
      { lower: false },
      { lower: false, trans: true },
      { lower: true, unitDiag: true },
    ] as const
  ).map((o) => ({ label: JSON.stringify(o), inputs: inputs(), attrs: () => ({ ...o }) })),
);
