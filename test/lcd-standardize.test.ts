// Standardisation: control mean, pooled per-gene std, the optional floor, and genes constant in training, which
// predictions return at their constant instead of sampling a point mass the score network cannot represent.
import { describe, it, expect } from 'vitest';
import { fitStandardization, standardize, unstandardize } from '../src/lcd/standardize.ts';
import type { Screen } from '../src/data/dataset.ts';

const screen: Screen = {
  genes: ['a', 'b', 'c'],
  kind: 'log1p',
  envs: [
    { name: 'ctrl', targets: [], cells: 2, values: Float32Array.from([1, 0, 2, 3, 0, 2]) },
    { name: 'X', targets: ['X'], cells: 2, values: Float32Array.from([5, 0.01, 2, 7, 0, 2]) },
  ],
};

describe('standardisation', () => {
  it('control mean, pooled std (ddof 0), floor, constant genes', () => {
    const st = fitStandardization(screen);
    expect(Array.from(st.mean)).toEqual([2, 0, 2]);
    expect(st.scale[0]).toBeCloseTo(Math.sqrt(5), 12); // values 1,3,5,7: var 5
    expect(st.scale[1]).toBeCloseTo(Math.sqrt(0.000025 - 0.0025 ** 2), 6);
    expect(st.scale[2]).toBe(1);
    expect(st.constant).toEqual([2]);
    expect(fitStandardization(screen, 0.1).scale[1]).toBe(0.1);
    const z = standardize(screen.envs[1]!.values, st);
    const back = unstandardize(
      z.map((v, i) => (i % 3 === 2 ? v + 0.7 : v)),
      st,
    ); // sampler noise on the constant gene
    expect(Array.from(back).map((v) => +v.toFixed(5))).toEqual([5, 0.01, 2, 7, 0, 2]);
  });
});
