// Fused kernel `adamw` (shaders/adamw.wgsl): one AdamW step in place (optax.adamw semantics, decoupled weight decay
// multiplied by the learning rate), with optional global-norm clipping read from a device buffer (‖g‖² from a
// reduce, so no readback). Test: test/kernels/adamw.test.ts. `adamw_vec4` (shaders/adamw_vec4.wgsl) is the same step
// four elements per invocation, for tensors whose length is a multiple of 4 (the packed parameters): vector loads,
// each element's arithmetic shared with adamw.wgsl (shaders/adamw_elem.wgsl), so the same bits (tested).
// Test: test/kernels/adamw_vec4.test.ts.
import type { Engine } from '../../gpu/engine.ts';
import { foldGrid } from '../../gpu/grid.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import type { RefArray } from '../../reference/kernels.ts';
import { input, type FusedKernel } from '../../ops/fused-kernel.ts';

const WG = 64;

export interface AdamWHyper {
  lr: number;
  b1: number;
  b2: number;
  eps: number;
  weightDecay: number;
  step: number;
  maxGradNorm?: number;
}

/** Bias-correction terms 1 − βᵗ for step t (1-based). */
export function biasCorrections(h: AdamWHyper): { bc1: number; bc2: number } {
  return { bc1: 1 - Math.pow(h.b1, h.step), bc2: 1 - Math.pow(h.b2, h.step) };
}

/** The GPU step: param, m, v updated in place from grad (and ‖grad‖² when clipping); `vec4`: four elements per
 *  invocation (adamw_vec4.wgsl; the length must be a multiple of 4). */
export function adamwStep(
  e: Engine,
  param: GpuTensor,
  grad: GpuTensor,
  m: GpuTensor,
  v: GpuTensor,
  h: AdamWHyper,
  gradNormSq?: GpuTensor,
  vec4 = false,
): void {
  const { bc1, bc2 } = biasCorrections(h);
  if (vec4 && param.size % 4 !== 0)
    throw new Error(`adamw_vec4: ${param.size} parameters, not a multiple of 4 (use adamw)`);
  const n = vec4 ? param.size / 4 : param.size;
  // With b1 = 0 (the measurement model's optimiser) bc1 = 1: m is just g.
  e.dispatch(
    vec4 ? 'adamw_vec4' : 'adamw',
    { WG },
    [grad, gradNormSq ?? null, param, m, v],
    {
      n,
      lr: h.lr,
      b1: h.b1,
      b2: h.b2,
      eps: h.eps,
      wd: h.weightDecay,
      bc1: bc1 === 0 ? 1 : bc1,
      bc2,
      maxNorm: gradNormSq ? (h.maxGradNorm ?? 0) : 0,
    },
    foldGrid(Math.ceil(n / WG)),
  );
}

/** The Float64 definition, same argument order; `gradNormSq` is ‖grad‖² as a number. */
export function adamwReference(
  param: RefArray,
  grad: RefArray,
  m: RefArray,
  v: RefArray,
  h: AdamWHyper,
  gradNormSq?: number,
): void {
  const bc1 = 1 - Math.pow(h.b1, h.step) || 1,
    bc2 = 1 - Math.pow(h.b2, h.step);
  let clip = 1;
  if (gradNormSq !== undefined && (h.maxGradNorm ?? 0) > 0) {
    const nrm = Math.sqrt(gradNormSq);
    if (nrm > h.maxGradNorm!) clip = h.maxGradNorm! / nrm;
  }
  for (let i = 0; i < param.data.length; i++) {
    const g = grad.data[i]! * clip;
    const mi = h.b1 * m.data[i]! + (1 - h.b1) * g;
    const vi = h.b2 * v.data[i]! + (1 - h.b2) * g * g;
    m.data[i] = mi;
    v.data[i] = vi;
    param.data[i] = param.data[i]! - h.lr * (mi / bc1 / (Math.sqrt(vi / bc2) + h.eps) + h.weightDecay * param.data[i]!);
  }
}

/** The launcher of both kernels: `vec4` picks adamw_vec4.wgsl. */
function adamwLauncher(vec4: boolean): FusedKernel<AdamWHyper>['gpu'] {
  return function (this: FusedKernel<AdamWHyper>, e, xs, h) {
    const [p, g, m, v] = [0, 1, 2, 3].map((i) => input(this, xs, i));
    adamwStep(e, p!, g!, m!, v!, h, xs[4], vec4);
    return [p!, m!, v!];
  };
}

export const adamwKernel: FusedKernel<AdamWHyper> = {
  name: 'adamw',
  inputs: ['param (updated)', 'grad', 'm (updated)', 'v (updated)', 'gradNormSq [1] (optional: clipping)'],
  outputs: ['param', 'm', 'v'],
  summary: 'one AdamW step in place with bias correction and optional global-norm clipping',
  tolerance: { atol: 1e-6, rtol: 1e-5 },
  gpu: adamwLauncher(false),
  reference(xs, h) {
    const [p, g, m, v] = [0, 1, 2, 3].map((i) => input(this, xs, i));
    adamwReference(p!, g!, m!, v!, h, xs[4]?.data[0]);
    return [p!, m!, v!];
  },
};

/** adamw four elements per invocation: the same inputs, outputs and reference; lengths a multiple of 4. */
export const adamwVec4Kernel: FusedKernel<AdamWHyper> = {
  ...adamwKernel,
  name: 'adamw_vec4',
  summary: 'adamw with four elements per invocation (vector loads; lengths a multiple of 4), the same bits',
  gpu: adamwLauncher(true),
};
