// `evaluate --truth --predictions`: any predictions h5ad against any truth h5ad. The fixture's prediction file lists
// its genes in another order, has one gene the truth lacks and one predicted condition the truth lacks; the energy
// distance, MMD and cell-eval's pseudobulk errors are checked against an independent NumPy evaluator reading the same
// files (Debian python3-numpy + h5py, installed with anndata by CI), and cell-eval's cross-perturbation metrics
// against closed forms.
import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEngine } from './helpers/gpu.ts';
import type { Engine } from '../src/gpu/engine.ts';
import { writeScreenH5ad } from '../src/jobs/run-folder.ts';
import { evaluateFiles } from '../src/jobs/evaluate-run.ts';
import { discriminationScores, significantByFoldChange, vccScore, cellEvalMetrics } from '../src/metrics/cell-eval.ts';
import { scratchRng } from '../src/reference/rng.ts';

const PYTHON = '/usr/bin/python3';
const haveNumpy = spawnSync(PYTHON, ['-c', 'import numpy, h5py'], { encoding: 'utf8' }).status === 0;
if (!haveNumpy && process.env.CI === 'true')
  throw new Error(
    'CI needs Debian python3-numpy and python3-h5py: run WITH_ANNDATA=1 bash scripts/install-webgpu-runtime.sh',
  );

// The independent evaluator: reads X, var names and obs['condition'] with h5py, matches genes by name, and computes
// the unbiased energy distance, the 10-bandwidth MMD and the pseudobulk MAE/MSE for each predicted condition.
const NUMPY_EVAL = `
import json, sys, h5py, numpy as np
def read(p):
    with h5py.File(p) as f:
        X = f['X'][()].astype(np.float64)
        var = [v.decode() if isinstance(v, bytes) else v for v in f['var'][f['var'].attrs['_index']][()]]
        c = f['obs']['condition']
        if isinstance(c, h5py.Group):
            cats = [v.decode() if isinstance(v, bytes) else v for v in c['categories'][()]]
            cond = [cats[i] for i in c['codes'][()]]
        else:
            cond = [v.decode() if isinstance(v, bytes) else v for v in c[()]]
    return X, var, np.array(cond)
T, tg, tc = read(sys.argv[1]); P, pg, pc = read(sys.argv[2])
genes = [g for g in tg if g in pg]
T = T[:, [tg.index(g) for g in genes]]; P = P[:, [pg.index(g) for g in genes]]
def pd(a, b): return np.sqrt(np.maximum(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1), 0))
def sq(a, b): return ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
def within(a, f):
    n = len(a); m = f(a, a); return (m.sum() - np.trace(m)) / (n * (n - 1))
out = {}
d = len(genes); ls = 10 ** (-2 + np.arange(10) / 3) * np.sqrt(d)
for name in sorted(set(pc) & set(tc)):
    if name == 'ctrl': continue
    x, y = P[pc == name], T[tc == name]
    ed = 2 * pd(x, y).mean() - within(x, pd) - within(y, pd)
    k = lambda a, b: np.mean([np.exp(-sq(a, b) / (2 * l * l)) for l in ls], axis=0)
    mmd = within(x, k) + within(y, k) - 2 * k(x, y).mean()
    e = x.mean(0) - y.mean(0)
    out[name] = {'ed': ed, 'mmd': mmd, 'mae': np.abs(e).mean(), 'mse': (e ** 2).mean(), 'd': d}
print(json.dumps(out))
`;

