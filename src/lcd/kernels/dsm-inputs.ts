// Fused kernel `dsm_inputs` (shaders/dsm_inputs.wgsl): the inputs of one DSM batch in one dispatch: the noise ε of
// stream 'dsm.noise' (the random_normal stream), the network input x_in = s·(x + σε) and minus the regression
// target, −((s − 1)/σ·(x + σε) + ε), which the score network's last layer adds in its epilogue (r = g − target).
// Test: test/kernels/dsm_inputs.test.ts.
import type { Engine } from '../../gpu/engine.ts';
import { foldGrid } from '../../gpu/grid.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import { streamParams } from '../../gpu/kernels/random.ts';
import { ShapeError } from '../../core/errors.ts';
import type { RandomStream } from '../../core/random-streams.ts';
import type { RefArray } from '../../reference/kernels.ts';
import { normalStream } from '../../reference/philox.ts';
import { input, type FusedKernel } from '../../ops/fused-kernel.ts';

const WG = 64;

export interface DsmInputsAttrs {
  /** The batch's noise stream (randomStream(seed, 'dsm.noise', step)). */
  stream: RandomStream;
}

function check(x: { shape: readonly number[] }, cols: { shape: readonly number[] }): [number, number] {
  const [N, d] = x.shape;
  if (x.shape.length !== 2 || cols.shape.length !== 2 || cols.shape[0] !== N || cols.shape[1] !== 3)
    throw new ShapeError(
      `dsm_inputs: x [${x.shape.join('×')}] must be [N×d] and its columns [${cols.shape.join('×')}] [N×3] (σ, (s − 1)/σ, s)`,
    );
  return [N!, d!];
}

export const dsmInputsKernel: FusedKernel<DsmInputsAttrs> = {
  name: 'dsm_inputs',
  inputs: ['x (clean states, N×d)', 'cols (σ, (s − 1)/σ, s per row, N×3)'],
  outputs: ['xin (s·x̃)', 'negTarget (−((s − 1)/σ·x̃ + ε))'],
  summary: 'the noise, the network input and minus the regression target of one DSM batch, in one pass',
  tolerance: { atol: 1e-6, rtol: 1e-5 },
  gpu(e: Engine, xs, o): GpuTensor[] {
    const x = input(this, xs, 0),
      cols = input(this, xs, 1);
    const [, d] = check(x, cols);
    const xin = e.empty(x.shape, 'dsm.xin'),
      nt = e.empty(x.shape, 'dsm.negTarget');
    e.dispatch(
      'dsm_inputs',
      { WG },
      [x, cols, xin, nt],
      { n: x.size, d, ...streamParams(o.stream) },
      foldGrid(Math.ceil(x.size / 4 / WG)),
    );
    return [xin, nt];
  },
  reference(xs, o): RefArray[] {
    const x = input(this, xs, 0),
      cols = input(this, xs, 1);
    const [, d] = check(x, cols);
    const eps = normalStream(x.data.length, o.stream, 1);
    const xin = new Float64Array(x.data.length),
      nt = new Float64Array(x.data.length);
    for (let i = 0; i < x.data.length; i++) {
      const r = Math.floor(i / d),
        [sigma, a, s] = [cols.data[3 * r]!, cols.data[3 * r + 1]!, cols.data[3 * r + 2]!];
      const noisy = x.data[i]! + eps[i]! * sigma;
      xin[i] = noisy * s;
      nt[i] = -(noisy * a + eps[i]!);
    }
    return [
      { data: xin, shape: [...x.shape] },
      { data: nt, shape: [...x.shape] },
    ];
  },
};
