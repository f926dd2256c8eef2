// Counts back from log1p-normalised values (src/data/recover-counts.ts): exact on a synthetic file normalised with
// any target sum and library sizes, a clear error when the values are not log1p of scaled counts, and on the shared
// Norman file (log1p with library sizes in obs.ncounts) every cell recovers integers, while obs.ncounts turns out not
// to be the library size the file was normalised with (the error says so and names the cell).
import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { countsFromLog1p, parseCountsFrom } from '../src/data/recover-counts.ts';
import { loadScreen } from '../src/jobs/run-folder.ts';
import { scratchRng } from '../src/reference/rng.ts';

const SHARED = '../shared/data/norman19_mcfaline23_devel.h5ad';

/** cells × d sparse counts (geometric, mean ≈ 3 + g/4, 40 % zeros: mostly small, as in single cells) and their
 *  log1p(count · target / library) in float32, as files store them. Every third cell has its 1s raised to 2, so its
 *  smallest count is 2 and its scale needs the multiplier 2. */
function synthetic(cells: number, d: number, target: number, seed: number) {
  const rng = scratchRng(seed),
    counts = new Float32Array(cells * d),
    X = new Float32Array(cells * d),
    lib = new Float64Array(cells);
  for (let c = 0; c < cells; c++) {
    for (let g = 0; g < d; g++) {
      let v = rng.uniform() < 0.4 ? 0 : 1 + Math.floor(-Math.log(1 - rng.uniform()) * (2 + g / 4));
      if (c % 3 === 0 && v === 1) v = 2;
      counts[c * d + g] = v;
      lib[c]! += v;
    }
    for (let g = 0; g < d; g++) X[c * d + g] = Math.log1p((counts[c * d + g]! * target) / lib[c]!);
  }
  return { counts, X, lib };
}

describe('counts from log1p', () => {
  it('implied scale: exact integers for any target sum, multipliers where a cell has no count of 1', () => {
    for (const target of [1e4, 1e6, 123.5]) {
      const { counts, X } = synthetic(60, 30, target, 1);
      const r = countsFromLog1p(X, 60, 30, { method: 'implied' });
      // the implied scale is the true one: the smallest count is 1 (or 2, found by the multiplier)
      expect(Array.from(r.counts)).toEqual(Array.from(counts));
      expect(r.maxDeviation).toBeLessThan(0.01);
      expect(r.multipliers[1]).toBeGreaterThan(0); // the even cells
    }
  });
  it('library sizes: exact counts when the column is the normalising library size', () => {
    const { counts, X, lib } = synthetic(40, 12, 1e4, 2);
    const r = countsFromLog1p(X, 40, 12, { method: 'library', key: 'n', scale: 1e4 }, { library: lib });
    expect(Array.from(r.counts)).toEqual(Array.from(counts));
    const off = lib.map((v) => v * 1.1);
    expect(() =>
      countsFromLog1p(X, 40, 12, { method: 'library', key: 'n', scale: 1e4 }, { library: off, where: 'f.h5ad' }),
    ).toThrow(/f.h5ad: expm1\(X\) · obs\['n'\] \/ 10000 is not an integer count in cell 0.*try --counts-from implied/);
  });
  it('refuses values that are not log1p of scaled counts, naming the cell', () => {
    const X = Float32Array.from({ length: 20 }, (_, i) => 0.1 + 0.37 * Math.sin(i) ** 2);
    expect(() => countsFromLog1p(X, 2, 10, { method: 'implied' }, { cellNames: ['a', 'b'] })).toThrow(
      /no per-cell scale makes expm1\(X\) integer in cell 'a'/,
    );
    expect(() => countsFromLog1p(Float32Array.of(-1, 0), 1, 2, { method: 'implied' })).toThrow(/negative value/);
    expect(() => parseCountsFrom('ncounts')).toThrow(/use 'implied'.*'obs:<column>'/);
    expect(parseCountsFrom('obs:ncounts', 1e6)).toEqual({ method: 'library', key: 'ncounts', scale: 1e6 });
  });
  it.skipIf(!existsSync(SHARED))(
    'the shared Norman file: integers in every cell; obs.ncounts is not the library',
    async () => {
      const lines: string[] = [];
      const s = await loadScreen(SHARED, { control: 'control', countsFrom: { method: 'implied' } }, (l) =>
        lines.push(l),
      );
      expect(s.kind).toBe('counts');
      expect(s.envs.reduce((a, e) => a + e.cells, 0)).toBe(5961);
      for (const e of s.envs) expect(e.values.every((v) => Number.isInteger(v) && v >= 0)).toBe(true);
      expect(lines.join('\n')).toMatch(/recovered integer counts .*largest deviation from an integer 0\.0\d/);
      await expect(
        loadScreen(SHARED, { control: 'control', countsFrom: { method: 'library', key: 'ncounts', scale: 1e4 } }),
      ).rejects.toThrow(/obs\['ncounts'\] \/ 10000 is not an integer count in cell 'TGGTTAGCACATCCGG-3'/);
      await expect(
        loadScreen(SHARED, { control: 'control', countsFrom: { method: 'library', key: 'libsize', scale: 1e4 } }),
      ).rejects.toThrow(/obs has no column 'libsize' of library sizes \(available: ncounts/);
    },
  );
});
