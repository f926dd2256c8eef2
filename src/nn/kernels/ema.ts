// Fused kernel `ema` (shaders/ema.wgsl): one step of an exponential moving average of parameters in place,
// avg ← β·avg + (1 − β)·param, over one buffer (a packed parameter buffer: every parameter in one dispatch).
// Test: test/kernels/ema.test.ts.
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

export const emaKernel: FusedKernel<EmaAttrs> = {
  name: 'ema',
  inputs: ['avg (updated)', 'param'],
  outputs: ['avg'],
  summary: 'one step of an exponential moving average of parameters, in place',
  tolerance: { atol: 1e-7, rtol: 1e-6 },
  gpu(e, xs, o) {
    const avg = input(this, xs, 0),
      param = input(this, xs, 1);
    check(avg, param, o.decay);
    e.dispatch('ema', { WG }, [param, avg], { n: avg.size, decay: o.decay }, foldGrid(Math.ceil(avg.size / WG)));
    return [avg];
  },
  reference(xs, o) {
    const avg = input(this, xs, 0),
      param = input(this, xs, 1);
    check(avg, param, o.decay);
    for (let i = 0; i < avg.data.length; i++) avg.data[i] = o.decay * avg.data[i]! + (1 - o.decay) * param.data[i]!;
    return [avg];
  },
};
