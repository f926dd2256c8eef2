// Fused kernel `tempered_lse_vjp` (the gradient of the count prior's tempered loss) against the Float64 definition,
// fed the row log-sum-exps the Float64 tempered_lse gives.
import { temperedLseKernel, temperedLseVjpKernel } from '../../src/measurement/kernels/tempered-lse.ts';
import { describeKernel } from '../helpers/conformance.ts';
import { refArray } from '../../src/reference/kernels.ts';
import { ellInput, temperatures } from './tempered-inputs.ts';

const withLse = (B: number, M: number, seed: number, ts: number[]) => {
  const ell = ellInput(B, M, seed),
    t = temperatures(ts);
  const [, lse] = temperedLseKernel.reference(
    [refArray(ell.data, ell.shape), undefined, refArray(t.data, t.shape)],
    {},
  );
  return [ell, t, { data: lse!.data, shape: [...lse!.shape] }, { data: [0.7], shape: [1] }];
};

describeKernel(temperedLseVjpKernel, [
  { label: '16 × 200, T = 1, constants', inputs: withLse(16, 200, 1, [1]), attrs: () => ({}) },
  { label: '70 × 33, T = (1, 20)', inputs: withLse(70, 33, 3, [1, 20]), attrs: () => ({}) },
]);
