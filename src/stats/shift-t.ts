// Welch's t statistic of every gene's mean shift between two groups of cells: (mean_b − mean_a) / √(s²_a/n_a +
// s²_b/n_b), with the groups' own variances (no equal-variance assumption: a perturbation changes a gene's spread as
// well as its mean). CLIPR's data gate (clipr/data-gate.ts) reads it as the evidence in the measured cells that a
// perturbation moves a gene at all.

export interface CellGroup {
  /** cells × d, row-major */
  values: ArrayLike<number>;
  cells: number;
}

/** Per-gene mean and unbiased variance of a group (two cells at least). */
function moments(g: CellGroup, d: number): { mean: Float64Array; variance: Float64Array } {
  if (g.cells < 2) throw new RangeError(`Welch t: a group of ${g.cells} cell(s) has no variance; two at least`);
  const mean = new Float64Array(d),
    variance = new Float64Array(d);
  for (let c = 0; c < g.cells; c++) for (let j = 0; j < d; j++) mean[j]! += g.values[c * d + j]!;
  for (let j = 0; j < d; j++) mean[j]! /= g.cells;
  for (let c = 0; c < g.cells; c++) for (let j = 0; j < d; j++) variance[j]! += (g.values[c * d + j]! - mean[j]!) ** 2;
  for (let j = 0; j < d; j++) variance[j]! /= g.cells - 1;
  return { mean, variance };
}

/**
 * Welch's t of each of d genes for the shift from group a (e.g. the control) to group b. A gene constant in both
 * groups gets 0 when its means agree and ±Infinity when they differ.
 */
export function welchShiftT(a: CellGroup, b: CellGroup, d: number): Float64Array {
  const ma = moments(a, d),
    mb = moments(b, d);
  const t = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const diff = mb.mean[j]! - ma.mean[j]!,
      se = Math.sqrt(ma.variance[j]! / a.cells + mb.variance[j]! / b.cells);
    t[j] = se > 0 ? diff / se : diff === 0 ? 0 : diff * Infinity;
  }
  return t;
}
