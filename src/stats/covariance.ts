// Pooled within-group covariance: Σ_groups Σ_cells (x − μ_g)(x − μ_g)ᵀ / Σ_groups (n_g − 1), the covariance shared by
// every environment of a Gaussian model with environment-specific means (the empirical-Gaussian CLIPR reading).

/** Groups as row-major cells × d arrays; returns the group means and the pooled covariance (d×d, row-major). */
export function pooledCovariance(
  groups: readonly { values: ArrayLike<number>; cells: number }[],
  d: number,
): { means: Float64Array[]; cov: Float64Array } {
  const cov = new Float64Array(d * d);
  let dof = 0;
  const x = new Float64Array(d);
  const means = groups.map((g) => {
    const m = new Float64Array(d);
    for (let c = 0; c < g.cells; c++) for (let j = 0; j < d; j++) m[j]! += g.values[c * d + j]!;
    return m.map((v) => v / Math.max(g.cells, 1));
  });
  groups.forEach((g, q) => {
    const m = means[q]!;
    for (let c = 0; c < g.cells; c++) {
      for (let j = 0; j < d; j++) x[j] = g.values[c * d + j]! - m[j]!;
      for (let i = 0; i < d; i++) {
        const xi = x[i]!;
        if (xi === 0) continue;
        for (let j = i; j < d; j++) cov[i * d + j]! += xi * x[j]!;
      }
    }
    dof += Math.max(g.cells - 1, 0);
  });
  if (dof === 0) throw new Error('pooled covariance: every group has a single cell');
  for (let i = 0; i < d; i++)
    for (let j = i; j < d; j++) {
      const v = cov[i * d + j]! / dof;
      cov[i * d + j] = v;
      cov[j * d + i] = v;
    }
  return { means, cov };
}
