// Fused kernel `zip_rates_state_vjp` (the gradient of zip_rates_state) against the Float64 definition, with every
// cotangent (NH's and L's [M×d], the row sums' [M]), with one absent (the kernel then reads it as zero) and with one
// slope shared by every gene (read at stride 0). The gradient itself is checked against finite differences of the likelihood in
// test/measurement-state-zi.test.ts.
import { zipRatesStateVjpKernel } from '../../src/measurement/kernels/zip-rates-state.ts';
import { describeKernel } from '../helpers/conformance.ts';
import { zipInputs, slopes, cotangent } from './zip-inputs.ts';

describeKernel(zipRatesStateVjpKernel, [
  {
    label: 'every cotangent, 64 × 24',
    inputs: [
      ...zipInputs(64, 24, 1),
      slopes(24, 3),
      cotangent(64, 24, 11),
      cotangent(64, 24, 12),
      cotangent(64, 1, 13),
    ],
    attrs: () => ({}),
  },
  {
    label: 'gNH absent, 37 × 7',
    inputs: [...zipInputs(37, 7, 5), slopes(7, 8), undefined, cotangent(37, 7, 14), cotangent(37, 1, 15)],
    attrs: () => ({}),
  },
  {
    label: 'one shared slope, 50 × 9',
    inputs: [...zipInputs(50, 9, 2), slopes(1, 4), cotangent(50, 9, 16), cotangent(50, 9, 17), cotangent(50, 1, 18)],
    attrs: () => ({}),
  },
  {
    label: 'row sums absent, 40 × 6 (H’s cotangent is NH’s alone)',
    inputs: [...zipInputs(40, 6, 3), slopes(6, 9), cotangent(40, 6, 19), cotangent(40, 6, 20), undefined],
    attrs: () => ({}),
  },
]);
