// Fused kernel `zip_rates_state` (the count prior's rate terms under a state-dependent zero inflation) against the
// Float64 definition, slopes of both signs, d not a multiple of the workgroup, one slope shared by every gene.
import { zipRatesStateKernel } from '../../src/measurement/kernels/zip-rates-state.ts';
import { describeKernel } from '../helpers/conformance.ts';
import { zipInputs, slopes } from './zip-inputs.ts';

describeKernel(zipRatesStateKernel, [
  { label: '64 states × 24 genes', inputs: [...zipInputs(64, 24, 1), slopes(24, 3)], attrs: () => ({}) },
  { label: '37 states × 7 genes', inputs: [...zipInputs(37, 7, 5), slopes(7, 8)], attrs: () => ({}) },
  { label: '50 states × 9 genes, one shared slope', inputs: [...zipInputs(50, 9, 2), slopes(1, 4)], attrs: () => ({}) },
]);
