// A small regression trainer used by tests and benchmarks: MLP of the LCD shape fitted to y = target(x) by MSE
// with AdamW, on any backend. One step = forward + backward + optimiser update, recorded as one command stream.
import type { Backend, TensorLike } from '../ops/backend.ts';
import { Tape } from '../ops/tape.ts';
import * as ad from '../ops/autodiff.ts';
import { MLP } from './mlp.ts';
import { AdamW } from './adamw.ts';
import { cosineSchedule } from '../gpu/kernels/schedules.ts';

export interface RegressionProblem {
  x: Float64Array;
  y: Float64Array;
  n: number;
  dIn: number;
  dOut: number;
}

export function mlpStep<T extends TensorLike>(B: Backend<T>, mlp: MLP<T>, opt: AdamW<T>, x: T, y: T): T {
  const tape = new Tape(B);
  const { y: out, params } = mlp.forward(tape, tape.constant(x));
  const loss = ad.meanAll(tape, ad.unary(tape, 'square', ad.sub(tape, out, tape.constant(y))));
  tape.backward(loss);
  opt.update(params.map((p) => p.grad));
  return loss.value;
}

export function makeTrainer<T extends TensorLike>(
  B: Backend<T>,
  sizes: number[],
  seed: number,
  steps: number,
  lr = 1e-2,
  weightDecay = 1e-3,
) {
  const mlp = new MLP(B, sizes, seed);
  const opt = new AdamW(B, mlp.parameters(), { schedule: cosineSchedule(lr, steps), weightDecay });
  return { mlp, opt };
}
