// The two leading principal axes of a set of rows (cells × genes), by power iteration with deflation on the
// centred rows (X_cᵀ X_c v without forming the covariance: 2·n·d per iteration). Deterministic: the start vector is
// fixed, so the same cells give the same axes (up to sign, fixed so the largest loading is positive). f64, no engine.

export interface Pca {
  /** Centre (the mean of the rows it was fitted on, or the given one). */
  center: Float64Array;
  /** Unit axes [2][d]. */
  axes: [Float64Array, Float64Array];
  /** Variance along each axis (eigenvalues of the sample covariance). */
  variance: [number, number];
}

export function pca2(x: ArrayLike<number>, n: number, d: number, center?: Float64Array, iterations = 200): Pca {
  if (n < 2 || d < 2) throw new Error(`PCA needs at least 2 rows and 2 columns (got ${n} × ${d})`);
  const c = center ?? new Float64Array(d);
  if (!center) {
    for (let i = 0; i < n; i++) for (let g = 0; g < d; g++) c[g]! += x[i * d + g]! / n;
  }
  const axes: Float64Array[] = [],
    variance: number[] = [];
  const xv = new Float64Array(n);
  for (let k = 0; k < 2; k++) {
    let v = Float64Array.from({ length: d }, (_, g) => 1 + ((g * 7919) % 13) / 13);
    let lambda = 0;
    for (let it = 0; it < iterations; it++) {
      // w = X_cᵀ X_c v, deflated against the axes found so far.
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let g = 0; g < d; g++) s += (x[i * d + g]! - c[g]!) * v[g]!;
        xv[i] = s;
      }
      const w = new Float64Array(d);
      for (let i = 0; i < n; i++) for (let g = 0; g < d; g++) w[g]! += (x[i * d + g]! - c[g]!) * xv[i]!;
      for (const a of axes) {
        let p = 0;
        for (let g = 0; g < d; g++) p += w[g]! * a[g]!;
        for (let g = 0; g < d; g++) w[g]! -= p * a[g]!;
      }
      const norm = Math.hypot(...w);
      if (norm === 0) break;
      lambda = norm / (n - 1);
      const next = w.map((u) => u / norm);
      const moved = next.reduce((s, u, g) => s + Math.abs(u - v[g]!), 0);
      v = next;
      if (moved < 1e-10) break;
    }
    // Sign: the largest loading positive.
    let big = 0;
    for (let g = 1; g < d; g++) if (Math.abs(v[g]!) > Math.abs(v[big]!)) big = g;
    if (v[big]! < 0) v = v.map((u) => -u);
    axes.push(v);
    variance.push(lambda);
  }
  return { center: c, axes: [axes[0]!, axes[1]!], variance: [variance[0]!, variance[1]!] };
}

/** Coordinates of rows on the two axes: [n][2] as pairs. */
export function projectPca(p: Pca, x: ArrayLike<number>, n: number): [number, number][] {
  const d = p.center.length;
  return Array.from({ length: n }, (_, i) => {
    let a = 0,
      b = 0;
    for (let g = 0; g < d; g++) {
      const u = x[i * d + g]! - p.center[g]!;
      a += u * p.axes[0][g]!;
      b += u * p.axes[1][g]!;
    }
    return [a, b];
  });
}
