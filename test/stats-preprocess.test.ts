// Rank tests against scipy 1.17 values, and the preprocessing pieces (normaliser, QC, seurat HVG, markers, splits,
// gene selection) on constructed data with known answers.
import { describe, it, expect } from 'vitest';
import {
  mannWhitney,
  benjaminiHochberg,
  normalSf,
  prepareReference,
  rankStats,
  wilcoxonScore,
} from '../src/stats/rank-tests.ts';
import { normalizeLog1p, assertCounts } from '../src/data/normalize.ts';
import { qcScreen, NO_QC } from '../src/data/qc.ts';
import { hvgSeurat, hvgOrder } from '../src/data/hvg.ts';
import { markerGenes } from '../src/data/markers.ts';
import { arraySplit, parseSplitFile, splitScreen } from '../src/data/splits.ts';
import { prepareScreen } from '../src/data/prepare.ts';
import type { Screen, Environment } from '../src/data/dataset.ts';
import { envName } from '../src/data/dataset.ts';
import { scratchRng } from '../src/reference/rng.ts';

const env = (targets: string[], values: number[][]): Environment => ({
  name: envName(targets),
  targets,
  values: Float32Array.from(values.flat()),
  cells: values.length,
});

describe('rank tests (scipy.stats reference values)', () => {
  it('Mann–Whitney U, two-sided asymptotic with continuity and tie correction', () => {
    // scipy.stats.mannwhitneyu(a, b, alternative='two-sided', method='asymptotic') → (83.5, 0.10443732355278827)
    const r = mannWhitney([0, 0, 0, 1.5, 2, 2, 3.1, 4, 0, 5], [0, 0, 0, 0, 1, 1.5, 0, 2, 0.5, 0, 0, 1]);
    expect(r.u).toBe(83.5);
    expect(r.p).toBeCloseTo(0.10443732355278827, 6);
    const r2 = mannWhitney([1.2, 3.4, 2.2, 5.1, 0.3], [0.1, 0.5, 0.9, -1.2, 0.0, 0.4, 2.0]); // → (30.0, 0.05131990358807116)
    expect(r2.u).toBe(30);
    expect(r2.p).toBeCloseTo(0.05131990358807116, 6);
    expect(mannWhitney([1, 1, 1], [1, 1]).p).toBe(1); // all tied: no evidence
  });
  it('the prepared-reference path equals a direct pooled ranking', () => {
    const rng = scratchRng(3),
      a = Array.from({ length: 40 }, () => Math.round(rng.normal() * 3)),
      b = Array.from({ length: 70 }, () => Math.round(rng.normal() * 3 + 1));
    // direct: average ranks over the pooled sample
    const all = [...a.map((v) => [v, 0] as const), ...b.map((v) => [v, 1] as const)].sort((x, y) => x[0] - y[0]);
    let r1 = 0;
    for (let i = 0; i < all.length;) {
      let j = i;
      while (j + 1 < all.length && all[j + 1]![0] === all[i]![0]) j++;
      for (let k = i; k <= j; k++) if (all[k]![1] === 0) r1 += (i + j) / 2 + 1;
      i = j + 1;
    }
    const s = rankStats(a, prepareReference(b));
    expect(s.u1).toBeCloseTo(r1 - (40 * 41) / 2, 9);
    expect(wilcoxonScore(s)).toBeCloseTo((r1 - (40 * 111) / 2) / Math.sqrt((40 * 70 * 111) / 12), 9);
  });
  it('Benjamini–Hochberg (scipy.stats.false_discovery_control) and the normal tail', () => {
    expect(Array.from(benjaminiHochberg([0.01, 0.04, 0.03, 0.2, 0.5, 0.001]))).toEqual(
      [0.03, 0.06, 0.06, 0.24, 0.5, 0.006].map((v) => expect.closeTo(v, 12)),
    );
    expect(normalSf(3.7) / 0.00010779973347738823).toBeCloseTo(1, 6);
    expect(normalSf(-0.3)).toBeCloseTo(0.6179114221889526, 7);
    expect(normalSf(8) / 6.22096057427174e-16).toBeCloseTo(1, 5);
  });
});

