// Baselines in latent/normalised space (spec §10).
//   control: the control cells.
//   additive (SALT): control cells shifted by Σ_{j∈T} (μ_j − μ_ctrl), μ_j the mean of gene j's single-perturbation
//   environment; a target without a single environment contributes the mean shift of all perturbed cells.
import type { Screen } from '../data/dataset.ts';
import { envMean } from '../data/dataset.ts';

export function additivePrediction(train: Screen, targets: readonly string[]): Float32Array {
  const d = train.genes.length;
  const ctrl = train.envs[0]!;
  const mu0 = envMean(ctrl, d);
  const shift = new Float64Array(d);
  let pooled: Float64Array | null = null;
  for (const t of targets) {
    const single = train.envs.find((e) => e.targets.length === 1 && e.targets[0] === t);
    let mu: Float64Array;
    if (single) mu = envMean(single, d);
    else {
      if (!pooled) {
        pooled = new Float64Array(d);
        let n = 0;
        for (const e of train.envs.slice(1)) { for (let i = 0; i < e.values.length; i++) pooled[i % d]! += e.values[i]!; n += e.cells; }
        pooled = pooled.map((v) => v / n);
      }
      mu = pooled;
    }
    for (let g = 0; g < d; g++) shift[g]! += mu[g]! - mu0[g]!;
  }
  const out = new Float32Array(ctrl.values.length);
  for (let i = 0; i < out.length; i++) out[i] = ctrl.values[i]! + shift[i % d]!;
  return out;
}
