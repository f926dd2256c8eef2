// Fused kernel `zip_rates_vjp` (the gradient of zip_rates) against the Float64 definition, with every cotangent and
// with one absent (the kernel then reads it as zero).
import { zipRatesVjpKernel } from '../../src/measurement/kernels/zip-rates.ts';
import { describeKernel } from '../helpers/conformance.ts';
import { zipInputs, cotangent } from './zip-inputs.ts';

describeKernel(zipRatesVjpKernel, [
  {
    label: 'every cotangent, 64 × 24',
    inputs: [...zipInputs(64, 24, 1), cotangent(64, 24, 11), cotangent(64, 24, 12), cotangent(64, 24, 13)],
    attrs: () => ({}),
  },
  {
    label: 'gR absent, 37 × 7',
    inputs: [...zipInputs(37, 7, 5), undefined, cotangent(37, 7, 14), cotangent(37, 7, 15)],
    attrs: () => ({}),
  },
]);
