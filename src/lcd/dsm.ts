// One DSM training step on a Backend: a batch from one environment (the reference) or from several, per-sample
// noise level, forward, backward and AdamW, all recorded as one command stream. Every random draw comes from
// (seed, step): environments, cell indices and levels from host stream 'dsm.batch', ε from device stream 'dsm.noise'.
// Several environments per batch leave the objective's expectation unchanged (the environment is still uniform
// per sample) but every step then updates many perturbation embeddings instead of one, which lowers the variance of
// their gradients; with one environment per step each embedding row is touched once every E steps.
import type { Backend, TensorLike } from '../ops/backend.ts';
import { Tape } from '../ops/tape.ts';
import { Rng } from '../reference/rng.ts';
import type { AdamW } from '../nn/adamw.ts';
import { ScoreNet } from './score-net.ts';
import { NoiseSchedule } from '../core/noise-schedule.ts';
import { randomStream } from '../core/random-streams.ts';
import { dsmInputsKernel } from './kernels/dsm-inputs.ts';

export interface TrainEnv {
  values: Float32Array;
  cells: number;
  weights: Float64Array;
}

/** `envs`: the environments of the batch; sample i comes from envs[i % envs.length]. */
export interface DsmBatchHost {
  envs: number[];
  rows: Float32Array;
  levels: Int32Array;
}

/**
 * The host-side draws of step `step` (also used by tests to replay a step on the reference). `envsPerBatch`
 * distinct environments (capped at their number); 1 draws exactly the reference's single environment. Each sample's
 * noise level is uniform over 0 … L − 1, the levels trained (LCD's `trainLevels`; the reference: all 30).
 */
export function drawBatch(
  envs: readonly TrainEnv[],
  d: number,
  batchSize: number,
  seed: number,
  step: number,
  L: number,
  envsPerBatch = 1,
): DsmBatchHost {
  const rng = new Rng(randomStream(seed, 'dsm.batch', step));
  const k = Math.max(1, Math.min(envsPerBatch, envs.length, batchSize));
  const chosen = k === 1 ? [rng.int(envs.length)] : rng.permutation(envs.length).slice(0, k);
  const rows = new Float32Array(batchSize * d);
  const levels = new Int32Array(batchSize);
  for (let i = 0; i < batchSize; i++) {
    const e = envs[chosen[i % k]!]!;
    const c = rng.int(e.cells);
    rows.set(e.values.subarray(c * d, (c + 1) * d), i * d);
    levels[i] = rng.int(L);
  }
  return { envs: chosen, rows, levels };
}

/** Records one training step; returns the loss tensor (not read back), or with `lossInto` adds the loss to that
 *  [1] tensor in place and returns it (a training loop's running sum without an add pass). `trainLevels`: the
 *  noise levels drawn, 0 … trainLevels − 1 (default all of the network's). */
export function dsmStep<T extends TensorLike>(
  B: Backend<T>,
  net: ScoreNet<T>,
  opt: AdamW<T>,
  envs: readonly TrainEnv[],
  batchSize: number,
  seed: number,
  step: number,
  envsPerBatch = 1,
  lossInto: T | null = null,
  trainLevels = net.shape.L,
): T {
  const { d, L, G } = net.shape;
  if (!Number.isInteger(trainLevels) || trainLevels < 1 || trainLevels > L)
    throw new Error(`dsmStep: trainLevels ${trainLevels} is not 1–${L}`);
  const schedule = new NoiseSchedule(L);
  // levels 0 … trainLevels − 1 of the L-level schedule (the level table is cut to their rows, see ScoreNet.levelColumns)
  const h = drawBatch(envs, d, batchSize, seed, step, trainLevels, envsPerBatch);
  const k = h.envs.length,
    Gw = Math.max(G, 1);
  const weights = new Float64Array(k * Gw);
  if (G > 0) h.envs.forEach((e, r) => weights.set(envs[e]!.weights, r * Gw));
  // Per row: σ, a = (s − 1)/σ and s of its level, the columns the fused inputs kernel reads.
  const cols = new Float64Array(batchSize * 3);
  const Lc = ScoreNet.levelRowsFor(trainLevels); // the trained levels' rows, padded to a multiple of 4
  const onehot = new Float64Array(batchSize * Lc);
  for (let i = 0; i < batchSize; i++) {
    const level = schedule.level(h.levels[i]!);
    cols.set([level.sigma, (level.s - 1) / level.sigma, level.s], 3 * i);
    onehot[i * Lc + h.levels[i]!] = 1;
  }
  // ε, x_in = s·(x + σε) and −target in one dispatch (shaders/dsm_inputs.wgsl)
  const [xin, negTarget] = B.fused(
    dsmInputsKernel,
    [B.fromArray(h.rows, [batchSize, d]), B.fromArray(cols, [batchSize, 3])],
    {
      stream: randomStream(seed, 'dsm.noise', step),
    },
  );
  const tape = new Tape(B);
  const { loss, vars } = net.dsmLoss(
    tape,
    {
      xin: xin!,
      negTarget: negTarget!,
      levels: B.fromArray(onehot, [batchSize, Lc]),
      levelIndex: B.fromArray(Float32Array.from(h.levels), [batchSize]),
      envWeights: B.fromArray(weights, [k, Gw]),
      envRows:
        k > 1
          ? B.fromArray(
              Float64Array.from({ length: batchSize * k }, (_, i) => (Math.floor(i / k) % k === i % k ? 1 : 0)),
              [batchSize, k],
            )
          : undefined,
    },
    lossInto,
    opt.gradientSlots(),
  );
  tape.backward(loss);
  opt.update(vars.map((v) => v.grad));
  return loss.value;
}
