// The implication test: does a predicted causal effect t → j imply that j is differentially expressed when t is
// perturbed, on perturbations held out of training? It is how a causal matrix is validated where no true graph
// exists (the method's reference analysis, written here from its description).
//   P (predicted)  |a[t][j]| > τ_q, τ_q the q-quantile of |a| off the diagonal over the rows the model read for
//                  genes that are not held out (the threshold never sees the held-out rows: no selection bias)
//   Q (observed)   j is DE in the held-out cells of t against the control (the project's DE: two-sided
//                  Mann–Whitney per gene, Benjamini–Hochberg, adjusted p < 0.05)
// over every pair (t held out, j ≠ t). Reported per q: the table n11, n1·, n·1, n; precision P(Q | P) with its
// Wilson 95 % interval; the base rate P(Q); lift = P(Q | P)/P(Q) with a 95 % percentile bootstrap interval over
// pairs (1,000 resamples, stream 'analysis.bootstrap'); and the one-sided Fisher exact p (P raises the chance of
// Q), the hypergeometric upper tail of n11 given the margins.
import { Rng } from '../reference/rng.ts';
import { randomStream } from '../core/random-streams.ts';
import { hypergeometricUpperTail } from '../stats/gene-sets.ts';

export const IMPLICATION_QUANTILES = [0.5, 0.75, 0.9, 0.95] as const;

export interface ImplicationRow {
  /** Which matrix predicted (e.g. 'causal matrix', 'training DE'). */
  predictor: string;
  quantile: number;
  threshold: number;
  n11: number;
  /** Predicted effects, DE calls, pairs. */
  predicted: number;
  de: number;
  pairs: number;
  precision: number;
  precisionLow: number;
  precisionHigh: number;
  baseRate: number;
  lift: number;
  liftLow: number;
  liftHigh: number;
  fisherP: number;
}

/** Wilson score interval of a proportion k/n at 95 % (statsmodels proportion_confint(method='wilson')). */
export function wilsonInterval(k: number, n: number, z = 1.959963984540054): [number, number] {
  if (n === 0) return [NaN, NaN];
  const p = k / n,
    den = 1 + (z * z) / n,
    mid = (p + (z * z) / (2 * n)) / den,
    half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / den;
  return [Math.max(0, mid - half), Math.min(1, mid + half)];
}

/** The q-quantile (linear interpolation, numpy's default) of the finite values. */
export function quantile(xs: ArrayLike<number>, q: number): number {
  const v = Array.from(xs)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  if (!v.length) return NaN;
  const h = (v.length - 1) * q,
    lo = Math.floor(h);
  return v[lo]! + (h - lo) * ((v[Math.min(lo + 1, v.length - 1)] ?? v[lo]!) - v[lo]!);
}

/** Lift of boolean pairs (1 where undefined, as the reference). */
function lift(p: Uint8Array, q: Uint8Array, idx: ArrayLike<number>): number {
  let n1 = 0,
    n11 = 0,
    nq = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    n1 += p[i]!;
    nq += q[i]!;
    n11 += p[i]! & q[i]!;
  }
  return n1 === 0 || nq === 0 ? 1 : n11 / n1 / (nq / idx.length);
}

/** The implication table of boolean pairs P → Q; `stream` picks the bootstrap's stream coordinates. */
export function implicationStats(
  p: Uint8Array,
  q: Uint8Array,
  o: { seed?: number; a?: number; b?: number; resamples?: number } = {},
): Omit<ImplicationRow, 'predictor' | 'quantile' | 'threshold'> {
  const n = p.length;
  let n11 = 0,
    n1 = 0,
    nq = 0;
  for (let i = 0; i < n; i++) {
    n1 += p[i]!;
    nq += q[i]!;
    n11 += p[i]! & q[i]!;
  }
  const [lo, hi] = wilsonInterval(n11, n1);
  const rng = new Rng(randomStream(o.seed ?? 0, 'analysis.bootstrap', o.a ?? 0, o.b ?? 0));
  const R = o.resamples ?? 1000,
    lifts = new Float64Array(R),
    idx = new Uint32Array(n);
  for (let r = 0; r < R; r++) {
    for (let i = 0; i < n; i++) idx[i] = rng.int(n);
    lifts[r] = lift(p, q, idx);
  }
  return {
    n11,
    predicted: n1,
    de: nq,
    pairs: n,
    precision: n1 ? n11 / n1 : NaN,
    precisionLow: lo,
    precisionHigh: hi,
    baseRate: n ? nq / n : NaN,
    lift: lift(
      p,
      q,
      Uint32Array.from({ length: n }, (_, i) => i),
    ),
    liftLow: quantile(lifts, 0.025),
    liftHigh: quantile(lifts, 0.975),
    fisherP: n1 && nq ? hypergeometricUpperTail(n11, n, nq, n1) : 1,
  };
}

export interface ImplicationInput {
  /** Name of the predictor, for the table. */
  predictor: string;
  /** d×d, row t = predicted effects of perturbing gene t. */
  effects: ArrayLike<number>;
  d: number;
  /** Rows that hold predictions (genes the model read); the threshold uses those not held out. */
  rows: readonly number[];
  /** Held-out perturbed genes and, for each, the DE call of every gene (length d). */
  heldOut: { gene: number; de: ArrayLike<boolean> }[];
  quantiles?: readonly number[];
  seed?: number;
  /** Bootstrap stream coordinate b (one per predictor). */
  stream?: number;
}

/** One row per quantile threshold. Held-out genes without a row of predictions must be left out by the caller. */
export function implicationTest(x: ImplicationInput): ImplicationRow[] {
  const { d, effects } = x,
    held = new Set(x.heldOut.map((h) => h.gene));
  const pool: number[] = [];
  for (const t of x.rows)
    if (!held.has(t)) for (let j = 0; j < d; j++) if (j !== t) pool.push(Math.abs(effects[t * d + j]!));
  const pairs = x.heldOut.length * (d - 1),
    q = new Uint8Array(pairs);
  let k = 0;
  for (const h of x.heldOut) for (let j = 0; j < d; j++) if (j !== h.gene) q[k++] = h.de[j] ? 1 : 0;
  return (x.quantiles ?? IMPLICATION_QUANTILES).map((qu, a) => {
    const threshold = quantile(pool, qu),
      p = new Uint8Array(pairs);
    let i = 0;
    for (const h of x.heldOut)
      for (let j = 0; j < d; j++) if (j !== h.gene) p[i++] = Math.abs(effects[h.gene * d + j]!) > threshold ? 1 : 0;
    return {
      predictor: x.predictor,
      quantile: qu,
      threshold,
      ...implicationStats(p, q, { seed: x.seed, a, b: x.stream ?? 0 }),
    };
  });
}
