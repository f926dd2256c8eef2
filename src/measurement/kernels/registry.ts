// The fused kernels `measurement` owns, by their one name (the WGSL file shaders/<name>.wgsl and the test
// test/kernels/<name>.test.ts). A kernel added here is in the registry (src/kernels.ts gathers every owner's list;
// a shader that no owner lists fails to compile there).
import { zipSampleKernel } from './zip-sample.ts';
import { zipLogLikDirectKernel } from './zip-loglik-direct.ts';
import { zipRatesKernel, zipRatesVjpKernel } from './zip-rates.ts';
import { zipRatesStateKernel, zipRatesStateVjpKernel } from './zip-rates-state.ts';
import { temperedLseKernel, temperedLseVjpKernel } from './tempered-lse.ts';
import type { BuiltinShaderName } from '../../gpu/shaders.ts';
import type { FusedKernel } from '../../ops/fused-kernel.ts';

export const MEASUREMENT_KERNELS = {
  zip_sample: zipSampleKernel,
  zip_loglik_direct: zipLogLikDirectKernel,
  zip_rates: zipRatesKernel,
  zip_rates_vjp: zipRatesVjpKernel,
  zip_rates_state: zipRatesStateKernel,
  zip_rates_state_vjp: zipRatesStateVjpKernel,
  tempered_lse: temperedLseKernel,
  tempered_lse_vjp: temperedLseVjpKernel,
} as const satisfies Partial<Record<BuiltinShaderName, FusedKernel<never>>>;
