// Fused kernel `tempered_lse` (the count prior's tempered Monte-Carlo loss) against the Float64 definition: one and
// two temperatures, with and without per-cell constants, more rows than the workgroup.
import { temperedLseKernel } from '../../src/measurement/kernels/tempered-lse.ts';
import { describeKernel } from '../helpers/conformance.ts';
import { ellInput, constants, temperatures } from './tempered-inputs.ts';

describeKernel(temperedLseKernel, [
  {
    label: '16 cells × 200 states, T = 1, constants',
    inputs: [ellInput(16, 200, 1), constants(16, 2), temperatures([1])],
    attrs: () => ({}),
  },
  {
    label: '70 cells × 33 states, T = (1, 20), no constants',
    inputs: [ellInput(70, 33, 3), undefined, temperatures([1, 20])],
    attrs: () => ({}),
  },
]);
