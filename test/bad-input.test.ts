// Bad input gets a clear error naming the problem and the fix: NaN/Inf in X, an environment with no cells (API and
// after QC), unknown targets at prediction are reported, and no partial file is left behind by a failed write.
import { describe, it, expect } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { readH5adBytes } from '../src/data/h5ad.ts';
import { loadScreen, writeScreenH5ad } from '../src/jobs/run-folder.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeH5ad } from '../src/node/h5ad.ts';
import { readH5ad } from '../src/node/h5ad.ts';
import { validateScreen, type Screen } from '../src/data/dataset.ts';
import { qcScreen, NO_QC } from '../src/data/qc.ts';
import { prepareScreen } from '../src/data/prepare.ts';

const dir = mkdtempSync(join(tmpdir(), 'bad-'));

describe('bad input', () => {
  it('NaN or Inf in X names the cell and the gene', async () => {
    for (const bad of [NaN, Infinity]) {
      const X = Float32Array.from([1, 2, 3, 4, 5, 6]);
      X[4] = bad;
      const p = join(dir, `bad-${bad}.h5ad`);
      await writeH5ad(p, {
        X,
        nObs: 3,
        nVars: 2,
        obsNames: ['c0', 'c1', 'c2'],
        varNames: ['A', 'B'],
        obs: { condition: ['ctrl', 'A', 'A'] },
      });
      await expect(readH5ad(p)).rejects.toThrow(
        new RegExp(`non-finite value \\(${bad}\\) at cell 'c2', gene 'A'; remove or impute it`),
      );
    }
  });
  it('an environment with no cells: named by validateScreen; after QC its perturbation is dropped and reported', () => {
    const s: Screen = {
      genes: ['A', 'B'],
      kind: 'counts',
      envs: [
        { name: 'ctrl', targets: [], values: Float32Array.from([1, 2, 3, 4]), cells: 2 },
        { name: 'A', targets: ['A'], values: new Float32Array(0), cells: 0 },
      ],
    };
    expect(() => validateScreen(s)).toThrow(/environment 'A' has no cells/);
    const withCells: Screen = {
      ...s,
      envs: [
        s.envs[0]!,
        { name: 'A', targets: ['A'], values: Float32Array.from([0, 0, 9, 9]), cells: 2 },
        { name: 'B', targets: ['B'], values: Float32Array.from([9, 9]), cells: 1 },
      ],
    };
    const r = qcScreen(withCells, { ...NO_QC, minGenes: 1, minCellsPerPerturbation: 2 });
    expect(r.report.droppedPerturbations).toEqual([
      { name: 'A', cells: 1 },
      { name: 'B', cells: 1 },
    ]); // A's all-zero cell fails min genes
    expect(r.screen.envs.map((e) => e.name)).toEqual(['ctrl']);
    expect(() =>
      prepareScreen(withCells, { split: { mode: 'seen2' }, qc: { minGenes: 2, minCellsPerPerturbation: 2 } }),
    ).toThrow(/no perturbed environment is left.*dropped 2 perturbations.*loosen the QC/);
  });
  it('a failed write leaves no partial file', async () => {
    await expect(
      writeH5ad(join(dir, 'x.h5ad'), {
        X: new Float32Array(3),
        nObs: 2,
        nVars: 2,
        obsNames: ['a', 'b'],
        varNames: ['A', 'B'],
        obs: { condition: ['ctrl', 'A'] },
      }),
    ).rejects.toThrow(/X has 3 values for 2×2/);
    expect(readdirSync(dir).filter((f) => f.startsWith('x.h5ad'))).toEqual([]);
  });
  it('no writer writes a non-finite prediction: the write is refused, naming environment, cell and gene', async () => {
    const p = join(dir, 'pred.h5ad');
    await expect(
      writeScreenH5ad(p, ['A', 'B'], [{ name: 'A+B', values: Float32Array.from([0.1, 0.2, NaN, 0.4]), cells: 2 }]),
    ).rejects.toThrow(/refusing to write a non-finite value \(NaN\) for 'A\+B' at cell 1, gene 'A'/);
    expect(existsSync(p)).toBe(false);
  });
  it('--values auto honours the values this project recorded in the file (latent states that look like counts)', async () => {
    const envs = [
      { name: 'ctrl', values: Float32Array.from([1, 2, 3, 4]), cells: 2 },
      { name: 'A', values: Float32Array.from([2, 2, 5, 1]), cells: 2 },
    ];
    const latent = join(dir, 'latent.h5ad'),
      plain = join(dir, 'plain.h5ad');
    await writeScreenH5ad(latent, ['A', 'B'], envs, {}, { values: 'latent' });
    await writeScreenH5ad(plain, ['A', 'B'], envs);
    expect((await readH5ad(latent)).meta).toEqual({ values: 'latent' });
    expect((await loadScreen(latent)).kind).toBe('latent');
    expect((await loadScreen(plain)).kind).toBe('counts'); // non-negative integers, nothing recorded
    expect((await loadScreen(latent, { values: 'log1p' })).kind).toBe('log1p'); // an explicit choice wins
  });
  it('a truncated or empty file is named as such, before HDF5 prints anything', async () => {
    const whole = join(dir, 'whole.h5ad');
    await writeScreenH5ad(whole, ['A', 'B'], [{ name: 'ctrl', values: new Float32Array(400), cells: 200 }]);
    const bytes = readFileSync(whole);
    const cut = join(dir, 'cut.h5ad');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(readH5ad(cut)).rejects.toThrow(
      new RegExp(
        `cut.h5ad: the file is truncated \\(${Math.floor(bytes.length / 2)} bytes, but HDF5 recorded ${bytes.length}\\)`,
      ),
    );
    await expect(readH5adBytes(bytes.subarray(0, 4000), { name: 'upload.h5ad' })).rejects.toThrow(
      /upload.h5ad: the file is truncated/,
    );
    writeFileSync(join(dir, 'empty.h5ad'), new Uint8Array(0));
    await expect(readH5ad(join(dir, 'empty.h5ad'))).rejects.toThrow(/empty.h5ad: the file is empty \(0 bytes\)/);
  });
  it('a file with no cells, and perturbations with very few cells, are named', async () => {
    const none = join(dir, 'none.h5ad');
    await writeH5ad(none, {
      X: new Float32Array(0),
      nObs: 0,
      nVars: 2,
      obsNames: [],
      varNames: ['A', 'B'],
      obs: { condition: [] },
    });
    await expect(loadScreen(none)).rejects.toThrow(/none.h5ad: the file holds no cells \(0 × 2\)/);
    const s: Screen = {
      genes: ['A', 'B'],
      kind: 'log1p',
      envs: [
        { name: 'ctrl', targets: [], values: Float32Array.from({ length: 40 }, (_, i) => i % 3), cells: 20 },
        { name: 'A', targets: ['A'], values: Float32Array.from([1, 2]), cells: 1 },
        { name: 'B', targets: ['B'], values: Float32Array.from({ length: 40 }, (_, i) => i % 5), cells: 20 },
      ],
    };
    const p = prepareScreen(s, { split: { mode: 'seen2' }, seed: 0 });
    expect(p.log.join('\n')).toMatch(
      /warning: 1 perturbation\(s\) have fewer than 10 cells \(A: 1\).*--min-cells-per-perturbation 10/,
    );
  });
  it('QC that removes every cell blames the cell filter, with the median cell beside the thresholds', () => {
    // a 3-gene panel of counts: every cell totals far below the norman minimum of 7,500 counts
    const s: Screen = {
      genes: ['A', 'B', 'C'],
      kind: 'counts',
      envs: [
        { name: 'ctrl', targets: [], values: Float32Array.from({ length: 60 }, (_, i) => 1 + (i % 7)), cells: 20 },
        { name: 'A', targets: ['A'], values: Float32Array.from({ length: 60 }, (_, i) => i % 4), cells: 20 },
      ],
    };
    expect(() => qcScreen(s, { ...NO_QC, minCounts: 7500, minGenes: 2 })).toThrow(
      /QC removed every cell: a cell must express 2–Infinity genes and total more than 7500 counts.*the median cell expresses \d of 3 genes with \d+ counts.*use --qc none/,
    );
  });
  it('a write that hits a full disk (a file-size limit here) leaves the previous file and no temporary behind', () => {
    const target = join(dir, 'full', 'model.bin');
    mkdirSync(join(dir, 'full'), { recursive: true });
    writeFileSync(target, 'previous');
    // A child with `ulimit -f 20` (20 KiB per file): the 100 kB write fails with EFBIG (Node ignores SIGXFSZ).
    const script = `import { writeFileAtomic } from './src/node/atomic.ts';
      try { writeFileAtomic(${JSON.stringify(target)}, new Uint8Array(100000)); console.log('wrote'); }
      catch (e) { console.log(e.message); }`;
    const r = spawnSync(
      'bash',
      ['-c', 'ulimit -f 20; exec "$0" --import tsx --input-type=module -e "$1"', process.execPath, script],
      {
        encoding: 'utf8',
      },
    );
    expect(r.stdout).toMatch(
      /model\.bin: could not write 100000 bytes \(EFBIG: the disk or a size limit is full\); nothing was written/,
    );
    expect(readFileSync(target, 'utf8')).toBe('previous');
    expect(readdirSync(join(dir, 'full'))).toEqual(['model.bin']);
  });
});
