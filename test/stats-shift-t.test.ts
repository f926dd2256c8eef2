// Welch's t of per-gene mean shifts (src/stats/shift-t.ts) against scipy.stats.ttest_ind(b, a, equal_var=False),
// and its edge cases.
import { describe, it, expect } from 'vitest';
import { welchShiftT } from '../src/stats/shift-t.ts';

/** Cells × 2 genes from two columns. */
const cells = (g0: number[], g1: number[]) => ({ values: g0.flatMap((v, c) => [v, g1[c]!]), cells: g0.length });

describe('welchShiftT', () => {
  it("matches scipy's Welch t gene by gene", () => {
    // scipy: ttest_ind([4, 6, 8], [1, 2, 3], equal_var=False).statistic = 3.0983866769659336
    //        ttest_ind([0.5, 1.5, 1.0, 2.0], [1, 2, 3, 2.5, 0], equal_var=False).statistic = −0.7167580288225635
    const t0 = welchShiftT(cells([1, 2, 3], [0, 0, 0]), cells([4, 6, 8], [1, 1, 1]), 2);
    expect(t0[0]).toBeCloseTo(3.0983866769659336, 12);
    const t1 = welchShiftT(cells([1, 2, 3, 2.5, 0], [0, 0, 0, 0, 0]), cells([0.5, 1.5, 1.0, 2.0], [0, 0, 0, 0]), 2);
    expect(t1[0]).toBeCloseTo(-0.7167580288225635, 12);
  });

  it('is antisymmetric in the groups and invariant to an affine change of units', () => {
    const a = cells([1, 2, 3, 2.5, 0], [3, 1, 4, 1, 5]),
      b = cells([0.5, 1.5, 1.0, 2.0], [9, 2, 6, 5]);
    const ab = welchShiftT(a, b, 2),
      ba = welchShiftT(b, a, 2);
    expect(Array.from(ba)).toEqual(Array.from(ab).map((v) => -v));
    const scaled = (g: { values: number[]; cells: number }) => ({ ...g, values: g.values.map((v) => 3 * v + 7) });
    const s = welchShiftT(scaled(a), scaled(b), 2);
    s.forEach((v, j) => expect(v).toBeCloseTo(ab[j]!, 12));
  });

  it('gives 0 for a constant gene that does not move and ±Infinity for one that does; refuses a single cell', () => {
    const t = welchShiftT(cells([1, 2, 3], [5, 5, 5]), cells([1, 2, 3], [5, 5, 5]), 2);
    expect(t[1]).toBe(0);
    const u = welchShiftT(cells([1, 2, 3], [5, 5, 5]), cells([1, 2, 3], [4, 4, 4]), 2);
    expect(u[1]).toBe(-Infinity);
    expect(() => welchShiftT(cells([1], [1]), cells([1, 2], [1, 2]), 2)).toThrow(/1 cell\(s\) has no variance/);
  });
});
