// Distribution distances between two samples X [n×d] and Y [m×d] (rows are cells), Float64 reference
// definitions as in the reference's metrics.py (spec §9).
//   ed  = 2·mean‖X−Y‖ − Σ_{i≠i'}‖X_i−X_i'‖/(n(n−1)) − Σ_{j≠j'}‖Y_j−Y_j'‖/(m(m−1))      (Euclidean, no square root)
//   mmd = unbiased MMD² (diagonals excluded) with k(x,y) = exp(−‖x−y‖²/(2ℓ²)), averaged over
//         ℓ ∈ logspace(−2, 1, 10)·√d.

export interface Sample {
  values: ArrayLike<number>;
  n: number;
}

function sqDist(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number, d: number): number {
  let s = 0;
  for (let g = 0; g < d; g++) {
    const t = a[i * d + g]! - b[j * d + g]!;
    s += t * t;
  }
  return s;
}

/** Mean of f(‖·‖²) over all pairs (i from X, j from Y), or over i ≠ j when X and Y are the same sample. */
function pairMean(x: Sample, y: Sample, d: number, same: boolean, f: (sq: number) => number): number {
  let s = 0;
  for (let i = 0; i < x.n; i++)
    for (let j = same ? i + 1 : 0; j < y.n; j++) s += f(sqDist(x.values, i, y.values, j, d));
  return same ? (2 * s) / (x.n * (x.n - 1)) : s / (x.n * y.n);
}

export function energyDistance(x: Sample, y: Sample, d: number): number {
  return (
    2 * pairMean(x, y, d, false, Math.sqrt) - pairMean(x, x, d, true, Math.sqrt) - pairMean(y, y, d, true, Math.sqrt)
  );
}

/** cell-eval's form: within-sample means over all n² pairs, the zero diagonal included (a V-statistic). */
export function energyDistanceAllPairs(x: Sample, y: Sample, d: number): number {
  return (
    2 * pairMean(x, y, d, false, Math.sqrt) - pairMean(x, x, d, false, Math.sqrt) - pairMean(y, y, d, false, Math.sqrt)
  );
}

export const mmdBandwidths = (d: number): number[] =>
  Array.from({ length: 10 }, (_, k) => 10 ** (-2 + k / 3) * Math.sqrt(d));

export function mmd(x: Sample, y: Sample, d: number): number {
  const ls = mmdBandwidths(d);
  const k = (sq: number) => ls.reduce((s, l) => s + Math.exp(-sq / (2 * l * l)), 0) / ls.length;
  return pairMean(x, x, d, true, k) + pairMean(y, y, d, true, k) - 2 * pairMean(x, y, d, false, k);
}

/** Rows [from, to) of a sample (a view for split halves). */
export function rows(s: Sample, d: number, from: number, to: number): Sample {
  return {
    values: (s.values as Float32Array).subarray
      ? (s.values as Float32Array).subarray(from * d, to * d)
      : Array.prototype.slice.call(s.values, from * d, to * d),
    n: to - from,
  };
}

/**
 * The energy distance's bias for a prediction made by re-centring observed cells: the additive baseline and PEPER
 * shift the n training control cells so their mean lands on a target, X̃_i = X_i − X̄ + m. Every X̃_i then depends on
 * the sample's own mean, and the U-statistic `ed` of X̃ against the truth comes out lower than that of independent
 * draws from the same predicted law (the control's shape at mean m): the within-sample distances are unchanged
 * (differences of two cells), but each X̃_i is pulled toward m by (X_i − μ)/n, which shortens its distances to the
 * truth. To first order, with the distance to the truth ≈ E‖X − X′‖,
 *     bias ≈ tr(Σ) / (n · E‖X − X′‖)                                      (subtract from the independent draws' ed)
 * Σ and E‖X − X′‖ from the control cells themselves (at most `maxRows` evenly spaced rows for the pair mean).
 * Checked against a simulation of the baseline's construction in test/ed-recentring.test.ts; on the shared Norman
 * file (100 control cells) it is 0.09, as large as the additive baseline's lead over LCD.
 */
export function recentringBias(cells: Sample, d: number, maxRows = 2000): number {
  const n = cells.n;
  if (n < 2) return NaN;
  const x = cells.values;
  let trace = 0;
  for (let g = 0; g < d; g++) {
    let s = 0,
      ss = 0;
    for (let i = 0; i < n; i++) {
      const v = x[i * d + g]!;
      s += v;
      ss += v * v;
    }
    trace += (ss - (s * s) / n) / (n - 1);
  }
  const step = Math.max(1, Math.ceil(n / maxRows)),
    picked = Array.from({ length: Math.ceil(n / step) }, (_, k) => k * step);
  const sub = new Float64Array(picked.length * d);
  picked.forEach((r, k) => {
    for (let g = 0; g < d; g++) sub[k * d + g] = x[r * d + g]!;
  });
  const meanDistance = pairMean(
    { values: sub, n: picked.length },
    { values: sub, n: picked.length },
    d,
    true,
    Math.sqrt,
  );
  return trace / (n * meanDistance);
}
