// Causal-matrix metrics (spec §6.5), on all off-diagonal entries of d×d matrices (row-major).
//   auroc   one-vs-one AUROC over sign classes {−1, 0, +1} of the truth (|a| < 0.5 → 0), scored by the raw
//           predicted value (higher value ⇒ higher class), averaged over the class pairs present
//   pearson correlation of the off-diagonal entries
//   f1      macro-F1 of thresholded signs, the same 0.5 threshold applied to truth and prediction
//   auprc   average precision of |pred| against the true edges (truth ≠ 0)
import { median } from '../data/normalize.ts';

export const signClass = (v: number, threshold = 0.5): -1 | 0 | 1 => (Math.abs(v) < threshold ? 0 : v > 0 ? 1 : -1);

export function offDiagonal(m: ArrayLike<number>, d: number): Float64Array {
  const out = new Float64Array(d * d - d);
  let k = 0;
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) if (i !== j) out[k++] = m[i * d + j]!;
  return out;
}

/** Rank-based AUROC with ties averaged (= Mann–Whitney U / (n₊ n₋)); labels true = positive. */
export function auroc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    for (let k = i; k <= j; k++) ranks[idx[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let nPos = 0,
    rankSum = 0;
  for (let i = 0; i < n; i++)
    if (positive[i]) {
      nPos++;
      rankSum += ranks[i]!;
    }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

export function ovoAuroc(truth: ArrayLike<number>, pred: ArrayLike<number>, d: number, threshold = 0.5): number {
  return ovoAurocOf(offDiagonal(truth, d), offDiagonal(pred, d), threshold);
}

/** OVO-AUROC over paired entries (truth value, predicted value), already restricted to the entries scored. */
export function ovoAurocOf(t: ArrayLike<number>, p: ArrayLike<number>, threshold = 0.5): number {
  const cls = Array.from(t, (v) => signClass(v, threshold));
  const pairs: [number, number][] = [
    [-1, 0],
    [-1, 1],
    [0, 1],
  ];
  const scores: number[] = [];
  for (const [lo, hi] of pairs) {
    const sel = cls.map((c, i) => (c === lo || c === hi ? i : -1)).filter((i) => i >= 0);
    if (!sel.some((i) => cls[i] === lo) || !sel.some((i) => cls[i] === hi)) continue;
    scores.push(
      auroc(
        sel.map((i) => p[i]!),
        sel.map((i) => cls[i] === hi),
      ),
    );
  }
  if (scores.length === 0) throw new Error('OVO-AUROC: the truth has a single class; undefined');
  return scores.reduce((a, b) => a + b, 0) / scores.length;
}

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0,
    my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0,
    sxx = 0,
    syy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i]! - mx,
      b = y[i]! - my;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  return sxy / Math.sqrt(sxx * syy);
}

export const pearsonOffDiagonal = (truth: ArrayLike<number>, pred: ArrayLike<number>, d: number) =>
  pearson(offDiagonal(truth, d), offDiagonal(pred, d));

/** Macro-F1 over the sign classes present in truth or prediction (sklearn's average='macro'). */
export function macroF1Signs(truth: ArrayLike<number>, pred: ArrayLike<number>, d: number, threshold = 0.5): number {
  const t = Array.from(offDiagonal(truth, d), (v) => signClass(v, threshold));
  const p = Array.from(offDiagonal(pred, d), (v) => signClass(v, threshold));
  const labels = [...new Set([...t, ...p])];
  const f1s = labels.map((c) => {
    let tp = 0,
      fp = 0,
      fn = 0;
    for (let i = 0; i < t.length; i++) {
      if (p[i] === c && t[i] === c) tp++;
      else if (p[i] === c) fp++;
      else if (t[i] === c) fn++;
    }
    return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  });
  return f1s.reduce((a, b) => a + b, 0) / f1s.length;
}

/** Average precision Σ_n (R_n − R_{n−1}) P_n over the ranking by score (ties broken by index order). */
export function averagePrecision(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const nPos = Array.from(positive).filter(Boolean).length;
  if (nPos === 0) return NaN;
  let tp = 0,
    ap = 0;
  idx.forEach((i, r) => {
    if (positive[i]) {
      tp++;
      ap += tp / (r + 1) / nPos;
    }
  });
  return ap;
}

export const auprcEdges = (truth: ArrayLike<number>, pred: ArrayLike<number>, d: number): number =>
  auprcOf(offDiagonal(truth, d), offDiagonal(pred, d));

/** Average precision of |pred| against the true edges (truth ≠ 0), over paired entries. */
export const auprcOf = (t: ArrayLike<number>, p: ArrayLike<number>): number =>
  averagePrecision(
    Array.from(p, Math.abs),
    Array.from(t, (v) => v !== 0),
  );

export interface CausalMetrics {
  auroc: number;
  pearson: number;
  f1: number;
  auprc: number;
}

