// Welch's t statistic of every gene's mean shift between two groups of cells: (mean_b − mean_a) / √(s²_a/n_a +
// s²_b/n_b), with the groups' own variances (no equal-variance assumption: a perturbation changes a gene's spread as
// well as its mean). CLIPR's data gate (clipr/data-gate.ts) reads it as the evidence in the measured cells that a
// perturbation moves a gene at all.
import { geneMeans } from '../data/dataset.ts';

export interface CellGroup {
  /** cells × d, row-major */
  values: ArrayLike<number>;
  cells: number;
}

/** A group's per-gene mean and unbiased variance, and its size. */
export interface GroupMoments {
  mean: Float64Array;
  variance: Float64Array;
  cells: number;
}

/** Per-gene mean and unbiased variance of a group (two cells at least). */
export function groupMoments(g: CellGroup, d: number): GroupMoments {
  if (g.cells < 2) throw new RangeError(`Welch t: a group of ${g.cells} cell(s) has no variance; two at least`);
  const mean = geneMeans(g.values, g.cells, d),
    variance = new Float64Array(d);
  for (let c = 0; c < g.cells; c++) for (let j = 0; j < d; j++) variance[j]! += (g.values[c * d + j]! - mean[j]!) ** 2;
  for (let j = 0; j < d; j++) variance[j]! /= g.cells - 1;
  return { mean, variance, cells: g.cells };
}

/**
 * Welch's t of each gene for the shift from group a (e.g. the control) to group b, from their moments (so a
 * reference group compared with many is summarised once). A gene constant in both groups gets 0 when its means
 * agree and ±Infinity when they differ.
 */
export function welchT(a: GroupMoments, b: GroupMoments): Float64Array {
  const d = a.mean.length,
    t = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const diff = b.mean[j]! - a.mean[j]!,
      se = Math.sqrt(a.variance[j]! / a.cells + b.variance[j]! / b.cells);
    t[j] = se > 0 ? diff / se : diff === 0 ? 0 : diff * Infinity;
  }
  return t;
}

/** welchT of two groups of cells (cells × d, row-major). */
export const welchShiftT = (a: CellGroup, b: CellGroup, d: number): Float64Array =>
  welchT(groupMoments(a, d), groupMoments(b, d));
