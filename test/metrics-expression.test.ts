import { describe, it, expect } from 'vitest';
import {
  rmseMeans,
  pearsonDelta,
  wasserstein1,
  w1Elementwise,
  systemaReference,
  columnMeans,
} from '../src/metrics/expression.ts';
import { scratchRng } from '../src/reference/rng.ts';

describe('expression metrics (spec §9)', () => {
  const cells = (rows: number[][]) => ({ values: rows.flat(), n: rows.length });

  it('rmse_m and Pearson delta on hand-computed cases, with gene subsets', () => {
    const pred = cells([
        [1, 2, 3],
        [3, 4, 5],
      ]),
      truth = cells([
        [2, 2, 2],
        [2, 2, 6],
      ]); // means [2,3,4] vs [2,2,4]
    expect(rmseMeans(pred, truth, 3)).toBeCloseTo(Math.sqrt(1 / 3), 14);
    expect(rmseMeans(pred, truth, 3, [0, 2])).toBe(0);
    // Deltas against ref [0,0,0] are the means; against ref = truth means the truth delta is 0 → undefined.
    expect(pearsonDelta(pred, truth, [0, 0, 0], 3)).toBeCloseTo(0.8660254037844387, 12);
    expect(pearsonDelta(cells([[1, 2, 3]]), cells([[2, 4, 6]]), [0, 0, 0], 3)).toBeCloseTo(1, 14);
    expect(
      Array.from(
        systemaReference(
          [
            [1, 2],
            [3, 6],
          ],
          2,
        ),
      ),
    ).toEqual([2, 4]);
    expect(Array.from(columnMeans(truth, 3, [2]))).toEqual([4]);
  });

  it('1-D W1: a shift by c gives c; identical samples give 0; equals the mean |sorted differences| for equal sizes', () => {
    const rng = scratchRng(3);
    const a = Array.from({ length: 500 }, () => rng.normal());
    expect(
      wasserstein1(
        a,
        a.map((v) => v + 0.7),
      ),
    ).toBeCloseTo(0.7, 10);
    expect(wasserstein1(a, [...a].reverse())).toBe(0);
    const b = Array.from({ length: 500 }, () => rng.normal() * 2);
    const sa = [...a].sort((p, q) => p - q),
      sb = [...b].sort((p, q) => p - q);
    expect(wasserstein1(a, b)).toBeCloseTo(sa.reduce((s, v, i) => s + Math.abs(v - sb[i]!), 0) / 500, 10);
    expect(wasserstein1([0, 1], [0.5])).toBeCloseTo(0.5, 14);
    expect(
      w1Elementwise(
        cells([
          [0, 0],
          [1, 2],
        ]),
        cells([
          [0, 1],
          [1, 3],
        ]),
        2,
      ),
    ).toBeCloseTo(0.5, 14);
  });
});
