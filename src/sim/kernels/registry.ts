// The fused kernels `sim` owns, by their one name (the WGSL file shaders/<name>.wgsl and the test
// test/kernels/<name>.test.ts); src/kernels.ts gathers this list with the other owners'.
import { hopfieldEmKernel } from './hopfield-em.ts';
import type { BuiltinShaderName } from '../../gpu/shaders.ts';
import type { FusedKernel } from '../../ops/fused-kernel.ts';

export const SIM_KERNELS = {
  hopfield_em: hopfieldEmKernel,
} as const satisfies Partial<Record<BuiltinShaderName, FusedKernel<never>>>;
