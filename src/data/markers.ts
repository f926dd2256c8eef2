// Marker genes per perturbation: scanpy's rank_genes_groups(method="wilcoxon", reference=control) scores, ranked by
// |score| (spec §8–9). The top-20 define each environment's DE gene set (the `_20` metric suffix) and, summed over
// perturbations, the marker count that prioritises genes in the selection.
import type { Screen } from './dataset.ts';
import { column } from './dataset.ts';
import { prepareReference, rankStats, wilcoxonScore } from '../stats/rank-tests.ts';

/** Wilcoxon scores [env][gene] of every non-control environment against the control (environment 0). */
export function wilcoxonScores(s: Screen): Float64Array[] {
  const d = s.genes.length,
    ctrl = s.envs[0]!;
  const refs = Array.from({ length: d }, (_, g) => prepareReference(column(ctrl.values, ctrl.cells, d, g)));
  return s.envs
    .slice(1)
    .map((e) =>
      Float64Array.from({ length: d }, (_, g) => wilcoxonScore(rankStats(column(e.values, e.cells, d, g), refs[g]!))),
    );
}

/** Top-k genes by |score| (ties by gene index). */
export function topK(scores: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: scores.length }, (_, g) => g)
    .sort((a, b) => Math.abs(scores[b]!) - Math.abs(scores[a]!) || a - b)
    .slice(0, k);
}

/** Top-k marker genes of every environment (the control gets []), keyed by environment name. */
export function markerGenes(s: Screen, k = 20): Record<string, number[]> {
  const scores = wilcoxonScores(s);
  const out: Record<string, number[]> = { [s.envs[0]!.name]: [] };
  s.envs.slice(1).forEach((e, i) => {
    out[e.name] = topK(scores[i]!, Math.min(k, s.genes.length));
  });
  return out;
}
