// Fused kernel `cholesky_batched`: five well-conditioned SPD matrices of order 12 (A = M Mᵀ + n·I), the factor L
// against the Float64 Cholesky, upper triangle zero.
import { choleskyBatchedKernel } from '../../src/clipr/kernels/solve.ts';
import { describeKernel } from '../helpers/conformance.ts';
import { spdBatch } from './solve-fixtures.ts';

describeKernel(choleskyBatchedKernel, [
  {
    label: '5 SPD matrices of order 12',
    inputs: [{ data: spdBatch(5, 12, 1), shape: [5, 12, 12] }],
    attrs: () => ({}),
  },
  {
    label: 'one SPD matrix of order 33 (more rows than a workgroup row block)',
    inputs: [{ data: spdBatch(1, 33, 2), shape: [33, 33] }],
    attrs: () => ({}),
  },
]);