describe('cell-eval metrics (closed forms)', () => {
  it('discrimination score: 1 − rank/P, target columns left out', () => {
    const t = [Float64Array.of(1, 0, 0), Float64Array.of(0, 1, 0), Float64Array.of(0, 0, 1)];
    // perfect predictions rank themselves first: 1 each
    expect(discriminationScores(t, t, [[], [], []])).toEqual([1, 1, 1]);
    // p0 predicted at (0.9, 3, 0): L1 3.1 from its own truth, 2.9 from p1's → second of three, 1 − 1/3
    const pred = [Float64Array.of(0.9, 3, 0), t[1]!, t[2]!];
    expect(discriminationScores(t, pred, [[], [], []])[0]).toBeCloseTo(2 / 3, 12);
    // leaving out gene 1 (p0's target): 0.1 from its own, 0.9 and 1.9 from the others → first, 1
    expect(discriminationScores(t, pred, [[1], [], []])[0]).toBe(1);
  });
  it('overlap_at_N: DE genes by |log2 FC|, top N of the truth against the top N predicted', () => {
    const de = (padj: number[]) => ({
      p: Float64Array.from(padj),
      padj: Float64Array.from(padj),
      delta: new Float64Array(padj.length),
    });
    const fcT = Float64Array.of(4, 0.25, 1.5, 1.1, 1);
    const fcP = Float64Array.of(1.2, 8, 1.5, 3, 1);
    // true DE genes 0,1,2 (|log2 FC| 2, 2, 0.58); predicted DE genes 1,2,3 → sorted 1 (3), 3 (1.58), 2 (0.58)
    expect(significantByFoldChange(de([0.01, 0.01, 0.01, 0.2, 1]), fcT)).toEqual([0, 1, 2]);
    const m = cellEvalMetrics(
      Float64Array.of(1, 2, 3, 4, 5),
      Float64Array.of(1, 2, 3, 4, 7),
      new Float64Array(5),
      { de: de([1, 0.01, 0.01, 0.01, 1]), foldChange: fcP },
      { de: de([0.01, 0.01, 0.01, 0.2, 1]), foldChange: fcT },
    );
    expect(m['overlap_at_N']).toBeCloseTo(2 / 3, 12); // {0,1,2} ∩ {1,3,2} = {1,2}
    expect(m['mae']).toBeCloseTo(2 / 5, 12);
    expect(m['mse']).toBeCloseTo(4 / 5, 12);
  });
  it("vcc score: the challenge's scaling against a baseline, clipped at 0", () => {
    const base = { overlap_at_N: 0.2, discrimination_score_l1: 0.5, mae: 0.1 };
    expect(vccScore(base, base)).toBe(0);
    expect(vccScore({ overlap_at_N: 1, discrimination_score_l1: 1, mae: 0 }, base)).toBeCloseTo(1, 12);
    // (0.6 − 0.2)/0.8 = 0.5, (0.75 − 0.5)/0.5 = 0.5, worse MAE clipped to 0 → 1/3
    expect(vccScore({ overlap_at_N: 0.6, discrimination_score_l1: 0.75, mae: 0.2 }, base)).toBeCloseTo(1 / 3, 12);
  });
});

