// The fused kernels `nn` owns, by their one name (the WGSL file shaders/<name>.wgsl and the test
// test/kernels/<name>.test.ts). A kernel added here is in the registry (src/kernels.ts gathers every owner's list;
// a shader that no owner lists fails to compile there).
import { adamwKernel, adamwVec4Kernel } from './adamw.ts';
import { emaKernel, emaVec4Kernel } from './ema.ts';
import type { BuiltinShaderName } from '../../gpu/shaders.ts';
import type { FusedKernel } from '../../ops/fused-kernel.ts';

export const NN_KERNELS = {
  adamw: adamwKernel,
  adamw_vec4: adamwVec4Kernel,
  ema: emaKernel,
  ema_vec4: emaVec4Kernel,
} as const satisfies Partial<Record<BuiltinShaderName, FusedKernel<never>>>;
