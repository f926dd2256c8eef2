// The registry of fused kernels: every fused/domain kernel by its one name, which is also its WGSL file
// (shaders/<name>.wgsl), the key here, and its test (test/kernels/<name>.test.ts); the definition (launcher,
// Float64 reference, tolerance) lives beside the model that owns it. test/kernel-registry.test.ts checks that the
// four pieces exist for every entry. The generic primitives (matmul, unary, binary, reduce, random, fill,
// transpose) are the Backend's own methods and live in src/gpu/kernels with their references in src/reference.
import type { BuiltinShaderName } from './gpu/shaders.ts';
import type { FusedKernel } from './ops/fused-kernel.ts';
import { lcdEmUpdateKernel } from './lcd/kernels/lcd-em-update.ts';
import { lcdLangevinMlpKernel } from './lcd/kernels/lcd-langevin-mlp.ts';
import { adamwKernel } from './nn/kernels/adamw.ts';
import { zipSampleKernel } from './measurement/kernels/zip-sample.ts';
import { zipLogLikDirectKernel } from './measurement/kernels/zip-loglik-direct.ts';
import { pairwiseStatsKernel } from './metrics/kernels/pairwise-stats.ts';
import { choleskyBatchedKernel, luBatchedKernel, trisolveBatchedKernel } from './clipr/kernels/solve.ts';

export const FUSED_KERNELS = {
  lcd_em_update: lcdEmUpdateKernel,
  lcd_langevin_mlp: lcdLangevinMlpKernel,
  adamw: adamwKernel,
  zip_sample: zipSampleKernel,
  zip_loglik_direct: zipLogLikDirectKernel,
  pairwise_stats: pairwiseStatsKernel,
  cholesky_batched: choleskyBatchedKernel,
  lu_batched: luBatchedKernel,
  trisolve_batched: trisolveBatchedKernel,
} as const satisfies Partial<Record<BuiltinShaderName, FusedKernel<never>>>;

export type FusedKernelName = keyof typeof FUSED_KERNELS;
