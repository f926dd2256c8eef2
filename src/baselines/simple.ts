// The two trivial baselines of the reference (spec §10): the control cells, and the pooled perturbed training cells
// (a random subset of n cells, drawn from an explicit seed).
import type { Screen } from '../data/dataset.ts';
import { Rng } from '../reference/rng.ts';
import { randomStream } from '../core/random-streams.ts';

export function controlPrediction(train: Screen): Float32Array {
  return train.envs[0]!.values;
}

export function pooledPerturbedPrediction(train: Screen, n: number, seed: number): { values: Float32Array; n: number } {
  const d = train.genes.length,
    envs = train.envs.slice(1);
  const total = envs.reduce((a, e) => a + e.cells, 0);
  const pick = new Rng(randomStream(seed, 'baseline.cells')).permutation(total).slice(0, Math.min(n, total));
  const out = new Float32Array(pick.length * d);
  pick.forEach((k, r) => {
    let e = 0;
    while (k >= envs[e]!.cells) k -= envs[e++]!.cells;
    out.set(envs[e]!.values.subarray(k * d, (k + 1) * d), r * d);
  });
  return { values: out, n: pick.length };
}
