// Mean- and marginal-level metrics of the reference (spec §9; names follow metrics.py), Float64, on cells × genes
// row-major samples. A gene subset (e.g. the top-20 DE genes, the `_20` suffix) restricts every metric.
import { pearson } from './causal.ts';

export interface Cells {
  values: ArrayLike<number>;
  n: number;
}

export function columnMeans(s: Cells, d: number, genes?: readonly number[]): Float64Array {
  const idx = genes ?? Array.from({ length: d }, (_, g) => g);
  const m = new Float64Array(idx.length);
  for (let c = 0; c < s.n; c++)
    idx.forEach((g, k) => {
      m[k]! += s.values[c * d + g]!;
    });
  return m.map((v) => v / s.n);
}

/** rmse_m = √(mean_g (mean_pred_g − mean_true_g)²) */
export function rmseMeans(pred: Cells, truth: Cells, d: number, genes?: readonly number[]): number {
  const a = columnMeans(pred, d, genes),
    b = columnMeans(truth, d, genes);
  return Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0) / a.length);
}

/** pearson_de / "Pearson delta": corr_g(mean_pred − ref, mean_true − ref); ref = control mean (or any reference). */
export function pearsonDelta(
  pred: Cells,
  truth: Cells,
  reference: ArrayLike<number>,
  d: number,
  genes?: readonly number[],
): number {
  const a = columnMeans(pred, d, genes),
    b = columnMeans(truth, d, genes);
  const r = genes ? genes.map((g) => reference[g]!) : Array.from(reference);
  return pearson(
    a.map((v, i) => v - r[i]!),
    b.map((v, i) => v - r[i]!),
  );
}

/** The "systema" reference: the average of the training perturbation means (environments 1..m, not the control). */
export function systemaReference(trainPerturbationMeans: ArrayLike<number>[], d: number): Float64Array {
  const out = new Float64Array(d);
  for (const m of trainPerturbationMeans) for (let g = 0; g < d; g++) out[g]! += m[g]! / trainPerturbationMeans.length;
  return out;
}

/** Exact 1-D Wasserstein-1 between two empirical distributions: ∫ |F(x) − G(x)| dx over the merged support. */
export function wasserstein1(a: number[], b: number[]): number {
  const x = [...a].sort((p, q) => p - q),
    y = [...b].sort((p, q) => p - q);
  const all = [...x, ...y].sort((p, q) => p - q);
  let i = 0,
    j = 0,
    w = 0;
  for (let k = 0; k + 1 < all.length; k++) {
    const t = all[k]!;
    while (i < x.length && x[i]! <= t) i++;
    while (j < y.length && y[j]! <= t) j++;
    w += Math.abs(i / x.length - j / y.length) * (all[k + 1]! - t);
  }
  return w;
}

/** w1_eltwise = mean over genes of the 1-D W1 between the marginals. */
export function w1Elementwise(pred: Cells, truth: Cells, d: number, genes?: readonly number[]): number {
  const idx = genes ?? Array.from({ length: d }, (_, g) => g);
  const col = (s: Cells, g: number) => Array.from({ length: s.n }, (_, c) => s.values[c * d + g]!);
  return idx.reduce((sum, g) => sum + wasserstein1(col(pred, g), col(truth, g)), 0) / idx.length;
}
