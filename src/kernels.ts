// The registry of every WGSL file, complete by construction: each shader of shaders/ (BuiltinShaderName, generated
// from the folder) is either a primitive of the Backend or a fused kernel, and the two records below are typed over
// that union, so a new .wgsl file that is in neither (or a key that is no file) fails to compile.
//   FUSED_KERNELS      every fused/domain kernel by its one name, which is also its WGSL file (shaders/<name>.wgsl),
//                      the key here, and its test (test/kernels/<name>.test.ts); the definition (launcher, Float64
//                      reference, tolerance) lives beside the model that owns it
//   PRIMITIVE_SHADERS  the generic primitives (matmul, unary, binary, reduce, random, fill, transpose) are the
//                      Backend's own methods: each shader names the module that launches it, its Float64 reference
//                      and the test that holds the two together; WGSL libraries that others include name none
// test/kernel-registry.test.ts checks that every piece named exists.
import type { BuiltinShaderName } from './gpu/shaders.ts';
import type { FusedKernel } from './ops/fused-kernel.ts';
import { lcdEmUpdateKernel } from './lcd/kernels/lcd-em-update.ts';
import { lcdLangevinMlpKernel } from './lcd/kernels/lcd-langevin-mlp.ts';
import { adamwKernel } from './nn/kernels/adamw.ts';
import { zipSampleKernel } from './measurement/kernels/zip-sample.ts';
import { zipLogLikDirectKernel } from './measurement/kernels/zip-loglik-direct.ts';
import { pairwiseStatsKernel } from './metrics/kernels/pairwise-stats.ts';
import { choleskyBatchedKernel, luBatchedKernel, trisolveBatchedKernel } from './clipr/kernels/solve.ts';

/** Where a primitive's pieces are (paths from the repository root); a WGSL library has no launcher of its own. */
export interface PrimitivePieces {
  launcher: string | null;
  reference: string;
  test: string;
}

export const PRIMITIVE_SHADERS = {
  activation: { launcher: null, reference: 'src/reference/kernels.ts', test: 'test/kernels.test.ts' },
  philox: { launcher: null, reference: 'src/reference/philox.ts', test: 'test/philox.test.ts' },
  binary: {
    launcher: 'src/gpu/kernels/elementwise.ts',
    reference: 'src/reference/kernels.ts',
    test: 'test/kernels.test.ts',
  },
  unary: {
    launcher: 'src/gpu/kernels/elementwise.ts',
    reference: 'src/reference/kernels.ts',
    test: 'test/kernels.test.ts',
  },
  fill: {
    launcher: 'src/gpu/kernels/elementwise.ts',
    reference: 'src/reference/kernels.ts',
    test: 'test/kernels.test.ts',
  },
  transpose: {
    launcher: 'src/gpu/kernels/elementwise.ts',
    reference: 'src/reference/kernels.ts',
    test: 'test/kernels.test.ts',
  },
  matmul_rowu: {
    launcher: 'src/gpu/kernels/matmul.ts',
    reference: 'src/reference/kernels.ts',
    test: 'test/kernels.test.ts',
  },
  matmul_strided: {
    launcher: 'src/gpu/kernels/matmul.ts',
    reference: 'src/reference/kernels.ts',
    test: 'test/kernels.test.ts',
  },
  matmul_tiled: {
    launcher: 'src/gpu/kernels/matmul.ts',
    reference: 'src/reference/kernels.ts',
    test: 'test/kernels.test.ts',
  },
  reduce: {
    launcher: 'src/gpu/kernels/reduce.ts',
    reference: 'src/reference/kernels.ts',
    test: 'test/kernels.test.ts',
  },
  random_normal: {
    launcher: 'src/gpu/kernels/random.ts',
    reference: 'src/reference/philox.ts',
    test: 'test/philox.test.ts',
  },
} as const satisfies Partial<Record<BuiltinShaderName, PrimitivePieces>>;

export type PrimitiveShaderName = keyof typeof PRIMITIVE_SHADERS;

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
} as const satisfies Record<Exclude<BuiltinShaderName, PrimitiveShaderName>, FusedKernel<never>>;

export type FusedKernelName = keyof typeof FUSED_KERNELS;