export function causalMetrics(truth: ArrayLike<number>, pred: ArrayLike<number>, d: number): CausalMetrics {
  return {
    auroc: ovoAuroc(truth, pred, d),
    pearson: pearsonOffDiagonal(truth, pred, d),
    f1: macroF1Signs(truth, pred, d),
    auprc: auprcEdges(truth, pred, d),
  };
}

/**
 * Entries of a d×d matrix in the block rows × cols, self-pairs (i, i) dropped: the perturbed × perturbed block, or
 * perturbed → all genes, of a causal matrix (row-major, row = source gene).
 */
export function blockEntries(
  m: ArrayLike<number>,
  d: number,
  rows: readonly number[],
  cols: readonly number[],
): Float64Array {
  const out: number[] = [];
  for (const i of rows) for (const j of cols) if (i !== j) out.push(m[i * d + j]!);
  return Float64Array.from(out);
}

/**
 * OVO-AUROC and AUPRC against signed edge classes, Pearson against true effect sizes, on paired entries (from
 * blockEntries). `classes` holds the truth whose signs define the classes (|v| ≥ 0.5; AUPRC counts v ≠ 0 as an edge; a signed adjacency or
 * the causal matrix), `values` the true effects (the same array when the truth is one matrix).
 */
export function causalMetricsOf(
  classes: ArrayLike<number>,
  values: ArrayLike<number>,
  pred: ArrayLike<number>,
): Omit<CausalMetrics, 'f1'> {
  return {
    auroc: ovoAurocOf(classes, pred),
    pearson: pearson(values, pred),
    auprc: auprcOf(classes, pred),
  };
}

/**
 * Indirect pairs of a directed graph (row-major d×d adjacency, row = source, ≠ 0 an edge): ordered pairs (i, j) with
 * a directed path from i to j of length ≥ 2 and no edge i → j. A chain's head and tail: a total effect without a
 * direct one. Returned as a 0/1 d×d matrix.
 */
export function indirectPairs(adjacency: ArrayLike<number>, d: number): Uint8Array {
  const reach = new Uint8Array(d * d);
  // Transitive closure by a depth-first search from every gene (graphs here are small: d ≤ a few thousand).
  for (let s = 0; s < d; s++) {
    const stack = [s];
    while (stack.length) {
      const u = stack.pop()!;
      for (let v = 0; v < d; v++)
        if (adjacency[u * d + v] !== 0 && u !== v && !reach[s * d + v]) {
          reach[s * d + v] = 1;
          stack.push(v);
        }
    }
  }
  const out = new Uint8Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) if (i !== j && reach[i * d + j] && adjacency[i * d + j] === 0) out[i * d + j] = 1;
  return out;
}

/**
 * The indirect-pair false-positive rate of a causal matrix on paired entries (from blockEntries): the reading calls
 * as edges its K largest |entries|, K the number of true edges among the entries (each reading at its own threshold,
 * the one that would call as many edges as there are), and the rate is the fraction of indirect pairs it calls.
 * Differential expression calls a chain's tail from its head; a direct-effects reading should not. NaN without
 * indirect pairs among the entries.
 */
export function indirectFalsePositiveRate(
  edges: ArrayLike<number>,
  indirect: ArrayLike<number>,
  pred: ArrayLike<number>,
): number {
  const n = pred.length;
  let k = 0,
    nIndirect = 0;
  for (let i = 0; i < n; i++) {
    if (edges[i] !== 0) k++;
    if (indirect[i]) nIndirect++;
  }
  if (nIndirect === 0) return NaN;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => Math.abs(pred[b]!) - Math.abs(pred[a]!) || a - b);
  let called = 0;
  for (let r = 0; r < k; r++) if (indirect[order[r]!]) called++;
  return called / nIndirect;
}

/**
 * How far perturbations' mean responses leak onto genes they do not reach. Each response is per gene in units of the
 * control's standard deviation (Δ_g = (mean_g − control mean_g) / control sd_g); for perturbation p of target t, the
 * ratio |Δ_g| / |Δ_t| of every other gene g is put in `unreached` when `reaches(p, g)` is false (no total effect: a
 * perfect model moves it by nothing) and in `reached` otherwise. Returns both medians and counts (NaN when empty):
 * the leak of a model against that of the data's sample means says which stage adds responses the network lacks.
 */
export function responseLeak(
  responses: readonly { target: number; delta: ArrayLike<number> }[],
  reaches: (p: number, g: number) => boolean,
): { unreached: number; reached: number; nUnreached: number; nReached: number } {
  const out: number[] = [],
    down: number[] = [];
  responses.forEach(({ target, delta }, p) => {
    const own = Math.abs(delta[target]!);
    for (let g = 0; g < delta.length; g++)
      if (g !== target) (reaches(p, g) ? down : out).push(Math.abs(delta[g]!) / own);
  });
  return { unreached: median(out), reached: median(down), nUnreached: out.length, nReached: down.length };
}
