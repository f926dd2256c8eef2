// Fused kernel `lu_batched`: four general matrices of order 10 (pivoting needed: small diagonal), the packed LU in
// pivot order against the Float64 partial-pivoting LU. The permutation and info codes are checked in clipr.test.ts.
import { luBatchedKernel } from '../../src/clipr/kernels/solve.ts';
import { describeKernel } from '../helpers/conformance.ts';
import { generalBatch } from './solve-fixtures.ts';

describeKernel(luBatchedKernel, [
  {
    label: '4 general matrices of order 10',
    inputs: [{ data: generalBatch(4, 10, 3), shape: [4, 10, 10] }],
    attrs: () => ({}),
  },
]);
