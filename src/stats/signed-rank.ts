// Wilcoxon signed-rank test for paired differences, two-sided, as scipy.stats.wilcoxon with its defaults
// (zero_method 'wilcox': zero differences dropped; method 'auto'): the exact null distribution of W⁺ when at most 50
// non-zero differences remain and no |difference| is tied, the normal approximation otherwise (tie-corrected
// variance, no continuity correction). Used to say whether one method beats another over paired perturbations.
import { normalSf } from './rank-tests.ts';

export interface SignedRank {
  /** Differences left after dropping zeros. */
  n: number;
  /** Sum of the ranks of the positive differences. */
  wPlus: number;
  /** Two-sided p-value; NaN when no non-zero difference remains. */
  p: number;
  method: 'exact' | 'normal';
}

export function signedRankTest(diffs: ArrayLike<number>): SignedRank {
  const d = Array.from(diffs).filter((x) => x !== 0 && Number.isFinite(x));
  const n = d.length;
  if (n === 0) return { n, wPlus: NaN, p: NaN, method: 'exact' };
  // mid-ranks of |d|
  const order = d.map((_, i) => i).sort((a, b) => Math.abs(d[a]!) - Math.abs(d[b]!));
  const rank = new Float64Array(n);
  let tieTerm = 0,
    tied = false;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && Math.abs(d[order[j + 1]!]!) === Math.abs(d[order[i]!]!)) j++;
    const t = j - i + 1;
    if (t > 1) {
      tied = true;
      tieTerm += t * t * t - t;
    }
    for (let k = i; k <= j; k++) rank[order[k]!] = (i + j + 2) / 2;
    i = j + 1;
  }
  let wPlus = 0;
  d.forEach((x, i) => {
    if (x > 0) wPlus += rank[i]!;
  });
  const total = (n * (n + 1)) / 2;
  if (n <= 50 && !tied) {
    // counts[w] = number of sign patterns with W⁺ = w (subset sums of 1..n)
    const counts = new Float64Array(total + 1);
    counts[0] = 1;
    for (let r = 1; r <= n; r++) for (let w = total; w >= r; w--) counts[w]! += counts[w - r]!;
    const all = 2 ** n,
      lo = Math.min(wPlus, total - wPlus);
    let tail = 0;
    for (let w = 0; w <= lo; w++) tail += counts[w]!;
    return { n, wPlus, p: Math.min(1, (2 * tail) / all), method: 'exact' };
  }
  const mean = total / 2,
    sd = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48);
  const z = Math.abs(wPlus - mean) / sd;
  return { n, wPlus, p: Math.min(1, 2 * normalSf(z)), method: 'normal' };
}
