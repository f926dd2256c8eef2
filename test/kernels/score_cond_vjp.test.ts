// Fused kernel `score_cond_vjp`: the gradient of score_cond's outputs into its eleven parameters against the Float64
// definition, at the sizes of score_cond's test (ragged table, De below and above H).
import { scoreCondVjpKernel } from '../../src/lcd/kernels/score-cond.ts';
import { describeKernel } from '../helpers/conformance.ts';
import { condVjpInputs } from './score-cond-inputs.ts';

describeKernel(scoreCondVjpKernel, [
  {
    label: '24 rows, H = 128, De = 128, 6 targets',
    inputs: condVjpInputs({ Lc: 24, H: 128, De: 128, G: 6 }, 1),
    attrs: () => ({}),
  },
  {
    label: '30 rows, H = 16, De = 12, 3 targets',
    inputs: condVjpInputs({ Lc: 30, H: 16, De: 12, G: 3 }, 2),
    attrs: () => ({}),
  },
  {
    label: '32 rows, H = 8, De = 40, 1 target',
    inputs: condVjpInputs({ Lc: 32, H: 8, De: 40, G: 1 }, 3),
    attrs: () => ({}),
  },
]);
