// Mean and sample standard deviation of a few readings (over seeds, folds or runs), as the benchmarks report them.

/** Mean and sample standard deviation (n − 1; 0 for a single value) of xs. */
export function meanSd(xs: readonly number[]): { mean: number; sd: number } {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean: m, sd };
}
