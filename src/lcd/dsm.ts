// One DSM training step on a Backend: batch from one environment, per-sample noise level, forward, backward
// and AdamW, all recorded as one command stream. Every random draw comes from (seed, step):
//   environment, cell indices and levels: host Rng(seed, 100000 + step); ε: Philox stream (seed, step, 3).
import type { Backend, TensorLike } from '../ops/backend.ts';
import { Tape } from '../ops/tape.ts';
import { Rng } from '../reference/rng.ts';
import type { AdamW } from '../nn/adamw.ts';
import type { ScoreNet } from './score-net.ts';
import { noiseLevels } from './schedule.ts';

export interface TrainEnv { values: Float32Array; cells: number; weights: Float64Array }

export interface DsmBatchHost { env: number; rows: Float32Array; levels: Int32Array }

/** The host-side draws of step `step` (also used by tests to replay a step on the reference). */
export function drawBatch(envs: readonly TrainEnv[], d: number, batchSize: number, seed: number, step: number, L: number): DsmBatchHost {
  const rng = new Rng(seed, 100_000 + step);
  const env = rng.int(envs.length);
  const e = envs[env]!;
  const rows = new Float32Array(batchSize * d);
  const levels = new Int32Array(batchSize);
  for (let i = 0; i < batchSize; i++) {
    const c = rng.int(e.cells);
    rows.set(e.values.subarray(c * d, (c + 1) * d), i * d);
    levels[i] = rng.int(L);
  }
  return { env, rows, levels };
}

/** Records one training step; returns the loss tensor (not read back). */
export function dsmStep<T extends TensorLike>(B: Backend<T>, net: ScoreNet<T>, opt: AdamW<T>, envs: readonly TrainEnv[], batchSize: number, seed: number, step: number): T {
  const { d, L, G } = net.shape;
  const sig = noiseLevels(L);
  const h = drawBatch(envs, d, batchSize, seed, step, L);
  const sCol = new Float64Array(batchSize), aCol = new Float64Array(batchSize), sigCol = new Float64Array(batchSize);
  const onehot = new Float64Array(batchSize * L);
  for (let i = 0; i < batchSize; i++) {
    const s = sig[h.levels[i]!]!;
    sigCol[i] = s;
    sCol[i] = 1 / Math.sqrt(1 + s * s);
    aCol[i] = (sCol[i]! - 1) / s;
    onehot[i * L + h.levels[i]!] = 1;
  }
  const x = B.fromArray(h.rows, [batchSize, d]);
  const eps = B.randomNormal([batchSize, d], seed, step, 3);
  const noisy = B.binary('add', x, B.binary('mul', eps, B.fromArray(sigCol, [batchSize, 1])));
  const target = B.binary('add', B.binary('mul', noisy, B.fromArray(aCol, [batchSize, 1])), eps);
  const tape = new Tape(B);
  const { loss, vars } = net.dsmLoss(tape, {
    noisy, target, scale: B.fromArray(sCol, [batchSize, 1]), levels: B.fromArray(onehot, [batchSize, L]),
    envWeights: B.fromArray(G > 0 ? envs[h.env]!.weights : new Float64Array(1), [1, Math.max(G, 1)]),
  });
  tape.backward(loss);
  opt.update(vars.map((v) => v.grad));
  return loss.value;
}
