// Linear-SDE simulator and the f64 linear algebra under it (spec §16.1–16.2).
import { describe, it, expect } from 'vitest';
import * as la from '../src/reference/linalg.ts';
import { scratchRng } from '../src/reference/rng.ts';
import { linearScreen, stationaryMean } from '../src/sim/linear.ts';
import { makeGraph } from '../src/sim/graphs.ts';

const maxAbs = (x: Float64Array) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe('f64 linear algebra', () => {
  it('eigenvalues of a matrix with a known spectrum (real and complex pairs), up to similarity', () => {
    const n = 6;
    // Block-diagonal: 2×2 rotation-scaling blocks (a ± ib) and reals, then a random similarity transform.
    const D = new Float64Array(n * n);
    const blocks: [number, number][] = [
      [-0.5, 2],
      [-3, 0.7],
    ];
    blocks.forEach(([a, b], k) => {
      const o = 2 * k;
      D[o * n + o] = a;
      D[o * n + o + 1] = b;
      D[(o + 1) * n + o] = -b;
      D[(o + 1) * n + o + 1] = a;
    });
    D[4 * n + 4] = -1.25;
    D[5 * n + 5] = 4;
    const rng = scratchRng(3);
    const P = Float64Array.from({ length: n * n }, () => rng.normal());
    const M = la.matmul(la.matmul(P, D, n, n, n), la.inverse(P, n), n, n, n);
    const { re, im } = la.eigenvalues(M, n);
    const got = Array.from(re, (r, i) => [r, Math.abs(im[i]!)]).sort((x, y) => x[0]! - y[0]! || x[1]! - y[1]!);
    const want = [
      [-3, 0.7],
      [-3, 0.7],
      [-1.25, 0],
      [-0.5, 2],
      [-0.5, 2],
      [4, 0],
    ];
    got.forEach(([r, i], k) => {
      expect(r).toBeCloseTo(want[k]![0]!, 9);
      expect(i).toBeCloseTo(want[k]![1]!, 9);
    });
  });

  it('LU solve, inverse and Cholesky reconstruct; singular input is refused', () => {
    const n = 5,
      rng = scratchRng(1);
    const a = Float64Array.from({ length: n * n }, () => rng.normal());
    const x = Float64Array.from({ length: n }, () => rng.normal());
    const b = la.matmul(a, x, n, n, 1);
    expect(maxAbs(la.solve(a, b, n).map((v, i) => v - x[i]!))).toBeLessThan(1e-12);
    const spd = la.matmul(a, a, n, n, n, false, true).map((v, i) => v + (i % (n + 1) === 0 ? 1 : 0));
    const L = la.cholesky(spd, n);
    expect(maxAbs(la.matmul(L, L, n, n, n, false, true).map((v, i) => v - spd[i]!))).toBeLessThan(1e-12);
    expect(() => la.luFactor(new Float64Array(4), 2)).toThrow(/singular/);
  });

  it('Lyapunov: A S + S Aᵀ + Q = 0 to round-off', () => {
    const n = 30,
      rng = scratchRng(2);
    const a = Float64Array.from({ length: n * n }, () => rng.normal() * 0.3);
    const shift = la.maxRealEig(a, n) + 1;
    for (let i = 0; i < n; i++) a[i * n + i]! -= shift;
    const q = la.eye(n);
    const s = la.lyapunov(a, q, n);
    const r = la.matmul(a, s, n, n, n).map((v, i) => v + la.matmul(s, a, n, n, n, false, true)[i]! + q[i]!);
    expect(maxAbs(r) / maxAbs(s)).toBeLessThan(1e-11);
  });
});

describe('linear SDE screens', () => {
  it('stabilisation puts max Re eig(W) at −0.5 to machine precision', () => {
    const { params } = linearScreen({ d: 40, perturbed: 5, cellsPerEnv: 10, seed: 4 });
    expect(Math.abs(la.maxRealEig(params.aCausal, 40) + 0.5)).toBeLessThan(1e-10);
  });

  it('ER graphs have expected degree 10 and the (−1, 0, +1) class balance of §16.2', () => {
    const d = 100;
    let edges = 0;
    for (let s = 0; s < 5; s++) edges += makeGraph('er', d, 10, scratchRng(s)).reduce((a, b) => a + b, 0);
    expect(edges / 5 / d).toBeGreaterThan(9);
    expect(edges / 5 / d).toBeLessThan(11);
    const sfo = makeGraph('sfo', d, 10, scratchRng(1));
    const outDeg = Array.from({ length: d }, (_, i) => sfo.slice(i * d, i * d + d).reduce((a, b) => a + b, 0));
    expect(Math.max(...outDeg)).toBeGreaterThan(4 * 10); // hubs with many outgoing edges
  });

  it('sample covariance matches the Lyapunov solution and sample means the stationary mean', () => {
    const d = 8;
    const { screen, params, perturbed } = linearScreen({ d, degree: 3, perturbed: 2, cellsPerEnv: 20000, seed: 5 });
    const env = screen.envs[1]!;
    const j = perturbed[0]!;
    expect(env.targets).toEqual([screen.genes[j]]);
    const mu = stationaryMean(params, [j]);
    const n = env.cells;
    const mean = new Float64Array(d);
    for (let c = 0; c < n; c++) for (let i = 0; i < d; i++) mean[i]! += env.values[c * d + i]! / n;
    const cov = new Float64Array(d * d);
    for (let c = 0; c < n; c++)
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++)
          cov[i * d + j]! += ((env.values[c * d + i]! - mean[i]!) * (env.values[c * d + j]! - mean[j]!)) / (n - 1);
    for (let i = 0; i < d; i++) {
      expect(Math.abs(mean[i]! - mu[i]!)).toBeLessThan(5 * Math.sqrt(params.S[i * d + i]! / n));
      for (let j = 0; j < d; j++) {
        const se = Math.sqrt((params.S[i * d + i]! * params.S[j * d + j]! + params.S[i * d + j]! ** 2) / n);
        expect(Math.abs(cov[i * d + j]! - params.S[i * d + j]!)).toBeLessThan(5 * se);
      }
    }
    // Stationarity of the mean: A μ + b + c = 0.
    const r = la.matmul(params.A, mu, d, d, 1).map((v, i) => v + params.b[i]! + (i === j ? params.shifts[i]! : 0));
    expect(maxAbs(r)).toBeLessThan(1e-10);
  });
});
