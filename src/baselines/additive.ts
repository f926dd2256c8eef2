// Baselines in latent/normalised space (spec §10).
//   control: the control cells.
//   additive (SALT): control cells shifted by Σ_{j∈T} (μ_j − μ_ctrl), μ_j the mean of gene j's single-perturbation
//   environment; a target without a single environment contributes the mean shift of all perturbed cells.
import type { Screen } from '../data/dataset.ts';
import { envMean } from '../data/dataset.ts';

export interface SingleGeneShifts {
  ctrlMean: Float64Array;
  shiftOf: (target: string) => Float64Array;
}

/** μ_ctrl and the single-gene mean shifts μ_j − μ_ctrl (the pooled perturbed shift for a target without a single);
 *  shared by SALT and PEPER. */
export function singleGeneShifts(train: Screen): SingleGeneShifts {
  const d = train.genes.length,
    ctrlMean = envMean(train.envs[0]!, d);
  const shifts = new Map<string, Float64Array>();
  for (const e of train.envs)
    if (e.targets.length === 1)
      shifts.set(
        e.targets[0]!,
        envMean(e, d).map((v, g) => v - ctrlMean[g]!),
      );
  let pooled: Float64Array | null = null;
  const pooledShift = (): Float64Array => {
    if (!pooled) {
      const sum = new Float64Array(d);
      let n = 0;
      for (const e of train.envs.slice(1)) {
        for (let i = 0; i < e.values.length; i++) sum[i % d]! += e.values[i]!;
        n += e.cells;
      }
      pooled = sum.map((v, g) => v / n - ctrlMean[g]!);
    }
    return pooled;
  };
  return { ctrlMean, shiftOf: (t) => shifts.get(t) ?? pooledShift() };
}

/** Control cells shifted by the summed single-gene shifts; pass `shifts` when predicting many target sets. */
export function additivePrediction(
  train: Screen,
  targets: readonly string[],
  shifts: SingleGeneShifts = singleGeneShifts(train),
): Float32Array {
  const d = train.genes.length,
    ctrl = train.envs[0]!,
    { shiftOf } = shifts;
  const shift = new Float64Array(d);
  for (const t of targets) {
    const s = shiftOf(t);
    for (let g = 0; g < d; g++) shift[g]! += s[g]!;
  }
  const out = new Float32Array(ctrl.values.length);
  for (let i = 0; i < out.length; i++) out[i] = ctrl.values[i]! + shift[i % d]!;
  return out;
}
