// The fused kernels `metrics` owns, by their one name (the WGSL file shaders/<name>.wgsl and the test
// test/kernels/<name>.test.ts). A kernel added here is in the registry (src/kernels.ts gathers every owner's list;
// a shader that no owner lists fails to compile there).
import { pairwiseStatsKernel } from './pairwise-stats.ts';
import type { BuiltinShaderName } from '../../gpu/shaders.ts';
import type { FusedKernel } from '../../ops/fused-kernel.ts';

export const METRICS_KERNELS = {
  pairwise_stats: pairwiseStatsKernel,
} as const satisfies Partial<Record<BuiltinShaderName, FusedKernel<never>>>;
