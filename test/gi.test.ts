// Genetic-interaction scores: distance correlation against a NumPy double-centring reference, Theil–Sen against
// exact cases and gross outliers, and the constructed doubles of known type (issue: additive, synergy, epistasis,
// neomorphism).
import { describe, it, expect } from 'vitest';
import { distanceCorrelation } from '../src/stats/dcor.ts';
import { theilSen2, spatialMedian2 } from '../src/stats/theil-sen.ts';
import { giScores, classifyInteraction, giAgreement, giDelta } from '../src/metrics/gi.ts';
import { scratchRng } from '../src/reference/rng.ts';

const rng = scratchRng(21);
const randn = (n: number) => Float64Array.from({ length: n }, () => rng.normal());

describe('distance correlation', () => {
  it('equals the NumPy reference (double-centred V-statistic) on fixed data', () => {
    const x = [0.3, -1.2, 2.5, 0.0, 1.1, -0.7, 0.9, 3.3],
      y = [1.0, 0.2, -0.5, 2.2, 0.1, 0.4, -1.9, 0.8];
    const z = [
      [0.3, 1.0],
      [-1.2, 0.5],
      [2.5, 2.0],
      [0.0, -1.0],
      [1.1, 0.0],
      [-0.7, 0.7],
      [0.9, -0.3],
      [3.3, 1.5],
    ].flat();
    expect(distanceCorrelation(x, 1, y, 1)).toBeCloseTo(0.5035221990104345, 12);
    expect(distanceCorrelation(z, 2, y, 1)).toBeCloseTo(0.5527965846169197, 12);
    expect(
      distanceCorrelation(
        x.map((v) => v * v),
        1,
        x,
        1,
      ),
    ).toBeCloseTo(0.8937648133636366, 12);
  });
  it('is 1 for a linear function, symmetric, and near 0 for independent samples', () => {
    const x = randn(300);
    expect(
      distanceCorrelation(
        x,
        1,
        x.map((v) => 2 * v + 1),
        1,
      ),
    ).toBeCloseTo(1, 12);
    const y = randn(300);
    expect(distanceCorrelation(x, 1, y, 1)).toBeCloseTo(distanceCorrelation(y, 1, x, 1), 12);
    expect(distanceCorrelation(x, 1, y, 1)).toBeLessThan(0.15);
  });
});

describe('Theil–Sen without intercept', () => {
  it('is exact on noiseless data and ignores 20 % gross outliers that least squares does not', () => {
    const n = 120,
      a = randn(n),
      b = randn(n);
    const y = a.map((v, i) => 1.5 * v - 0.7 * b[i]!);
    const [c1, c2] = theilSen2(a, b, y);
    expect(c1).toBeCloseTo(1.5, 8);
    expect(c2).toBeCloseTo(-0.7, 8);
    const noisy = y.map((v, i) => v + 0.05 * rng.normal() + (i % 5 === 0 ? 25 + 10 * rng.uniform() : 0));
    const [t1, t2] = theilSen2(a, b, noisy);
    expect(Math.abs(t1 - 1.5)).toBeLessThan(0.15);
    expect(Math.abs(t2 + 0.7)).toBeLessThan(0.15);
    // least squares (normal equations) on the same data
    let saa = 0,
      sab = 0,
      sbb = 0,
      say = 0,
      sby = 0;
    for (let i = 0; i < n; i++) {
      saa += a[i]! ** 2;
      sab += a[i]! * b[i]!;
      sbb += b[i]! ** 2;
      say += a[i]! * noisy[i]!;
      sby += b[i]! * noisy[i]!;
    }
    const det = saa * sbb - sab * sab,
      l1 = (say * sbb - sab * sby) / det,
      l2 = (saa * sby - sab * say) / det;
    expect(Math.hypot(l1 - 1.5, l2 + 0.7)).toBeGreaterThan(1);
  });
  it('random subsets past maxSubpopulation are seeded and still accurate', () => {
    const n = 600,
      a = randn(n),
      b = randn(n),
      y = a.map((v, i) => v + 2 * b[i]! + 0.01 * rng.normal());
    const r1 = theilSen2(a, b, y, { maxSubpopulation: 5000, seed: 3 }),
      r2 = theilSen2(a, b, y, { maxSubpopulation: 5000, seed: 3 });
    expect(r1).toEqual(r2);
    expect(Math.abs(r1[0] - 1)).toBeLessThan(0.02);
    expect(Math.abs(r1[1] - 2)).toBeLessThan(0.02);
  });
  it('spatial median of symmetric points is their centre, even when the centre is a data point', () => {
    expect(spatialMedian2(Float64Array.from([1, 0, -1, 0, 0, 1, 0, -1, 0, 0]))).toEqual([
      expect.closeTo(0, 9),
      expect.closeTo(0, 9),
    ]);
  });
});

