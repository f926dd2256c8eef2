// Differential-expression metrics (spec §9), Float64.
//   DE calls: per gene a two-sided asymptotic Mann–Whitney U test of the cells against the control cells, then
//   Benjamini–Hochberg; a gene is DE iff its adjusted p < 0.05. Precision/recall/F1 of the predicted calls against the
//   true calls (positive class = DE; NaN where undefined, as the reference).
//   Top-k DE: the true top-k genes by adjusted p (ties broken by |Δmean|); predicted genes ranked either by |Δmean|
//   ('delta') or by p-value with ties broken by |Δmean| ('pval'); AUROC and average precision of that ranking against
//   membership of the true top-k, and precision@k.
import { benjaminiHochberg, mannWhitney, prepareReference, type SortedReference } from '../stats/rank-tests.ts';
import { auroc } from './causal.ts';
import type { Cells } from './expression.ts';
import { columnMeans } from './expression.ts';
import { column } from '../data/dataset.ts';

export interface DeTest {
  p: Float64Array;
  padj: Float64Array;
  delta: Float64Array;
}

/** Control columns prepared once per gene (sorted), reused for every perturbation and method. */
export function prepareControl(ctrl: Cells, d: number): SortedReference[] {
  return Array.from({ length: d }, (_, g) => prepareReference(column(ctrl.values, ctrl.n, d, g)));
}

export function deTest(
  x: Cells,
  ctrl: Cells,
  ctrlRefs: SortedReference[],
  d: number,
  genes?: readonly number[],
): DeTest {
  const idx = genes ?? Array.from({ length: d }, (_, g) => g);
  const p = Float64Array.from(idx, (g) => mannWhitney(column(x.values, x.n, d, g), ctrlRefs[g]!).p);
  const mx = columnMeans(x, d, idx),
    mc = columnMeans(ctrl, d, idx);
  return { p, padj: benjaminiHochberg(p), delta: mx.map((v, k) => v - mc[k]!) };
}

export interface BinaryScores {
  precision: number;
  recall: number;
  f1: number;
}

export function precisionRecallF1(pred: ArrayLike<boolean>, truth: ArrayLike<boolean>): BinaryScores {
  let tp = 0,
    pp = 0,
    tpos = 0;
  for (let i = 0; i < pred.length; i++) {
    if (pred[i]) pp++;
    if (truth[i]) tpos++;
    if (pred[i] && truth[i]) tp++;
  }
  return {
    precision: pp ? tp / pp : NaN,
    recall: tpos ? tp / tpos : NaN,
    f1: pp + tpos ? (2 * tp) / (pp + tpos) : NaN,
  };
}

export function deClassification(pred: DeTest, truth: DeTest, alpha = 0.05): BinaryScores {
  return precisionRecallF1(
    Array.from(pred.padj, (q) => q < alpha),
    Array.from(truth.padj, (q) => q < alpha),
  );
}

/** Average precision of a score (higher = more likely positive): Σ_k precision@k · [k-th is positive] / #positives. */
export function averagePrecision(score: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const order = Array.from({ length: score.length }, (_, i) => i).sort((a, b) => score[b]! - score[a]! || a - b);
  let tp = 0,
    ap = 0,
    nPos = 0;
  for (let i = 0; i < positive.length; i++) if (positive[i]) nPos++;
  order.forEach((i, k) => {
    if (positive[i]) {
      tp++;
      ap += tp / (k + 1);
    }
  });
  return nPos ? ap / nPos : NaN;
}

/** Rank position (0 = first) of every gene under a sort by primary ascending, then |delta| descending. */
function rankBy(primary: ArrayLike<number>, delta: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: primary.length }, (_, i) => i).sort(
    (a, b) => primary[a]! - primary[b]! || Math.abs(delta[b]!) - Math.abs(delta[a]!) || a - b,
  );
  const rank = new Float64Array(primary.length);
  order.forEach((g, r) => {
    rank[g] = r;
  });
  return rank;
}

export interface TopKScores {
  auroc: number;
  ap: number;
  precisionAtK: number;
}

export function topKDe(pred: DeTest, truth: DeTest, k: number, by: 'delta' | 'pval'): TopKScores {
  const n = truth.padj.length;
  if (k >= n) return { auroc: NaN, ap: NaN, precisionAtK: NaN };
  const trueRank = rankBy(truth.padj, truth.delta);
  const positive = Array.from(trueRank, (r) => r < k);
  const predRank =
    by === 'delta'
      ? rankBy(
          pred.delta.map((v) => -Math.abs(v)),
          pred.delta,
        )
      : rankBy(pred.p, pred.delta);
  const score = predRank.map((r) => -r);
  let hit = 0;
  for (let g = 0; g < n; g++) if (predRank[g]! < k && positive[g]) hit++;
  return { auroc: auroc(score, positive), ap: averagePrecision(score, positive), precisionAtK: hit / k };
}
