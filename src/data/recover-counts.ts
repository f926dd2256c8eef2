import { InputError } from '../core/errors.ts';
// Integer counts back from a log-normalised matrix. Most public Perturb-seq files ship X = log1p(counts · s / L):
// counts scaled to a target sum s (1e4, "CP10k") by each cell's library size L, then log1p. The counts are recoverable
// whenever the cell's scale is known or implied, and the measurement model needs them.
//   'implied': per cell, x = expm1(X); the smallest non-zero x is one count times the cell's scale, unless the cell
//              has no count of 1; so counts = k · x / min(x>0) for the smallest k = 1, 2, … that makes every entry an
//              integer (within `tolerance`). Exact for files written this way whatever s and L were.
//   library:    counts = x · L / s with L from an obs column (e.g. 'ncounts') and the target sum s; exact only when L is
//              the library size the file was normalised with (often it is not: a filtered gene set changes it).
// Either way every recovered value is checked to be an integer, and a failure names the cell and the deviation.

export type CountsFrom = { method: 'implied' } | { method: 'library'; key: string; scale: number };

export interface RecoveredCounts {
  counts: Float32Array;
  /** Largest |value − nearest integer| before rounding, over all entries. */
  maxDeviation: number;
  /** Cells per multiplier k (implied method; index k − 1). */
  multipliers: number[];
}

export const COUNT_TOLERANCE = 0.05;
const MAX_MULTIPLIER = 10;

/** `--counts-from` text: 'implied' or 'obs:<column>' (library sizes; scale from `scale`, default 1e4). */
export function parseCountsFrom(s: string, scale = 1e4): CountsFrom {
  if (s === 'implied') return { method: 'implied' };
  const m = /^obs:(.+)$/.exec(s);
  if (m) return { method: 'library', key: m[1]!, scale };
  throw new InputError(
    `--counts-from '${s}': use 'implied' (each cell's scale from its smallest value) or 'obs:<column>' (library sizes, e.g. obs:ncounts)`,
  );
}

export function countsFromLog1p(
  X: ArrayLike<number>,
  cells: number,
  d: number,
  from: CountsFrom,
  o: { library?: ArrayLike<number | string>; cellNames?: readonly string[]; where?: string; tolerance?: number } = {},
): RecoveredCounts {
  const where = o.where ?? 'data',
    tol = o.tolerance ?? COUNT_TOLERANCE,
    counts = new Float32Array(cells * d),
    multipliers = new Array<number>(MAX_MULTIPLIER).fill(0),
    x = new Float64Array(d);
  const cellName = (c: number) => (o.cellNames ? `'${o.cellNames[c]}'` : `${c}`);
  let maxDeviation = 0;
  for (let c = 0; c < cells; c++) {
    let unit = Infinity;
    for (let g = 0; g < d; g++) {
      const v = X[c * d + g]!;
      if (v < 0)
        throw new InputError(
          `${where}: cell ${cellName(c)} has a negative value (${v}) at gene ${g}; X is not log1p of counts, so no counts can be recovered`,
        );
      x[g] = Math.expm1(v);
      if (x[g]! > 0 && x[g]! < unit) unit = x[g]!;
    }
    if (unit === Infinity) continue; // an all-zero cell: zero counts
    let scale: number, dev: number;
    if (from.method === 'library') {
      const L = Number(o.library![c]);
      if (!(L > 0))
        throw new InputError(
          `${where}: obs['${from.key}'] of cell ${cellName(c)} is ${o.library![c]}, not a positive library size`,
        );
      scale = L / from.scale;
      dev = deviation(x, d, scale);
    } else {
      // the first multiplier that makes the cell integral, or the closest one for the failure message
      let best = { k: 1, dev: Infinity };
      for (let k = 1; k <= MAX_MULTIPLIER && best.dev > tol; k++) {
        const dk = deviation(x, d, k / unit);
        if (dk < best.dev) best = { k, dev: dk };
      }
      multipliers[best.k - 1]!++;
      scale = best.k / unit;
      dev = best.dev;
    }
    if (dev > tol)
      throw new InputError(
        from.method === 'library'
          ? `${where}: expm1(X) · obs['${from.key}'] / ${from.scale} is not an integer count in cell ${cellName(c)} (off by ${dev.toFixed(3)}); that column is not the library size the file was normalised with (or the target sum differs): try --counts-from implied`
          : `${where}: no per-cell scale makes expm1(X) integer in cell ${cellName(c)} (off by ${dev.toFixed(3)} at best); X is not log1p of scaled counts (batch-corrected, scaled or rounded?), so counts cannot be recovered: fit the values as log1p instead`,
      );
    maxDeviation = Math.max(maxDeviation, dev);
    for (let g = 0; g < d; g++) counts[c * d + g] = Math.round(x[g]! * scale);
  }
  return { counts, maxDeviation, multipliers };
}

function deviation(x: Float64Array, d: number, scale: number): number {
  let worst = 0;
  for (let g = 0; g < d; g++) {
    const y = x[g]! * scale;
    worst = Math.max(worst, Math.abs(y - Math.round(y)));
  }
  return worst;
}
