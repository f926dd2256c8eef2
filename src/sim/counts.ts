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