describe('evaluate --truth --predictions', () => {
  let engine: Engine | null, dir: string;
  const genes = ['G0', 'G1', 'G2', 'G3', 'G4', 'G5'];
  beforeAll(async () => {
    engine = await testEngine();
    dir = mkdtempSync(join(tmpdir(), 'evalfiles-'));
    const rng = scratchRng(5, 0, 0);
    // log1p-like values: a control and three perturbations shifting different genes
    const env = (name: string, n: number, shift: number[]) => {
      const v = new Float32Array(n * genes.length);
      for (let c = 0; c < n; c++)
        for (let g = 0; g < genes.length; g++)
          v[c * genes.length + g] = Math.max(0, 1 + shift[g]! + 0.4 * rng.normal());
      return { name, values: v, cells: n };
    };
    await writeScreenH5ad(join(dir, 'truth.h5ad'), genes, [
      env('ctrl', 50, [0, 0, 0, 0, 0, 0]),
      env('A', 40, [1, 0, 0, 0, 0, 0]),
      env('B', 40, [0, 1, 0, 0, 0, 0]),
      env('A+B', 40, [1, 1, 0.5, 0, 0, 0]),
      env('C+D', 30, [0, 0, 0, 1, 1, 0]),
    ]);
    // predictions: genes reversed plus an extra gene; 'A+B' and 'C+D' predicted, 'E' is not in the truth
    const pgenes = [...genes].reverse().concat(['EXTRA']);
    const reorder = (e: { name: string; values: Float32Array; cells: number }) => {
      const v = new Float32Array(e.cells * pgenes.length);
      for (let c = 0; c < e.cells; c++)
        pgenes.forEach((g, j) => {
          const i = genes.indexOf(g);
          v[c * pgenes.length + j] = i < 0 ? 7 : e.values[c * genes.length + i]!;
        });
      return { ...e, values: v };
    };
    await writeScreenH5ad(join(dir, 'pred.h5ad'), pgenes, [
      reorder(env('A+B', 35, [0.8, 1.1, 0, 0, 0, 0])),
      reorder(env('C+D', 25, [0, 0, 0, 0.5, 1, 0])),
      reorder(env('E', 10, [0, 0, 0, 0, 0, 1])),
    ]);
  });

  it.skipIf(!haveNumpy)('agrees with a NumPy evaluator on ed, mmd, mae and mse', async () => {
    if (!engine) return;
    const lines: string[] = [];
    const r = await evaluateFiles(engine, {
      truth: join(dir, 'truth.h5ad'),
      predictions: join(dir, 'pred.h5ad'),
      out: join(dir, 'eval'),
      log: (s) => lines.push(s),
    });
    expect(r.tests).toEqual(['A+B', 'C+D']);
    expect(lines.join('\n')).toMatch(/genes matched by name: 6 shared/);
    expect(lines.join('\n')).toMatch(/1 predicted condition\(s\) are not in the truth and are skipped: E/);
    const py = spawnSync(PYTHON, ['-c', NUMPY_EVAL, join(dir, 'truth.h5ad'), join(dir, 'pred.h5ad')], {
      encoding: 'utf8',
    });
    expect(py.status, py.stderr).toBe(0);
    const ref = JSON.parse(py.stdout) as Record<string, Record<string, number>>;
    for (const name of ['A+B', 'C+D']) {
      const m = r.rows.find((x) => x.method === 'predicted' && x.perturbation === name)!.metrics;
      expect(ref[name]!['d']).toBe(6);
      expect(m['ed']).toBeCloseTo(ref[name]!['ed']!, 4);
      expect(m['mmd']).toBeCloseTo(ref[name]!['mmd']!, 5);
      expect(m['mae']).toBeCloseTo(ref[name]!['mae']!, 5);
      expect(m['mse']).toBeCloseTo(ref[name]!['mse']!, 5);
    }
    // the files hold means and medians, and the across-perturbation metrics
    const summary = readFileSync(join(dir, 'eval', 'summary.csv'), 'utf8');
    expect(summary).toMatch(/^method,metric,mean,median$/m);
    expect(summary).toMatch(/^predicted,discrimination_score_l1,/m);
    expect(summary).toMatch(/^predicted,pearson_edistance,/m);
    expect(summary).toMatch(/^predicted,vcc_score,/m);
    // the baselines learnt from the truth's other conditions (A, B): additive is A's shift plus B's
    expect(r.summary['additive']).toBeDefined();
    expect(r.summary['perturbed']).toBeDefined();
  });

  it('names what is wrong: unknown perturbations, no shared genes', async () => {
    if (!engine) return;
    await expect(
      evaluateFiles(engine, {
        truth: join(dir, 'truth.h5ad'),
        predictions: join(dir, 'pred.h5ad'),
        out: join(dir, 'eval2'),
        perturbations: ['B+A', 'C+E'],
      }),
    ).rejects.toThrow(/'C\+E' is not in the truth \(did you mean 'C\+D'/);
    await writeScreenH5ad(
      join(dir, 'other-genes.h5ad'),
      ['X1', 'X2', 'G0'],
      [{ name: 'A+B', values: new Float32Array(3 * 4), cells: 4 }],
    );
    await expect(
      evaluateFiles(engine, { truth: join(dir, 'truth.h5ad'), predictions: join(dir, 'other-genes.h5ad') }),
    ).rejects.toThrow(/share 1 gene name\(s\).*var names must be the same genes/);
    // 'B+A' is read as A+B (labels are normalised like the data's), so only C+E is named
    await expect(
      evaluateFiles(engine, {
        truth: join(dir, 'truth.h5ad'),
        predictions: join(dir, 'truth.h5ad'),
        out: join(dir, 'eval3'),
        perturbations: ['B+A'],
        baselines: ['control'],
      }),
    ).resolves.toBeDefined();
  });
});
