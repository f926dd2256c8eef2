// Count measurement of latent states (spec §3.1 sampling): x_g ~ Poisson(u_g · softplus(s_g)), then zeroed with
// probability π_g (zero inflation). Used to make count-valued synthetic screens for the measurement model.
import { Rng } from '../reference/rng.ts';
import { softplus, logFactorial, ptrsTry } from '../reference/scalar.ts';
import type { Screen } from '../data/dataset.ts';
import { randomStream } from '../core/random-streams.ts';

/**
 * Poisson(λ) draw: inversion by sequential search for λ < 30 (exact, O(λ)); for larger λ the PTRS transformed
 * rejection of Hörmann (1993), exact for every λ ≥ 10.
 */
/**
 * Gamma(shape, 1) draw: Marsaglia & Tsang (2000) squeeze for shape ≥ 1; for shape < 1 the draw at shape + 1 times
 * U^(1/shape) (their boosting identity).
 */
export function gamma(shape: number, rng: Rng): number {
  if (!(shape > 0)) throw new RangeError(`gamma: shape must be positive, got ${shape}`);
  if (shape < 1) return gamma(shape + 1, rng) * rng.uniform() ** (1 / shape);
  const dd = shape - 1 / 3,
    c = 1 / Math.sqrt(9 * dd);
  for (;;) {
    let x: number, v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.uniform();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + dd * (1 - v + Math.log(v))) return dd * v;
  }
}

/** Beta(a, b) draw as G_a / (G_a + G_b) with independent gamma draws. */
export function beta(a: number, b: number, rng: Rng): number {
  const x = gamma(a, rng),
    y = gamma(b, rng);
  return x / (x + y);
}

export function poisson(lambda: number, rng: Rng): number {
  if (!(lambda > 0)) return 0;
  if (lambda < 30) {
    let k = 0,
      p = Math.exp(-lambda),
      c = p;
    const u = rng.uniform();
    while (u > c && k < 1000) {
      k++;
      p *= lambda / k;
      c += p;
    }
    return k;
  }
  for (;;) {
    const k = ptrsTry(lambda, rng.uniform(), rng.uniform(), logFactorial);
    if (k >= 0) return k;
  }
}

export interface CountMeasurement {
  unitScale: Float64Array;
  zeroProb: Float64Array;
}

/** Counts of every environment's latent states; the screen's kind becomes 'counts'. */
export function measureCounts(latent: Screen, m: CountMeasurement, seed: number): Screen {
  const d = latent.genes.length;
  const rng = new Rng(randomStream(seed, 'sim.counts'));
  return {
    ...latent,
    kind: 'counts',
    envs: latent.envs.map((e) => ({
      ...e,
      values: Float32Array.from(e.values, (s, i) =>
        rng.bernoulli(m.zeroProb[i % d]!) ? (rng.uniform(), 0) : poisson(m.unitScale[i % d]! * softplus(s), rng),
      ),
    })),
  };
}
