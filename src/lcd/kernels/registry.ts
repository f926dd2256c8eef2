// The fused kernels `lcd` owns, by their one name (the WGSL file shaders/<name>.wgsl and the test
// test/kernels/<name>.test.ts). A kernel added here is in the registry (src/kernels.ts gathers every owner's list;
// a shader that no owner lists fails to compile there).
import { dsmInputsKernel } from './dsm-inputs.ts';
import { lcdEmUpdateKernel } from './lcd-em-update.ts';
import { lcdLangevinMlpKernel } from './lcd-langevin-mlp.ts';
import { scoreCondKernel, scoreCondVjpKernel } from './score-cond.ts';
import type { BuiltinShaderName } from '../../gpu/shaders.ts';
import type { FusedKernel } from '../../ops/fused-kernel.ts';

export const LCD_KERNELS = {
  dsm_inputs: dsmInputsKernel,
  lcd_em_update: lcdEmUpdateKernel,
  lcd_langevin_mlp: lcdLangevinMlpKernel,
  score_cond: scoreCondKernel,
  score_cond_vjp: scoreCondVjpKernel,
} as const satisfies Partial<Record<BuiltinShaderName, FusedKernel<never>>>;
