// The registry of every WGSL file, complete by construction: each shader of shaders/ (BuiltinShaderName, generated
// from the folder) is either a primitive of the Backend or a fused kernel, and the two records below are typed over
// that union, so a new .wgsl file that is in neither (or a key that is no file) fails to compile.
//   FUSED_KERNELS      every fused/domain kernel by its one name, which is also its WGSL file (shaders/<name>.wgsl),
//                      the key here, and its test (test/kernels/<name>.test.ts); the definition (launcher, Float64
//                      reference, tolerance) lives beside the model that owns it, and so does the list that registers
//                      it (src/<owner>/kernels/registry.ts), gathered here
//   PRIMITIVE_SHADERS  the generic primitives (matmul, unary, binary, reduce, random, fill, transpose) are the
//                      Backend's own methods: each shader names the module that launches it, its Float64 reference
//                      and the test that holds the two together; WGSL libraries that others include name none
// test/kernel-registry.test.ts checks that every piece named exists.
import type { BuiltinShaderName } from './gpu/shaders.ts';
import type { FusedKernel } from './ops/fused-kernel.ts';
import { NN_KERNELS } from './nn/kernels/registry.ts';
import { MEASUREMENT_KERNELS } from './measurement/kernels/registry.ts';
import { LCD_KERNELS } from './lcd/kernels/registry.ts';
import { METRICS_KERNELS } from './metrics/kernels/registry.ts';
import { CLIPR_KERNELS } from './clipr/kernels/registry.ts';
import { SIM_KERNELS } from './sim/kernels/registry.ts';

/** Where a primitive's pieces are (paths from the repository root); a WGSL library has no launcher of its own. */
export interface PrimitivePieces {
  launcher: string | null;
  reference: string;
  test: string;
}

export const PRIMITIVE_SHADERS = {
  activation: { launcher: null, reference: 'src/reference/kernels.ts', test: 'test/kernels.test.ts' },
  philox: { launcher: null, reference: 'src/reference/philox.ts', test: 'test/philox.test.ts' },
  adamw_elem: { launcher: null, reference: 'src/nn/kernels/adamw.ts', test: 'test/kernels/adamw_vec4.test.ts' },
  ema_step: { launcher: null, reference: 'src/nn/kernels/ema.ts', test: 'test/kernels/ema_vec4.test.ts' },
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

/** Every owner's list (each `src/<owner>/kernels/registry.ts`): a new kernel is added there, beside its launcher,
 *  and nothing here changes; a shader of shaders/ that no list names, or a list entry that is no shader, is an error. */
export const FUSED_KERNELS = {
  ...NN_KERNELS,
  ...MEASUREMENT_KERNELS,
  ...LCD_KERNELS,
  ...METRICS_KERNELS,
  ...CLIPR_KERNELS,
  ...SIM_KERNELS,
} as const satisfies Record<Exclude<BuiltinShaderName, PrimitiveShaderName>, FusedKernel<never>>;

export type FusedKernelName = keyof typeof FUSED_KERNELS;
