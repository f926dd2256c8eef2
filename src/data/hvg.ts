// Highly variable genes, scanpy's flavor="seurat" (spec §8): on log1p data, per gene the mean and variance (ddof 1)
// of expm1(x); dispersion = var/mean, log-transformed (0 → NaN); mean → log1p(mean); genes binned into 20 equal-width
// bins of the mean (pandas.cut); dispersions_norm = (dispersion − bin mean)/bin std (ddof 1), a one-gene bin
// giving 1. NaN dispersions sort last.

export interface HvgStats {
  means: Float64Array;
  dispersions: Float64Array;
  dispersionsNorm: Float64Array;
}

export function hvgSeurat(log1p: ArrayLike<number>, cells: number, d: number, nBins = 20): HvgStats {
  const mean = new Float64Array(d),
    sq = new Float64Array(d);
  for (let c = 0; c < cells; c++)
    for (let g = 0; g < d; g++) {
      const v = Math.expm1(log1p[c * d + g]!);
      mean[g]! += v;
      sq[g]! += v * v;
    }
  const means = new Float64Array(d),
    dispersions = new Float64Array(d);
  for (let g = 0; g < d; g++) {
    const m = mean[g]! / cells,
      v = cells > 1 ? (sq[g]! - cells * m * m) / (cells - 1) : 0;
    const disp = Math.max(v, 0) / (m === 0 ? 1e-12 : m);
    dispersions[g] = disp === 0 ? NaN : Math.log(disp);
    means[g] = Math.log1p(m);
  }
  // pandas.cut(bins=n): equal-width edges over [min, max], the lowest edge moved down by 0.1 % of the range
  let lo = Infinity,
    hi = -Infinity;
  for (const m of means) {
    lo = Math.min(lo, m);
    hi = Math.max(hi, m);
  }
  const width = (hi - lo) / nBins;
  const bin = Array.from(means, (m) =>
    width > 0 ? Math.min(nBins - 1, Math.max(0, Math.ceil((m - lo) / width) - 1)) : 0,
  );
  const sum = new Float64Array(nBins),
    sum2 = new Float64Array(nBins),
    cnt = new Float64Array(nBins);
  for (let g = 0; g < d; g++) {
    const x = dispersions[g]!;
    if (Number.isNaN(x)) continue;
    sum[bin[g]!]! += x;
    sum2[bin[g]!]! += x * x;
    cnt[bin[g]!]!++;
  }
  const dispersionsNorm = new Float64Array(d);
  for (let g = 0; g < d; g++) {
    const b = bin[g]!,
      n = cnt[b]!,
      x = dispersions[g]!;
    if (Number.isNaN(x) || n === 0) {
      dispersionsNorm[g] = NaN;
      continue;
    }
    let mu = sum[b]! / n,
      sd = n > 1 ? Math.sqrt(Math.max(0, (sum2[b]! - n * mu * mu) / (n - 1))) : NaN;
    if (Number.isNaN(sd)) {
      sd = mu;
      mu = 0;
    } // scanpy: one gene in the bin → normalised to 1
    dispersionsNorm[g] = (x - mu) / sd;
  }
  return { means, dispersions, dispersionsNorm };
}

/** Gene indices ordered by dispersions_norm, highest first, NaN last (stable). */
export function hvgOrder(s: HvgStats): number[] {
  const key = (g: number) => (Number.isNaN(s.dispersionsNorm[g]!) ? -Infinity : s.dispersionsNorm[g]!);
  return Array.from(s.dispersionsNorm, (_, g) => g).sort((a, b) => key(b) - key(a) || a - b);
}
