// End to end on real data: the Norman 2019 K562 part of the shared devel file (log1p values, no noise model).
// fit (preprocessing, seen2 split, LCD) → predict → evaluate (with every baseline) → report, then the bad inputs
// of the pipeline: existing outputs without --force, counts required but log1p given, targets outside the panel,
// a gene-panel mismatch, an interrupted fit resumed.
import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { fitRun } from '../src/jobs/fit-run.ts';
import { predictRun } from '../src/jobs/predict-run.ts';
import { evaluateRun, readPredictions } from '../src/jobs/evaluate-run.ts';
import { readRun } from '../src/jobs/run-folder.ts';
import { writeReport } from '../src/jobs/report-run.ts';
import type { Engine } from '../src/gpu/engine.ts';
import { testEngine } from './helpers/gpu.ts';
import { NO_QC } from '../src/data/qc.ts';

const SHARED = '../shared/data/norman19_mcfaline23_devel.h5ad';
const have = existsSync(SHARED);
const K562 = { control: 'control', filter: { key: 'cell_type', value: 'k562' } };
const SMALL = { steps: 1000, hidden: 128, batchSize: 256, stepsPerLevel: 100, lastLevel: 22 };
// The reference's gene QC (non-zero in ≥ 200 cells): half of the 500 genes are never expressed in K562 cells, and a
// gene that is (almost) always zero is a point mass the score network cannot sample without the noise model.
const QC = { ...NO_QC, minCellsPerGene: 200 };
const quiet = () => {};

describe.skipIf(!have)('Norman K562 end to end', () => {
  let engine: Engine | null, dir: string;
  beforeAll(async () => {
    engine = await testEngine();
    dir = mkdtempSync(join(tmpdir(), 'norman-'));
  });

  it('fit → predict → evaluate → report', async () => {
    if (!engine) return;
    const B = new WebGPUBackend(engine),
      run = join(dir, 'run');
    await fitRun(B, {
      data: SHARED,
      out: run,
      load: K562,
      split: { mode: 'seen2' },
      unmeasuredTargets: 'keep',
      qc: QC,
      lcd: SMALL,
      log: quiet,
    });
    const info = readRun(run);
    expect(info.split.test.sort()).toEqual([
      'KLF1+MAP2K6',
      'KLF1+TGFBR2',
      'MAP2K3+MAP2K6',
      'MAP2K3+SLC38A2',
      'MAPK1+TGFBR2',
    ]);
    expect(info.split.train).toHaveLength(1 + 18 + 10);
    expect(info.genes).toHaveLength(54);
    expect(Object.values(info.markers).filter((m) => m.length === 20)).toHaveLength(33);

    const { cells } = await predictRun(B, { run, cells: 100, log: quiet });
    expect(cells.every((c) => c.length === 100 * 54 && c.every(Number.isFinite))).toBe(true);
    const { summary } = await evaluateRun(engine, { run, peper: { steps: 200 }, log: quiet });
    expect(Object.keys(summary)).toEqual(['LCD', 'control', 'perturbed', 'additive', 'peper']);
    for (const m of ['mmd_20', 'ed', 'pearson_de', 'rmse_m'])
      expect(Number.isFinite(summary['LCD']![m]!.mean)).toBe(true);
    // a property of these data the whole pipeline must reproduce: the additive shift beats the unshifted control
    expect(summary['additive']!['ed']!.mean).toBeLessThan(summary['control']!['ed']!.mean);
    expect(summary['additive']!['mmd_20']!.mean).toBeLessThan(summary['control']!['mmd_20']!.mean);
    // even a short LCD fit moves the distribution from the control towards the doubles
    expect(summary['LCD']!['ed']!.mean).toBeLessThan(summary['control']!['ed']!.mean);

    // mean_shifts.csv: one row per test perturbation × marker gene × method; the control baseline's predicted
    // shift is 0 (it is the training control), and every method sees the same observed shift.
    const shifts = readFileSync(join(run, 'mean_shifts.csv'), 'utf8').trim().split('\n').slice(1);
    const nMarkers = info.split.test.reduce((a, t) => a + (info.markers[t]?.length ?? 0), 0);
    expect(shifts).toHaveLength(nMarkers * 5);
    const byKey = new Map<string, number>();
    for (const line of shifts) {
      const [p, g, method, observed, predicted] = line.split(',');
      if (method === 'control') expect(Math.abs(Number(predicted))).toBeLessThan(1e-5);
      const key = `${p},${g}`;
      if (byKey.has(key)) expect(Number(observed)).toBe(byKey.get(key));
      else byKey.set(key, Number(observed));
    }

    const html = readFileSync(await writeReport(run), 'utf8');
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(5); // 3 metric bars, loss curve, mean shifts
    expect(html).toContain('MAP2K3+SLC38A2');
    expect(html).not.toMatch(/<script|<link|src="http/); // self-contained
  });

  it('refuses to overwrite, to treat log1p as counts, and to guess about unmeasured targets', async () => {
    if (!engine) return;
    const B = new WebGPUBackend(engine),
      run = join(dir, 'run');
    await expect(
      fitRun(B, {
        data: SHARED,
        out: run,
        load: K562,
        split: { mode: 'seen2' },
        unmeasuredTargets: 'keep',
        lcd: SMALL,
        log: quiet,
      }),
    ).rejects.toThrow(/exists and is not empty.*--force/);
    await expect(predictRun(B, { run, log: quiet })).rejects.toThrow(/predictions.h5ad' exists; pass --force/);
    await expect(
      fitRun(B, {
        data: SHARED,
        out: join(dir, 'c'),
        load: { ...K562, values: 'counts' },
        split: { mode: 'seen2' },
        log: quiet,
      }),
    ).rejects.toThrow(/expected raw counts .* gene '.*' holds 0\.\d+/);
    await expect(
      fitRun(B, { data: SHARED, out: join(dir, 'u'), load: K562, split: { mode: 'seen2' }, log: quiet }),
    ).rejects.toThrow(/30 perturbation target\(s\) are not in the gene panel.*--unmeasured-targets/);
    await expect(
      fitRun(B, {
        data: SHARED,
        out: join(dir, 'f'),
        load: K562,
        split: { mode: 'fold', fold: 0 },
        unmeasuredTargets: 'keep',
        log: quiet,
      }),
    ).rejects.toThrow(/too few .* --split seen2/);
    await expect(readPredictions(join(dir, 'run', 'data.h5ad'), ['A', 'B'])).rejects.toThrow(/gene panel differs/);
  });

  it('an interrupted fit resumes from its checkpoint', async () => {
    if (!engine) return;
    const B = new WebGPUBackend(engine),
      run = join(dir, 'resume');
    const o = {
      data: SHARED,
      out: run,
      load: K562,
      split: { mode: 'seen2' } as const,
      unmeasuredTargets: 'keep' as const,
      qc: QC,
      lcd: { ...SMALL, steps: 120 },
      checkpointEvery: 50,
      log: quiet,
    };
    const first = await fitRun(B, { ...o, stopAfter: 60 });
    expect(first.lcd.step).toBe(60);
    expect(existsSync(join(run, 'model'))).toBe(false);
    const lines: string[] = [];
    const second = await fitRun(B, { ...o, resume: true, log: (s) => lines.push(s) });
    expect(lines[0]).toMatch(/resuming/);
    expect(second.lcd.step).toBe(120);
    expect(second.lcd.losses[0]!.step).toBe(first.lcd.losses[0]!.step);
    expect(existsSync(join(run, 'model', 'weights.safetensors'))).toBe(true);
  });
});
