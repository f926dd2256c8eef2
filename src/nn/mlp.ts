// Dense MLP d → H → … → H → d_out with tanh hidden layers and a linear output, the shape of LCD's score network.
import type { Backend, TensorLike } from '../ops/backend.ts';
import type { Tape, Var } from '../ops/tape.ts';
import { matmul } from '../ops/autodiff.ts';
import { lecunNormal } from './init.ts';
import { randomStream } from '../core/random-streams.ts';

export interface DenseParams<T> {
  w: T;
  b: T;
}

export class MLP<T extends TensorLike> {
  readonly layers: DenseParams<T>[];

  /** sizes = [d_in, H, …, d_out]; weights lecun-normal from stream 'mlp.init' at the layer index, biases 0 (Flax defaults). */
  constructor(
    readonly B: Backend<T>,
    readonly sizes: readonly number[],
    seed: number,
  ) {
    this.layers = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const [i, o] = [sizes[l]!, sizes[l + 1]!];
      this.layers.push({
        w: B.fromArray(lecunNormal(i, o, randomStream(seed, 'mlp.init', l)), [i, o]),
        b: B.full([o], 0),
      });
    }
  }

  parameters(): T[] {
    return this.layers.flatMap((l) => [l.w, l.b]);
  }

  /** Forward on the tape; returns the output Var and the parameter Vars (same order as parameters()). */
  forward(tape: Tape<T>, x: Var<T>): { y: Var<T>; params: Var<T>[] } {
    const params: Var<T>[] = [];
    let h = x;
    this.layers.forEach((layer, l) => {
      const w = tape.param(layer.w),
        b = tape.param(layer.b);
      params.push(w, b);
      const last = l === this.layers.length - 1;
      h = matmul(tape, h, w, { bias: b, act: last ? 'identity' : 'tanh' });
    });
    return { y: h, params };
  }
}
