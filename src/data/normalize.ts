import { InputError } from '../core/errors.ts';
// Library-size normalisation (spec §2, core.py::normalizer): x_norm = log1p(x / (libsize / target)), the library
// size summed over the modelled genes only, a zero library size dividing by 1. Every row of expm1(x_norm) then sums
// to `target` (1e4, "CP10k"). Gene selection normalises to the control median library size instead (spec §8).

export function librarySizes(values: ArrayLike<number>, cells: number, d: number): Float64Array {
  const out = new Float64Array(cells);
  for (let c = 0; c < cells; c++) {
    let s = 0;
    for (let g = 0; g < d; g++) s += values[c * d + g]!;
    out[c] = s;
  }
  return out;
}

export function normalizeLog1p(values: ArrayLike<number>, cells: number, d: number, target = 1e4): Float32Array {
  const lib = librarySizes(values, cells, d),
    out = new Float32Array(cells * d);
  for (let c = 0; c < cells; c++) {
    const div = lib[c]! > 0 ? lib[c]! / target : 1;
    for (let g = 0; g < d; g++) out[c * d + g] = Math.log1p(values[c * d + g]! / div);
  }
  return out;
}

export function median(xs: ArrayLike<number>): number {
  const s = Float64Array.from(xs).sort(),
    n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/** Index of the first value that is not a finite non-negative integer (a count), or −1. */
export function firstNonCount(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= 0) || !Number.isInteger(v)) return i;
  }
  return -1;
}

/** Where counts are required: every value must be a finite non-negative integer. Names the first offender. */
export function assertCounts(values: ArrayLike<number>, d: number, genes: readonly string[], where: string): void {
  const i = firstNonCount(values);
  if (i >= 0) {
    throw new InputError(
      `${where}: expected raw counts (non-negative integers) but cell ${Math.floor(i / d)}, gene '${genes[i % d]}' holds ${values[i]}; ` +
        `pass normalised data with --values log1p, or point --layer at the raw counts (e.g. layers['counts'])`,
    );
  }
}
