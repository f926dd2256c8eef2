import { describe, it, expect } from 'vitest';
import { poisson, measureCounts, gamma, beta } from '../src/sim/counts.ts';
import { scratchRng } from '../src/reference/rng.ts';

describe('gamma and beta draws (negative-binomial mixing, perturbation efficiency)', () => {
  const moments = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return { m, v: xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1) };
  };
  it.each([0.3, 1, 2.5, 5, 40])('Gamma(%s, 1): mean k and variance k within sampling error', (k) => {
    const rng = scratchRng(11),
      n = 40000;
    const xs = Array.from({ length: n }, () => gamma(k, rng));
    const { m, v } = moments(xs);
    expect(xs.every((x) => x > 0)).toBe(true);
    expect(Math.abs(m - k)).toBeLessThan(5 * Math.sqrt(k / n));
    // Var of the sample variance ≈ (μ4 − σ⁴)/n with μ4 = 3k² + 6k for Gamma(k, 1)
    expect(Math.abs(v - k)).toBeLessThan(5 * Math.sqrt((2 * k * k + 6 * k) / n));
  });
  it('Beta(a, b): mean a/(a+b) and variance ab/((a+b)²(a+b+1))', () => {
    const rng = scratchRng(12),
      n = 40000,
      [a, b] = [6.4, 1.6];
    const { m, v } = moments(Array.from({ length: n }, () => beta(a, b, rng)));
    const mean = a / (a + b),
      variance = (a * b) / ((a + b) ** 2 * (a + b + 1));
    expect(Math.abs(m - mean)).toBeLessThan(5 * Math.sqrt(variance / n));
    expect(Math.abs(v - variance) / variance).toBeLessThan(0.05);
  });
  it('refuses a non-positive shape', () => {
    expect(() => gamma(0, scratchRng(1))).toThrow(/shape must be positive/);
  });
});

describe('Poisson and zero-inflated count measurement', () => {
  it.each([0.01, 0.5, 5, 29, 31, 100, 1000])('Poisson(%s): mean and variance within sampling error', (lam) => {
    const rng = scratchRng(7);
    const n = 40000;
    const xs = Array.from({ length: n }, () => poisson(lam, rng));
    const m = xs.reduce((a, b) => a + b, 0) / n;
    const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1);
    expect(xs.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
    expect(Math.abs(m - lam)).toBeLessThan(5 * Math.sqrt(lam / n));
    // Var of the sample variance ≈ (μ4 − σ⁴)/n with μ4 = λ + 3λ² for the Poisson.
    expect(Math.abs(v - lam)).toBeLessThan(5 * Math.sqrt((lam + 2 * lam * lam) / n));
  });

  it('zero inflation: mean u·softplus(s)·(1 − π) and the zero fraction', () => {
    const n = 20000;
    const latent = {
      genes: ['a'],
      kind: 'latent' as const,
      envs: [{ name: 'ctrl', targets: [], cells: n, values: new Float32Array(n).fill(2) }],
    };
    const c = measureCounts(latent, { unitScale: Float64Array.of(5), zeroProb: Float64Array.of(0.3) }, 1).envs[0]!
      .values;
    const lam = 5 * Math.log1p(Math.exp(2));
    const mean = c.reduce((a, b) => a + b, 0) / n;
    expect(Math.abs(mean - lam * 0.7)).toBeLessThan(0.1);
    const zeros = c.filter((x) => x === 0).length / n;
    expect(Math.abs(zeros - (0.3 + 0.7 * Math.exp(-lam)))).toBeLessThan(0.015);
  });
});