describe('preprocessing', () => {
  it('normaliser: every row of expm1(x_norm) sums to 1e4; a zero library stays zero', () => {
    const x = [3, 0, 7, 1, 0, 0, 0, 0, 12, 5, 5, 1];
    const n = normalizeLog1p(x, 3, 4);
    for (const c of [0, 2]) expect([0, 1, 2, 3].reduce((s, g) => s + Math.expm1(n[c * 4 + g]!), 0)).toBeCloseTo(1e4, 1);
    expect(Array.from(n.subarray(4, 8))).toEqual([0, 0, 0, 0]);
  });
  it('counts check names the cell, the gene and the fix', () => {
    expect(() => assertCounts([1, 2, 0.5, 3], 2, ['A', 'B'], 'f.h5ad')).toThrow(
      /cell 1, gene 'A' holds 0.5.*--values log1p/,
    );
    expect(() => assertCounts([1, -2], 2, ['A', 'B'], 'f.h5ad')).toThrow(/gene 'B' holds -2/);
  });
  it('QC drops sparse genes, low-count cells, high-MT cells and small perturbations', () => {
    const s: Screen = {
      genes: ['A', 'B', 'MT-1', 'C'],
      kind: 'counts',
      envs: [
        env(
          [],
          [
            [10, 5, 1, 0],
            [8, 6, 0, 0],
            [1, 0, 0, 0],
            [10, 0, 9, 0],
          ],
        ),
        env(
          ['A'],
          [
            [20, 4, 0, 0],
            [15, 3, 0, 1],
          ],
        ),
        env(['B'], [[5, 5, 0, 0]]),
      ],
    };
    const { screen, report } = qcScreen(s, {
      ...NO_QC,
      minCellsPerGene: 2,
      minCounts: 5,
      maxMitoPercent: 40,
      minCellsPerPerturbation: 2,
    });
    expect(screen.genes).toEqual(['A', 'B']); // MT-1 is in 1 kept cell, C in 1
    expect(screen.envs.map((e) => `${e.name}:${e.cells}`)).toEqual(['ctrl:2', 'A:2']);
    expect(report.droppedPerturbations).toEqual([{ name: 'B', cells: 1 }]);
    expect(Array.from(screen.envs[0]!.values)).toEqual([10, 5, 8, 6]);
  });
  it('seurat HVG: bins normalised to mean 0 / sd 1, the overdispersed gene (same mean) first, constant genes last', () => {
    const rng = scratchRng(5),
      cells = 300,
      d = 201,
      x = new Float32Array(cells * d);
    for (let c = 0; c < cells; c++)
      for (let g = 0; g < d; g++) {
        const mu = 0.5 + (g % 10) * 0.3;
        x[c * d + g] =
          g === 200
            ? 0
            : Math.log1p(Math.max(0, mu * (g === 7 ? Math.exp(1.5 * rng.normal() - 1.125) : 1 + 0.2 * rng.normal())));
      }
    const h = hvgSeurat(x, cells, d);
    expect(hvgOrder(h)[0]).toBe(7);
    expect(hvgOrder(h).at(-1)).toBe(200);
    expect(Number.isNaN(h.dispersionsNorm[200]!)).toBe(true);
  });
  it('markers: the shifted genes are the top markers of their perturbation', () => {
    const rng = scratchRng(9),
      d = 30,
      mk = (shift: number[]) =>
        Array.from({ length: 80 }, () => Array.from({ length: d }, (_, g) => rng.normal() + (shift[g] ?? 0)));
    const sh = new Array(d).fill(0);
    sh[4] = 2;
    sh[11] = -2;
    const s: Screen = {
      genes: Array.from({ length: d }, (_, g) => `G${g}`),
      kind: 'log1p',
      envs: [env([], mk([])), env(['G4'], mk(sh))],
    };
    expect(markerGenes(s, 2)['G4']!.sort((a, b) => a - b)).toEqual([4, 11]);
  });
});

