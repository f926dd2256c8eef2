// The fold benchmark (src/jobs/benchmark-run.ts) at a size CI affords: the built-in screen, two folds, a tiny model.
// It checks the bookkeeping, not LCD's quality: every fold's run folder, the table over runs, paired counts that add
// up to the runs' test perturbations, a second call that reads the finished runs back instead of refitting, and a
// refusal to mix settings in one folder. The signed-rank test is checked against its exact null distribution.
import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEngine } from './helpers/gpu.ts';
import type { Engine } from '../src/gpu/engine.ts';
import { benchmarkRun, type BenchmarkOptions } from '../src/jobs/benchmark-run.ts';
import { signedRankTest } from '../src/stats/signed-rank.ts';

describe('Wilcoxon signed-rank (exact and normal)', () => {
  it('matches the exact null distribution and the normal approximation with ties', () => {
    // all 5 differences positive: W⁺ = 15, P(W⁺ ≥ 15) = 1/32, two-sided 2/32
    expect(signedRankTest([1, 2, 3, 4, 5]).p).toBeCloseTo(2 / 32, 12);
    // ranks 1..4 with signs (−,+,+,+): W⁺ = 9 of 10; P(W⁺ ≥ 9) = #{9,10}/16 = 2/16 → p = 0.25
    expect(signedRankTest([-0.1, 0.2, 0.3, 0.4]).p).toBeCloseTo(0.25, 12);
    // zeros are dropped (scipy's zero_method 'wilcox')
    expect(signedRankTest([0, 1, 2, 3, 4, 5]).n).toBe(5);
    // symmetric differences: W⁺ at the centre, p = 1
    expect(signedRankTest([-1, 1, -2, 2]).p).toBeCloseTo(1, 12);
    // ties → normal approximation with the tie-corrected variance: n = 6, ranks 1.5,1.5,3.5,3.5,5.5,5.5 all positive
    const r = signedRankTest([1, 1, 2, 2, 3, 3]);
    expect(r.method).toBe('normal');
    const sd = Math.sqrt((6 * 7 * 13) / 24 - (3 * (8 - 2)) / 48);
    expect(r.wPlus).toBe(21);
    expect(r.p).toBeCloseTo(2 * 0.5 * erfcRef((21 - 10.5) / sd / Math.SQRT2), 5);
    expect(Number.isNaN(signedRankTest([0, 0]).p)).toBe(true);
  });
});

/** erfc by numerical integration, independent of the implementation's Chebyshev fit. */
function erfcRef(x: number): number {
  let s = 0;
  const h = 1e-4;
  for (let t = x; t < x + 12; t += h) s += Math.exp(-(t * t)) + Math.exp(-((t + h) * (t + h)));
  return ((s * h) / 2) * (2 / Math.sqrt(Math.PI));
}

describe('benchmark over folds', () => {
  let engine: Engine | null, out: string, opts: BenchmarkOptions;
  beforeAll(async () => {
    engine = await testEngine();
    out = mkdtempSync(join(tmpdir(), 'bench-'));
    opts = {
      out,
      folds: [0, 1],
      nFolds: 4,
      valDoubles: 0,
      seeds: [0],
      lcd: { steps: 150, hidden: 32, batchSize: 128, stepsPerLevel: 8, lastLevel: 12 },
      cells: 40,
      baselines: ['control', 'additive', 'perturbed'],
      log: () => {},
    };
  });

  it('writes one table over the folds and reads finished folds back', async () => {
    if (!engine) return;
    const r = await benchmarkRun(engine, opts);
    expect(r.runs.map((x) => `${x.fold}/${x.seed}`)).toEqual(['0/0', '1/0']);
    const tests = r.runs.flatMap((x) => x.tests);
    expect(tests.length).toBe(8); // 16 doubles in 4 folds, two folds run
    expect(new Set(tests).size).toBe(8); // folds are disjoint
    for (const m of ['LCD', 'control', 'additive', 'perturbed']) {
      expect(r.table[m]!['ed']!.runs).toBe(2);
      expect(Number.isFinite(r.table[m]!['ed']!.mean)).toBe(true);
      expect(Number.isFinite(r.table[m]!['ed']!.sd)).toBe(true);
    }
    for (const p of r.paired.filter((x) => x.metric === 'ed')) {
      expect(p.pairs).toBe(8);
      expect(p.lcdWins).toBeGreaterThanOrEqual(0);
      expect(p.lcdWins).toBeLessThanOrEqual(8);
    }
    // the table's mean is the mean over runs of each run's mean (recomputed here from the run folders)
    const runMeans = r.runs.map((x) => {
      const m = JSON.parse(readFileSync(join(x.dir, 'metrics.json'), 'utf8')) as {
        rows: { method: string; metrics: Record<string, number> }[];
      };
      const v = m.rows.filter((row) => row.method === 'additive').map((row) => row.metrics['ed']!);
      return v.reduce((a, b) => a + b, 0) / v.length;
    });
    expect(r.table['additive']!['ed']!.mean).toBeCloseTo((runMeans[0]! + runMeans[1]!) / 2, 10);
    expect(existsSync(join(out, 'benchmark.csv'))).toBe(true);
    expect(readFileSync(join(out, 'paired.csv'), 'utf8')).toMatch(/^baseline,metric,pairs,lcd_wins,ties,p$/m);

    // a second call finds every run finished and reads it back (no fit, no sampling)
    const lines: string[] = [];
    const again = await benchmarkRun(engine, { ...opts, log: (s) => lines.push(s) });
    expect(lines.filter((l) => /metrics.json found: read back/.test(l)).length).toBe(2);
    expect(again.table).toEqual(r.table);
    // other settings in the same folder are refused
    await expect(benchmarkRun(engine, { ...opts, cells: 41 })).rejects.toThrow(/holds a benchmark with other settings/);
  }, 600_000);
});