describe('interaction scores and types of constructed doubles', () => {
  const n = 200,
    a = randn(n),
    b = randn(n);
  it('additive: c ≈ (1, 1), mag ≈ √2, ts_linear_dcor ≈ 1, type additive', () => {
    const s = giScores(
      a,
      b,
      a.map((v, i) => v + b[i]!),
    );
    expect(s.ts_coef_first).toBeCloseTo(1, 6);
    expect(s.ts_coef_second).toBeCloseTo(1, 6);
    expect(s.mag).toBeCloseTo(Math.SQRT2, 6);
    expect(s.ts_linear_dcor).toBeCloseTo(1, 6);
    expect(s.dominance).toBeCloseTo(0, 6);
    const c = classifyInteraction(s);
    expect(c.additive && !c.synergy && !c.suppression && !c.neomorphism && !c.epistasis).toBe(true);
  });
  it('synergy: δ_ab = 2(δ_a + δ_b) doubles mag', () => {
    const s = giScores(
      a,
      b,
      a.map((v, i) => 2 * (v + b[i]!)),
    );
    expect(s.mag).toBeCloseTo(2 * Math.SQRT2, 6);
    expect(classifyInteraction(s).synergy).toBe(true);
  });
  it('epistasis: δ_ab = δ_a gives a small dcor_ratio', () => {
    const s = giScores(a, b, a);
    expect(s.dcor_ratio).toBeLessThan(0.3);
    expect(classifyInteraction(s).epistasis).toBe(true);
  });
  it('neomorphism: δ_ab independent of both singles gives a small ts_linear_dcor', () => {
    const s = giScores(a, b, randn(n));
    expect(s.ts_linear_dcor).toBeLessThan(0.4);
    expect(classifyInteraction(s).neomorphism).toBe(true);
  });
  it('agreement of predicted with observed scores: identical → errors 0, accuracy 1', () => {
    const t = [
      giScores(
        a,
        b,
        a.map((v, i) => v + b[i]!),
      ),
      giScores(a, b, a),
    ];
    const same = giAgreement(t, t);
    expect(same.se_mag).toBe(0);
    expect(same.agreement).toBe(1);
    const swapped = giAgreement(t, [t[1]!, t[0]!]);
    expect(swapped.agreement).toBeLessThan(1);
    expect(swapped.perType.additive.rec).toBe(0);
  });
  it('deltas: z-scored against the control, std 0 → 1, expm1 for log1p data', () => {
    const ctrl = {
      values: Float32Array.from([0, 1, 0, 1, 0, 1, 0, 1].map((v, i) => (i % 2 ? 1 : v + (i % 4 === 0 ? 1 : -1)))),
      n: 4,
    }; // gene 0: ±1, gene 1: constant 1
    const x = { values: Float32Array.from([3, 2, 3, 2]), n: 2 };
    expect(Array.from(giDelta(x, ctrl, 2, [0, 1], false))).toEqual([3, 1]);
    const dl = giDelta(
      { values: Float32Array.from([Math.log1p(3), Math.log1p(1)]), n: 1 },
      { values: Float32Array.from([0, 0, Math.log1p(2), 0]), n: 2 },
      2,
      [0, 1],
      true,
    );
    expect(dl[0]).toBeCloseTo((3 - 1) / 1, 6); // de-logged control gene 0: {0, 2} → mean 1, sd 1
    expect(dl[1]).toBeCloseTo(1, 6); // constant control (sd 0 → 1)
  });
});
