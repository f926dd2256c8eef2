// Fused kernel `zip_rates` (the count prior's rate terms) against the Float64 definition, d not a multiple of the
// workgroup.
import { zipRatesKernel } from '../../src/measurement/kernels/zip-rates.ts';
import { describeKernel } from '../helpers/conformance.ts';
import { zipInputs } from './zip-inputs.ts';

describeKernel(zipRatesKernel, [
  { label: '64 states × 24 genes', inputs: zipInputs(64, 24, 1), attrs: () => ({}) },
  { label: '37 states × 7 genes', inputs: zipInputs(37, 7, 5), attrs: () => ({}) },
]);
