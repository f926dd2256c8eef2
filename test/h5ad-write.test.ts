import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeH5ad } from '../src/node/h5ad.ts';
import { readH5ad } from '../src/node/h5ad.ts';
import { screenFromAnnData } from '../src/data/screen-from-anndata.ts';
import { encodeH5ad } from '../src/data/h5ad-write.ts';

describe('writing predictions as h5ad', () => {
  it('the same contents give the same bytes, whenever they are written (HDF5 timestamps held at the epoch)', async () => {
    const a = {
      X: Float32Array.from({ length: 6 }, (_, i) => i / 3),
      nObs: 3,
      nVars: 2,
      obsNames: ['c0', 'c1', 'c2'],
      varNames: ['g0', 'g1'],
      obs: { condition: ['ctrl', 'A', 'A'] },
    };
    const clock = Date.now;
    try {
      // two writes a day apart by the clock HDF5 reads: object headers would carry different times
      Date.now = () => 1.7e12;
      const first = await encodeH5ad(a);
      Date.now = () => 1.7e12 + 86_400_000;
      const second = await encodeH5ad(a);
      expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
      expect(Date.now()).toBe(1.7e12 + 86_400_000); // the writer gave the clock back
    } finally {
      Date.now = clock;
    }
    const changed = await encodeH5ad({ ...a, X: Float32Array.from(a.X, (v, i) => (i === 5 ? v + 1 : v)) });
    expect(Buffer.from(changed).equals(Buffer.from(await encodeH5ad(a)))).toBe(false);
  });

  it('round-trips X, the obs condition column and var names, with AnnData encodings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'h5w-'));
    try {
      const X = Float32Array.from({ length: 5 * 3 }, (_, i) => i / 7);
      const condition = ['ctrl', 'A+B', 'A+B', 'ctrl', 'C'];
      const path = join(dir, 'pred.h5ad');
      await writeH5ad(path, {
        X,
        nObs: 5,
        nVars: 3,
        obsNames: ['c0', 'c1', 'c2', 'c3', 'c4'],
        varNames: ['g0', 'g1', 'g2'],
        obs: { condition },
        meta: { values: 'latent' },
      });
      const back = await readH5ad(path);
      expect([back.nObs, back.nVars]).toEqual([5, 3]);
      expect(Array.from(back.X)).toEqual(Array.from(X));
      expect(back.varNames).toEqual(['g0', 'g1', 'g2']);
      expect(back.obs.condition).toEqual(condition);
      const s = screenFromAnnData(back);
      expect(s.envs.map((e) => [e.name, e.cells])).toEqual([
        ['ctrl', 2],
        ['C', 1],
        ['A+B', 2],
      ]);
      const h5 = (await import('h5wasm/node')).default as unknown as {
        File: new (
          p: string,
          m: string,
        ) => {
          attrs: Record<string, { value: unknown }>;
          get(k: string): { attrs: Record<string, { value: unknown }> };
          close(): void;
        };
      };
      const f = new h5.File(path, 'r');
      expect(f.attrs['encoding-type']!.value).toBe('anndata');
      expect(f.get('obs').attrs['encoding-type']!.value).toBe('dataframe');
      expect(f.get('obs/condition').attrs['encoding-type']!.value).toBe('string-array');
      f.close();
      expect(back.obs).not.toHaveProperty('gene_name');
      await expect(
        writeH5ad(join(dir, 'bad.h5ad'), {
          X,
          nObs: 4,
          nVars: 3,
          obsNames: [],
          varNames: [],
          obs: { condition: ['a', 'b', 'c', 'd'] },
        }),
      ).rejects.toThrow(/X has 15 values for 4×3/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
