// Zeros back into log1p predictions: per-gene thresholds calibrated so that the model's control reproduces the
// observed control's zero fraction, and the decode that zeroes what falls below (and every negative value) and
// scales the kept values to keep each gene's sampled mean.
import { describe, it, expect } from 'vitest';
import { controlZeroThresholds, restoreZeros } from '../src/data/log1p-zeros.ts';
import { normalStream } from '../src/reference/philox.ts';
import { randomStream } from '../src/core/random-streams.ts';

describe('log1p zeros', () => {
  it("the model's control, decoded, has the observed control's zero fraction per gene", () => {
    const d = 3,
      nObs = 400,
      nSam = 1000;
    // observed: gene 0 zero in 75 % of cells, gene 1 in 20 %, gene 2 never
    const observed = new Float32Array(nObs * d);
    for (let c = 0; c < nObs; c++) {
      observed[c * d] = c % 4 === 0 ? 0.8 : 0;
      observed[c * d + 1] = c % 5 === 0 ? 0 : 1.2;
      observed[c * d + 2] = 2;
    }
    // sampled: a smooth bump around each gene's mean (no exact zeros, some negative)
    const z = normalStream(nSam * d, randomStream(7, 'scratch'));
    const sampled = Float32Array.from(z, (v, i) => [0.2, 1.0, 2][i % d]! + 0.5 * v);
    const tau = controlZeroThresholds(sampled, nSam, observed, nObs, d);
    expect(tau[2]).toBe(-Infinity);
    const decoded = restoreZeros(sampled, d, tau);
    const zeroShare = (g: number) => decoded.filter((v, i) => i % d === g && v === 0).length / nSam;
    expect(zeroShare(0)).toBeCloseTo(0.75, 3);
    expect(zeroShare(1)).toBeCloseTo(0.2, 3);
    expect(zeroShare(2)).toBe(Array.from(sampled).filter((v, i) => i % d === 2 && v < 0).length / nSam);
    expect(decoded.every((v) => v >= 0)).toBe(true);
    // the threshold sits at the quantile: halfway between the sampled values on either side of it
    const col0 = Array.from(sampled)
      .filter((_, i) => i % d === 0)
      .sort((a, b) => a - b);
    expect(tau[0]).toBeCloseTo((col0[749]! + col0[750]!) / 2, 6);
  });
  it('zeros where the values fall below the threshold (or below 0); the kept ones scaled to keep each mean', () => {
    const tau = Float32Array.of(0.3, -Infinity);
    // 3 cells × 2 genes; gene 0: −0.2, 0.29 → 0, 2 kept; gene 1: −0.01 → 0, 0.49 and 3 kept
    const y = restoreZeros(Float32Array.of(-0.2, 0.49, 0.29, -0.01, 2, 3), 2, tau);
    const mean0 = (-0.2 + 0.29 + 2) / 3,
      mean1 = (0.49 - 0.01 + 3) / 3;
    expect(y[0]).toBe(0);
    expect(y[2]).toBe(0);
    expect(y[3]).toBe(0);
    expect(y[4]).toBeCloseTo(3 * mean0, 5); // the one kept value carries the gene's mean
    expect((y[1]! + y[5]!) / 3).toBeCloseTo(mean1, 5);
    expect(y[5]! / y[1]!).toBeCloseTo(3 / 0.49, 4); // kept values keep their ratios
    // a gene whose sampled mean is not positive is all zeros
    expect(Array.from(restoreZeros(Float32Array.of(-0.5, 0.2), 1, Float32Array.of(-Infinity)))).toEqual([0, 0]);
  });
});
