// The Arc Virtual Cell Challenge's metrics (cell-eval, ArcInstitute/cell-eval), under its names and definitions, so a
// result here can be set beside a leaderboard's. Inputs are log1p-normalised cells; μ̂_p, μ_p are the predicted and
// true pseudobulk means of perturbation p and μ̂_c, μ_c the control means (one shared control here: the truth's).
//   mse, mae              mean over genes of (μ̂_p − μ_p)², |μ̂_p − μ_p|
//   mse_delta, mae_delta  the same on the effects μ̂_p − μ̂_c and μ_p − μ_c
//   pearson_delta         Pearson over genes of the two effects (= this project's pearson_de with a shared control)
//   overlap_at_N          DE genes (BH-adjusted Wilcoxon p < 0.05 against the control) ranked by |log2 fold change|
//                         (fold change of the expm1 means); the true list's top N against the predicted list's top N,
//                         N = the number of true DE genes; |intersection| / N (0 when either list is empty)
//   overlap_at_K          the same with N = min(K, true DE genes), K = 50, 100, 200, 500
//   discrimination_score_l1  L1 distance from p's predicted effect to every true effect of the evaluated
//                         perturbations, the columns of p's target genes left out; 1 − rank(p)/P (1: p is closest)
//   pearson_edistance     Pearson across perturbations of the true and the predicted energy distance to the control
//                         (Euclidean, within-sample means over all pairs, diagonal included, as cell-eval)
//   vcc_score             the challenge's score: the mean of DES (overlap_at_N), PDS (discrimination_score_l1) and
//                         MAE, each scaled against a baseline: (m − b)/(1 − b) for the first two, (b − m)/b for MAE,
//                         each clipped at 0 (the challenge's baseline is the mean of the perturbed training cells,
//                         here the 'perturbed' method)
// One deviation: cell-eval excludes the column named like the perturbation; a double 'A+B' matches no gene there,
// while here both targets' columns are excluded, the test the score intends.
import type { DeTest } from './de.ts';
import { pearson } from './causal.ts';

export const OVERLAP_KS = [50, 100, 200, 500];

/** The per-perturbation metrics from the means and the two DE tests (all genes). */
export function cellEvalMetrics(
  predMean: Float64Array,
  trueMean: Float64Array,
  ctrlMean: Float64Array,
  pred: { de: DeTest; foldChange: Float64Array },
  truth: { de: DeTest; foldChange: Float64Array },
): Record<string, number> {
  const d = trueMean.length;
  let mse = 0,
    mae = 0;
  for (let g = 0; g < d; g++) {
    const e = predMean[g]! - trueMean[g]!;
    mse += e * e;
    mae += Math.abs(e);
  }
  // a shared control: the effects differ exactly as the means do
  const out: Record<string, number> = {
    mse: mse / d,
    mae: mae / d,
    mse_delta: mse / d,
    mae_delta: mae / d,
    pearson_delta: pearson(
      predMean.map((v, g) => v - ctrlMean[g]!),
      trueMean.map((v, g) => v - ctrlMean[g]!),
    ),
  };
  const realTop = significantByFoldChange(truth.de, truth.foldChange),
    predTop = significantByFoldChange(pred.de, pred.foldChange);
  out['overlap_at_N'] = overlapAt(realTop, predTop, realTop.length);
  for (const k of OVERLAP_KS)
    if (k < d) out[`overlap_at_${k}`] = overlapAt(realTop, predTop, Math.min(k, realTop.length));
  return out;
}

/** Genes with BH-adjusted p < alpha, by |log2 fold change| descending (ties by index). */
export function significantByFoldChange(de: DeTest, foldChange: Float64Array, alpha = 0.05): number[] {
  const lfc = (g: number) => {
    const v = Math.abs(Math.log2(foldChange[g]!));
    return Number.isFinite(v) ? v : Number.isNaN(v) ? 0 : Number.MAX_VALUE;
  };
  return Array.from(de.padj.keys())
    .filter((g) => de.padj[g]! < alpha)
    .sort((a, b) => lfc(b) - lfc(a) || a - b);
}

function overlapAt(real: number[], pred: number[], k: number): number {
  if (k === 0 || pred.length === 0) return 0;
  const top = new Set(pred.slice(0, k));
  return real.slice(0, k).filter((g) => top.has(g)).length / k;
}

/** Fold change of expm1 means (log1p data) or of the means themselves (other values), per gene. */
export function foldChanges(mean: Float64Array, ctrlMean: Float64Array): Float64Array {
  return mean.map((m, g) => m / ctrlMean[g]!);
}

/** discrimination_score_l1 of every perturbation: 1 − rank/P of its own true effect among all true effects. */
export function discriminationScores(
  trueEffects: Float64Array[],
  predEffects: Float64Array[],
  excluded: readonly (readonly number[])[],
): number[] {
  const P = trueEffects.length;
  return predEffects.map((pe, p) => {
    const skip = new Set(excluded[p]);
    const dist = trueEffects.map((te) => {
      let s = 0;
      for (let g = 0; g < te.length; g++) if (!skip.has(g)) s += Math.abs(te[g]! - pe[g]!);
      return s;
    });
    const order = Array.from(dist.keys()).sort((a, b) => dist[a]! - dist[b]! || a - b);
    return 1 - order.indexOf(p) / P;
  });
}

/** The challenge's scaled score of a method against a baseline; NaN parts (a degenerate baseline) count as 0. */
export function vccScore(
  method: { overlap_at_N: number; discrimination_score_l1: number; mae: number },
  base: { overlap_at_N: number; discrimination_score_l1: number; mae: number },
): number {
  const clip = (v: number) => (Number.isFinite(v) ? Math.max(0, v) : 0);
  const higher = (m: number, b: number) => clip((m - b) / (1 - b));
  return (
    (higher(method.overlap_at_N, base.overlap_at_N) +
      higher(method.discrimination_score_l1, base.discrimination_score_l1) +
      clip((base.mae - method.mae) / base.mae)) /
    3
  );
}
