// Fused kernel `ema` (shaders/ema.wgsl): one step of an exponential moving average of parameters in place,
// avg ← β·avg + (1 − β)·param, over one buffer (a packed parameter buffer: every parameter in one dispatch).
// Test: test/kernels/ema.test.ts. `ema_vec4` (shaders/ema_vec4.wgsl) is the same step four elements per invocation,
// for lengths that are a multiple of 4 (the packed parameters); both include shaders/ema_step.wgsl, so the same bits
// (tested). Test: test/kernels/ema_vec4.test.ts.
import { foldGrid } from '../../gpu/grid.ts';
import { sizeOf } from '../../gpu/tensor.ts';
import { ShapeError } from '../../core/errors.ts';
import { input, type FusedKernel } from '../../ops/fused-kernel.ts';

const WG = 64;

export interface EmaAttrs {
  /** This step's decay β ∈ [0, 1). */
  decay: number;
}

function check(avg: { shape: readonly number[] }, param: { shape: readonly number[] }, decay: number) {
  if (sizeOf(avg.shape) !== sizeOf(param.shape))
    throw new ShapeError(
      `ema: average [${avg.shape.join('×')}] and parameters [${param.shape.join('×')}] differ in size`,
    );
  if (!(decay >= 0 && decay < 1)) throw new RangeError(`ema: the decay must be in [0, 1), got ${decay}`);
}

/** The GPU step, one element per invocation or (`vec4`, ema_vec4.wgsl: lengths a multiple of 4) four. */
function emaLauncher(vec4: boolean): FusedKernel<EmaAttrs>['gpu'] {
  return function (this: FusedKernel<EmaAttrs>, e, xs, o) {
    const avg = input(this, xs, 0),
      param = input(this, xs, 1);
    check(avg, param, o.decay);
    if (vec4 && avg.size % 4 !== 0) throw new ShapeError(`ema_vec4: ${avg.size} values, not a multiple of 4 (use ema)`);
    const n = vec4 ? avg.size / 4 : avg.size;
    e.dispatch(vec4 ? 'ema_vec4' : 'ema', { WG }, [param, avg], { n, decay: o.decay }, foldGrid(Math.ceil(n / WG)));
    return [avg];
  };
}

export const emaKernel: FusedKernel<EmaAttrs> = {
  name: 'ema',
  inputs: ['avg (updated)', 'param'],
  outputs: ['avg'],
  summary: 'one step of an exponential moving average of parameters, in place',
  tolerance: { atol: 1e-7, rtol: 1e-6 },
  gpu: emaLauncher(false),
  reference(xs, o) {
    const avg = input(this, xs, 0),
      param = input(this, xs, 1);
    check(avg, param, o.decay);
    for (let i = 0; i < avg.data.length; i++) avg.data[i] = o.decay * avg.data[i]! + (1 - o.decay) * param.data[i]!;
    return [avg];
  },
};

/** ema four elements per invocation: the same inputs, outputs and reference; lengths a multiple of 4. */
export const emaVec4Kernel: FusedKernel<EmaAttrs> = {
  ...emaKernel,
  name: 'ema_vec4',
  summary: 'ema with four elements per invocation (vector loads; lengths a multiple of 4), the same bits',
  gpu: emaLauncher(true),
};
