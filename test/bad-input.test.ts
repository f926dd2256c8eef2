// Bad input gets a clear error naming the problem and the fix: NaN/Inf in X, an environment with no cells (API and
// after QC), unknown targets at prediction are reported, and no partial file is left behind by a failed write.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
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
});
