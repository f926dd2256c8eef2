// Reading the shared Norman/McFaline-Figueroa subset (../shared/data, BSD-3-Clause; never copied into the repo).
import { describe, it, expect } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readH5ad, writeH5ad } from '../src/node/h5ad.ts';
import { screenFromAnnData } from '../src/data/screen-from-anndata.ts';

const SHARED = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'shared',
  'data',
  'norman19_mcfaline23_devel.h5ad',
);
const have = existsSync(SHARED);
if (!have)
  console.warn(`\n!!! h5ad tests SKIPPED: ${SHARED} not found (the shared data folder sits beside the checkout).\n`);

describe.skipIf(!have)('h5ad reader on the shared Norman 2019 subset', () => {
  it('reads CSR X, categorical obs columns and var names', async () => {
    const ad = await readH5ad(SHARED);
    expect([ad.nObs, ad.nVars]).toEqual([5961, 500]);
    expect(ad.varNames.slice(0, 2)).toEqual(['PERM1', 'RNF223']);
    expect(Object.keys(ad.obs)).toEqual(expect.arrayContaining(['condition', 'cell_type', 'perturbation']));
    expect(ad.obs.condition!.length).toBe(5961);
    let max = 0;
    for (const v of ad.X) max = Math.max(max, v);
    expect(max).toBeGreaterThan(6); // log1p values (max 6.95 per PEERS.md)
    expect(max).toBeLessThan(7);
  });

  it('groups the K562 cells into control, 18 singles and 15 doubles (A+B)', async () => {
    const ad = await readH5ad(SHARED);
    const s = screenFromAnnData(ad, { control: 'control', filter: { key: 'cell_type', value: 'k562' } });
    expect(s.envs[0]!.name).toBe('ctrl');
    expect(s.envs.filter((e) => e.targets.length === 1).length).toBe(18);
    expect(s.envs.filter((e) => e.targets.length === 2).length).toBe(15);
    expect(s.envs.reduce((n, e) => n + e.cells, 0)).toBe(3375);
    expect(s.envs.find((e) => e.name === 'KLF1+MAP2K6')!.targets).toEqual(['KLF1', 'MAP2K6']);
    expect(s.kind).toBe('log1p');
  });

  it('names what is missing: obs key, control label, filter value, layer', async () => {
    const ad = await readH5ad(SHARED);
    expect(() => screenFromAnnData(ad, { perturbationKey: 'condtion' })).toThrow(
      /no column 'condtion' \(available: .*condition/,
    );
    expect(() => screenFromAnnData(ad)).toThrow(/control label 'ctrl' not found in obs\['condition'\].*control/);
    expect(() => screenFromAnnData(ad, { control: 'control', filter: { key: 'cell_type', value: 'hela' } })).toThrow(
      /no cell has obs\['cell_type'\] = 'hela'.*k562/,
    );
    await expect(readH5ad(SHARED, { layer: 'counts' })).rejects.toThrow(/no layer 'counts' \(available layers: none\)/);
  });
});

describe('h5ad reader refuses broken files clearly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'h5ad-'));
  it('a non-HDF5 file and a missing file', async () => {
    writeFileSync(join(dir, 'x.h5ad'), 'cell,gene\n1,2\n');
    await expect(readH5ad(join(dir, 'x.h5ad'))).rejects.toThrow(/not an HDF5\/h5ad file/);
    await expect(readH5ad(join(dir, 'missing.h5ad'))).rejects.toThrow(/file not found/);
  });
  it('an 8-byte file holding only the HDF5 signature', async () => {
    writeFileSync(join(dir, 'sig.h5ad'), Uint8Array.of(0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a));
    await expect(readH5ad(join(dir, 'sig.h5ad'))).rejects.toThrow(
      /sig\.h5ad: the file is truncated \(8 bytes: the HDF5 signature without its superblock\)/,
    );
  });
  it('a damaged sparse matrix: indptr past the stored values, decreasing, or an index outside the genes', async () => {
    // a valid 3 cells × 4 genes file, plus a CSR layer written by hand with h5wasm
    const base = {
      X: new Float32Array(12),
      nObs: 3,
      nVars: 4,
      obsNames: ['c0', 'c1', 'c2'],
      varNames: ['g0', 'g1', 'g2', 'g3'],
      obs: { condition: ['ctrl', 'g0', 'ctrl'] },
    };
    type Group = {
      create_group(n: string): Group;
      create_attribute(n: string, v: unknown): void;
      create_dataset(a: { name: string; data: unknown }): void;
    };
    const h5 = (await import('h5wasm/node')).default as unknown as {
      ready: Promise<unknown>;
      File: new (p: string, m: string) => Group & { get(n: string): Group | null; close(): void };
    };
    await h5.ready;
    const sparse = async (name: string, indptr: number[], indices: number[], data: number[], kind = 'csr_matrix') => {
      const p = join(dir, `${name}.h5ad`);
      await writeH5ad(p, base);
      const f = new h5.File(p, 'a');
      const g = (f.get('layers') ?? f.create_group('layers')).create_group('bad');
      g.create_attribute('encoding-type', kind);
      g.create_attribute('encoding-version', '0.1.0');
      g.create_attribute('shape', [3, 4]);
      g.create_dataset({ name: 'indptr', data: BigInt64Array.from(indptr.map(BigInt)) });
      g.create_dataset({ name: 'indices', data: Int32Array.from(indices) });
      g.create_dataset({ name: 'data', data: Float32Array.from(data) });
      f.close();
      return p;
    };
    const good = await sparse('good', [0, 1, 1, 3], [2, 0, 3], [5, 6, 7]);
    expect(Array.from((await readH5ad(good, { layer: 'bad' })).X)).toEqual([0, 0, 5, 0, 0, 0, 0, 0, 6, 0, 0, 7]);
    const huge = await sparse('huge', [0, 1, 1e9, 3], [2, 0, 3], [5, 6, 7]);
    await expect(readH5ad(huge, { layer: 'bad' })).rejects.toThrow(
      /huge\.h5ad: layers\['bad'\] CSR indptr\[2\] = 1000000000 at row 1 is outside 1…3.*write it again/,
    );
    const down = await sparse('down', [0, 2, 1, 3], [2, 0, 3], [5, 6, 7]);
    await expect(readH5ad(down, { layer: 'bad' })).rejects.toThrow(/indptr\[2\] = 1 at row 1 is outside 2…3/);
    const col = await sparse('col', [0, 1, 1, 3], [2, 0, 4], [5, 6, 7]);
    await expect(readH5ad(col, { layer: 'bad' })).rejects.toThrow(
      /CSR index 4 \(stored value 2\) is outside the 4 columns \(genes\)/,
    );
    const csc = await sparse('csc', [0, 1, 1, 3, 3], [2, 0, 3], [5, 6, 7], 'csc_matrix');
    await expect(readH5ad(csc, { layer: 'bad' })).rejects.toThrow(
      /CSC index 3 \(stored value 2\) is outside the 3 rows/,
    );
  });
  it.skipIf(!have)('a truncated file', async () => {
    writeFileSync(join(dir, 't.h5ad'), readFileSync(SHARED).subarray(0, 200_000));
    await expect(readH5ad(join(dir, 't.h5ad'))).rejects.toThrow(/t\.h5ad/);
    rmSync(dir, { recursive: true, force: true });
  });
});