describe('splits', () => {
  const doubles = (n: number): Screen => {
    const genes = Array.from({ length: 12 }, (_, g) => `G${g}`),
      envs = [env([], [[0]]), ...genes.map((g) => env([g], [[0]]))];
    for (let a = 0, k = 0; a < 12 && k < n; a++)
      for (let b = a + 1; b < 12 && k < n; b++, k++) envs.push(env([genes[a]!, genes[b]!], [[0]]));
    return { genes, envs: envs.map((e) => ({ ...e, values: new Float32Array(12 * e.cells) })), kind: 'log1p' };
  };
  it('array_split sizes as numpy', () => {
    expect(arraySplit([...Array(23).keys()], 10).map((f) => f.length)).toEqual([3, 3, 3, 2, 2, 2, 2, 2, 2, 2]);
  });
  it('folds partition the non-validation doubles; singles always train; test ∩ train = ∅', () => {
    const s = doubles(50),
      seen = new Set<string>();
    for (let f = 0; f < 10; f++) {
      const sp = splitScreen(s, { mode: 'fold', fold: f }, 1);
      expect(sp.test.every((t) => !sp.train.includes(t))).toBe(true);
      expect(s.envs.filter((e) => e.targets.length === 1).every((e) => sp.train.includes(e.name))).toBe(true);
      expect(sp.train[0]).toBe('ctrl');
      expect(sp.train.length + sp.test.length + sp.discarded.length).toBe(s.envs.length);
      sp.test.forEach((t) => seen.add(t));
    }
    expect(seen.size).toBe(30); // 50 doubles − 20 validation
    expect(splitScreen(s, { mode: 'fold', fold: 3 }, 1)).toEqual(splitScreen(s, { mode: 'fold', fold: 3 }, 1));
    expect(splitScreen(s, { mode: 'fold', fold: 3 }, 1).test).not.toEqual(
      splitScreen(s, { mode: 'fold', fold: 3 }, 2).test,
    );
    expect(() => splitScreen(doubles(15), { mode: 'fold', fold: 0 }, 0)).toThrow(/too few.*--split seen2/);
  });
  it('seen2 tests exactly the doubles whose genes all have singles', () => {
    const s = doubles(5);
    s.envs = s.envs.filter((e) => e.name !== 'G2'); // G0+G2 loses its single
    const sp = splitScreen(s, { mode: 'seen2' }, 0);
    expect(sp.test.sort()).toEqual(['G0+G1', 'G0+G3', 'G0+G4', 'G0+G5']);
    expect(sp.train).toContain('G0+G2');
  });
  it('explicit splits: GEARS/PerturBench lists, labels as the data write them, control wherever listed', () => {
    const s = doubles(5); // G0+G1 … G0+G5
    const file = parseSplitFile(
      JSON.stringify({
        train: ['ctrl', 'G0+ctrl', 'G1', 'G2', 'G3', 'G1+G0'],
        test: ['G2+G0', 'G3+G0'],
        val: ['G0+G4'],
      }),
      'split.json',
    );
    const sp = splitScreen(s, { ...file, control: 'ctrl', separator: '+' }, 0);
    expect(sp.mode).toBe('explicit:split.json');
    expect(sp.train).toEqual(['ctrl', 'G0', 'G1', 'G2', 'G3', 'G0+G1']);
    expect(sp.test).toEqual(['G0+G2', 'G0+G3']);
    expect(sp.val).toEqual(['G0+G4']);
    expect(sp.unused).toContain('G0+G5');
    // without a train list, everything not tested or validated trains; a control named in test still trains
    const only = splitScreen(
      s,
      { mode: 'explicit', source: '--test', test: ['control', 'G0+G5'], control: 'control' },
      0,
    );
    expect(only.train[0]).toBe('ctrl');
    expect(only.test).toEqual(['G0+G5']);
    expect(only.train).toContain('G0+G4');
    expect(only.unused).toEqual([]);
    // a test double whose gene never trained is discarded, as the other splits do
    const noG2 = splitScreen(s, { mode: 'explicit', source: '--test', test: ['G0+G2', 'G2'] }, 0);
    expect(noG2.discarded).toEqual(['G0+G2', 'G2']); // G2 itself is tested, so no training perturbation targets it
    // unknown names get near matches; one condition in two lists is an error
    expect(() => splitScreen(s, { mode: 'explicit', source: 'split.json', test: ['G0+G11'] }, 0)).toThrow(
      /split.json: 1 test condition\(s\) are not in the data.*'G0\+G11' \(did you mean 'G0\+G1'/,
    );
    expect(() => splitScreen(s, { mode: 'explicit', source: 's.json', test: ['G0+G1'], train: ['G1+G0'] }, 0)).toThrow(
      /'G0\+G1' is listed in both test and train/,
    );
    expect(() => parseSplitFile('{"train": []}', 'x.json')).toThrow(/'test' is missing or empty/);
    expect(() => parseSplitFile('{"test": ["a"], "tset": []}', 'x.json')).toThrow(/unknown key\(s\) 'tset'/);
    expect(() => parseSplitFile('[1]', 'x.json')).toThrow(/expected an object/);
    expect(() => parseSplitFile('{"test": [1]}', 'x.json')).toThrow(/'test' must be a list of condition names/);
    expect(() => parseSplitFile('{oops', 'x.json')).toThrow(/x.json: not valid JSON/);
  });
  it('gene selection keeps targeted genes first; targets outside the panel are an error unless dropped or kept', () => {
    const rng = scratchRng(2),
      d = 40,
      genes = Array.from({ length: d }, (_, g) => `G${g}`);
    const mk = () =>
      Array.from({ length: 30 }, () => Array.from({ length: d }, () => Math.log1p(Math.abs(rng.normal()) * 3)));
    const s: Screen = {
      genes,
      kind: 'log1p',
      envs: [env([], mk()), env(['G30'], mk()), env(['G31'], mk()), env(['G30', 'G31'], mk()), env(['X1'], mk())],
    };
    expect(() => prepareScreen(s, { split: { mode: 'seen2' } })).toThrow(
      /not in the gene panel \(X1\).*--unmeasured-targets drop/,
    );
    const p = prepareScreen(s, { split: { mode: 'seen2' }, nGenes: 10, unmeasuredTargets: 'drop' });
    expect(p.screen.genes).toHaveLength(10);
    expect(p.screen.genes).toContain('G30');
    expect(p.screen.genes).toContain('G31');
    expect(p.split.test).toEqual(['G30+G31']);
    expect(p.screen.envs.map((e) => e.name)).not.toContain('X1');
    expect(p.markers['G30']).toHaveLength(10);
    expect([...p.hvgRank].sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    expect(
      prepareScreen(s, { split: { mode: 'seen2' }, unmeasuredTargets: 'keep' }).screen.envs.map((e) => e.name),
    ).toContain('X1');
  });
});
