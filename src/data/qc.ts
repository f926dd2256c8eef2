// Quality control as the reference's preprocessing does it (spec §8): genes seen in too few cells, cells with too few
// or too many genes, too few or too many counts, or too high a mitochondrial fraction, and perturbations with too few
// cells are removed. Thresholds are options (defaults: Norman 2019); count-based cell filters apply to counts only.
import type { Screen } from './dataset.ts';
import { InputError } from '../core/errors.ts';

export interface QcThresholds {
  minCellsPerGene: number; // a gene must be non-zero in at least this many cells (200)
  minGenes: number; // a cell must express at least this many genes (20)
  maxGenes: number; // … and fewer than this many (6000)
  minCounts: number; // total counts above this (7500); counts data only
  maxCounts: number; // … and below this (∞)
  maxMitoPercent: number; // % counts in genes named MT-* below this (15); counts data only
  minCellsPerPerturbation: number; // environments with fewer cells are dropped (100); the control must survive
}

export const NORMAN_QC: QcThresholds = {
  minCellsPerGene: 200,
  minGenes: 20,
  maxGenes: 6000,
  minCounts: 7500,
  maxCounts: Infinity,
  maxMitoPercent: 15,
  minCellsPerPerturbation: 100,
};
/** No filtering at all (for data that were filtered upstream). */
export const NO_QC: QcThresholds = {
  minCellsPerGene: 0,
  minGenes: 0,
  maxGenes: Infinity,
  minCounts: -Infinity,
  maxCounts: Infinity,
  maxMitoPercent: Infinity,
  minCellsPerPerturbation: 1,
};

export interface QcReport {
  cellsIn: number;
  cellsOut: number;
  genesIn: number;
  genesOut: number;
  droppedPerturbations: { name: string; cells: number }[];
}

export function qcScreen(s: Screen, t: QcThresholds): { screen: Screen; report: QcReport } {
  const d = s.genes.length,
    counts = s.kind === 'counts';
  const mito = s.genes.map((g) => /^mt-/i.test(g));
  // cell filter first (as scanpy's filter_cells then filter_genes in the reference)
  const keptCells = s.envs.map((e) => {
    const keep: number[] = [];
    for (let c = 0; c < e.cells; c++) {
      let nGenes = 0,
        total = 0,
        mt = 0;
      for (let g = 0; g < d; g++) {
        const v = e.values[c * d + g]!;
        if (v !== 0) nGenes++;
        total += v;
        if (mito[g]) mt += v;
      }
      if (nGenes < t.minGenes || nGenes >= t.maxGenes) continue;
      if (
        counts &&
        (total <= t.minCounts || total >= t.maxCounts || (total > 0 && (100 * mt) / total >= t.maxMitoPercent))
      )
        continue;
      keep.push(c);
    }
    return keep;
  });
  if (keptCells.every((k) => k.length === 0)) {
    // Say which filter emptied the screen, with the numbers a user compares against the thresholds.
    const genesPerCell: number[] = [],
      totals: number[] = [];
    for (const e of s.envs)
      for (let c = 0; c < e.cells; c++) {
        let n = 0,
          t = 0;
        for (let g = 0; g < d; g++) {
          const v = e.values[c * d + g]!;
          if (v !== 0) n++;
          t += v;
        }
        genesPerCell.push(n);
        totals.push(t);
      }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    throw new InputError(
      `QC removed every cell: a cell must express ${t.minGenes}–${t.maxGenes} genes${counts ? ` and total more than ${t.minCounts} counts over the file's genes (MT < ${t.maxMitoPercent} %)` : ''}, ` +
        `but the median cell expresses ${med(genesPerCell)} of ${d} genes${counts ? ` with ${med(totals)} counts` : ''}; ` +
        `the norman thresholds expect whole-transcriptome counts: use --qc none for a gene panel or filtered data`,
    );
  }
  const cellsPerGene = new Float64Array(d);
  s.envs.forEach((e, k) => {
    for (const c of keptCells[k]!) for (let g = 0; g < d; g++) if (e.values[c * d + g] !== 0) cellsPerGene[g]!++;
  });
  const genes = Array.from({ length: d }, (_, g) => g).filter((g) => cellsPerGene[g]! >= t.minCellsPerGene);
  if (genes.length === 0)
    throw new InputError(
      `QC removed every gene (no gene is non-zero in ≥ ${t.minCellsPerGene} cells); lower --min-cells-per-gene`,
    );
  const dropped: QcReport['droppedPerturbations'] = [];
  const envs = s.envs.flatMap((e, k) => {
    const cells = keptCells[k]!;
    if (k > 0 && cells.length < t.minCellsPerPerturbation) {
      dropped.push({ name: e.name, cells: cells.length });
      return [];
    }
    if (k === 0 && cells.length < 2)
      throw new InputError(
        `QC left ${cells.length} control cells; loosen the cell thresholds (--min-counts, --max-mito, --min-genes)`,
      );
    const values = new Float32Array(cells.length * genes.length);
    cells.forEach((c, r) =>
      genes.forEach((g, j) => {
        values[r * genes.length + j] = e.values[c * d + g]!;
      }),
    );
    return [{ ...e, values, cells: cells.length }];
  });
  const cellsIn = s.envs.reduce((a, e) => a + e.cells, 0);
  return {
    screen: { ...s, genes: genes.map((g) => s.genes[g]!), envs },
    report: {
      cellsIn,
      cellsOut: envs.reduce((a, e) => a + e.cells, 0),
      genesIn: d,
      genesOut: genes.length,
      droppedPerturbations: dropped,
    },
  };
}
