// Early stopping (fit --early-stopping): LCD.fit's validation hook returns the parameters of the best score, a
// resumed fit returns the same ones as an uninterrupted fit (the checkpoint carries the best so far), and the job
// holds out training combinations deterministically, refusing to hold out all of them.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEngine } from './helpers/gpu.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { LCD } from '../src/lcd/model.ts';
import { PARAM_NAMES, type ParamName } from '../src/lcd/score-net.ts';
import { folderStore } from '../src/node/folder-store.ts';
import { scratchRng } from '../src/reference/rng.ts';
import { holdOutValidation } from '../src/jobs/early-stopping.ts';
import type { Screen } from '../src/data/dataset.ts';
import type { Split } from '../src/data/splits.ts';
import type { GpuTensor } from '../src/gpu/tensor.ts';
import { decodeSafetensors } from '../src/io/safetensors.ts';

const engine = await testEngine();
const gpu = engine ? new WebGPUBackend(engine) : null;

function screen(d: number, cells: number, seed: number): Screen {
  const rng = scratchRng(seed);
  const env = (name: string, targets: string[]) => ({
    name,
    targets,
    cells,
    values: Float32Array.from({ length: cells * d }, () => rng.normal() + (targets.length ? 0.5 : 0)),
  });
  return {
    genes: Array.from({ length: d }, (_, i) => `g${i}`),
    envs: [env('ctrl', []), env('g0', ['g0']), env('g1', ['g1']), env('g0+g1', ['g0', 'g1'])],
    kind: 'latent',
  };
}

describe.skipIf(!gpu)('LCD.fit with a validation hook', () => {
  const hp = { hidden: 16, steps: 40, batchSize: 32, seed: 3 };
  // A scripted score whose best is at step 20 of 40 (every 10): the fit must return step 20's parameters.
  const SCRIPT = [5, 1, 3, 2];
  const scripted = (seen: Record<ParamName, Float32Array>[]) => async (lcd: LCD<GpuTensor>) => {
    seen.push(await lcd.parameterArrays());
    return SCRIPT[seen.length - 1]!;
  };

  it('keeps the parameters of the best validation score, and records every score', async () => {
    const seen: Record<ParamName, Float32Array>[] = [];
    const lcd = await new LCD<GpuTensor>(hp).fit(screen(4, 80, 1), {
      backend: gpu!,
      validation: { every: 10, score: scripted(seen) },
    });
    expect(seen).toHaveLength(4); // steps 10, 20, 30, 40
    expect(lcd.validation).toEqual({
      scores: SCRIPT.map((score, i) => ({ step: 10 * (i + 1), score })),
      bestStep: 20,
    });
    const final = await lcd.parameterArrays();
    for (const n of PARAM_NAMES) expect(Array.from(final[n]), n).toEqual(Array.from(seen[1]![n]));
    // not the last step's parameters (training moved them on)
    expect(Array.from(final['mlp.w1'])).not.toEqual(Array.from(seen[3]!['mlp.w1']));
    expect(lcd.step).toBe(40);
  });

  it('a fit resumed after the best step returns the same parameters as an uninterrupted one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lcd-es-'));
    try {
      const data = screen(4, 80, 1);
      const full = await new LCD<GpuTensor>(hp).fit(data, {
        backend: gpu!,
        validation: { every: 10, score: scripted([]) },
      });
      // stop at 30 (after the best at 20), then resume: the score script continues where it was
      const seen: Record<ParamName, Float32Array>[] = [];
      await new LCD<GpuTensor>(hp).fit(data, {
        backend: gpu!,
        checkpoint: folderStore(dir),
        checkpointEvery: 10,
        stopAfter: 30,
        validation: { every: 10, score: scripted(seen) },
      });
      const resumed = await new LCD<GpuTensor>(hp).fit(data, {
        backend: gpu!,
        checkpoint: folderStore(dir),
        checkpointEvery: 10,
        resume: true,
        validation: { every: 10, score: scripted(seen) },
      });
      expect(resumed.validation?.bestStep).toBe(20);
      expect(resumed.validation?.scores.map((s) => s.step)).toEqual([10, 20, 30, 40]);
      const a = await full.parameterArrays(),
        b = await resumed.parameterArrays();
      for (const n of PARAM_NAMES) expect(Array.from(b[n]), n).toEqual(Array.from(a[n]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a score that is not finite stops the fit with a message naming the step', async () => {
    await expect(
      new LCD<GpuTensor>({ ...hp, steps: 10 }).fit(screen(4, 40, 2), {
        backend: gpu!,
        validation: { every: 5, score: async () => NaN },
      }),
    ).rejects.toThrow(/validation score at step 5 is not finite/);
  });
});

describe('holding out training combinations', () => {
  const names = ['ctrl', 'A', 'B', 'C', 'A+B', 'A+C', 'B+C', 'A+B+C'];
  const s: Screen = {
    genes: ['A', 'B', 'C'],
    kind: 'latent',
    envs: names.map((name) => ({
      name,
      targets: name === 'ctrl' ? [] : name.split('+'),
      cells: 1,
      values: new Float32Array(3),
    })),
  };
  const split: Split = { mode: 'seen2', seed: 0, train: names.slice(0, 7), test: ['A+B+C'], discarded: [] };

  it('moves k combinations (never the control or a single) to validation, the same for the same seed', () => {
    const a = holdOutValidation(split, s, 2, 5);
    expect(a.val).toHaveLength(2);
    for (const v of a.val!) expect(['A+B', 'A+C', 'B+C']).toContain(v);
    expect(a.train).toEqual(split.train.filter((n) => !a.val!.includes(n)));
    expect(a.test).toEqual(split.test);
    expect(holdOutValidation(split, s, 2, 5)).toEqual(a);
    const draws = new Set([0, 1, 2, 3, 4, 6, 7, 8].map((seed) => holdOutValidation(split, s, 1, seed).val![0]));
    expect(draws.size).toBeGreaterThan(1); // the seed chooses
  });

  it('keeps one combination in training, and keeps a split file’s own validation conditions', () => {
    expect(() => holdOutValidation(split, s, 3, 0)).toThrow(/use --early-stopping 2 or fewer/);
    const own = { ...split, val: ['B+C'], train: split.train.filter((n) => n !== 'B+C') };
    expect(holdOutValidation(own, s, 2, 0)).toBe(own);
  });
});

describe.skipIf(!gpu)('fit --early-stopping (the job, through the CLI)', () => {
  const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' };
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['bin/lcd-webgpu.mjs', ...args], { encoding: 'utf8', env });

  it('holds out training doubles from both stages, scores them, and records the chosen step', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lcd-es-cli-'));
    try {
      const sim = cli(
        'simulate',
        '--out',
        join(dir, 'sim'),
        '--counts',
        '--cells',
        '60',
        '--doubles',
        '28',
        '--seed',
        '1',
      );
      expect(sim.status, sim.stderr).toBe(0);
      const data = join(dir, 'sim', 'screen.h5ad'),
        tiny = ['--steps', '60', '--hidden', '16', '--prior-steps', '40', '--split', 'val', '--val-doubles', '12'];
      const run = join(dir, 'run');
      const r = cli('fit', '--data', data, '--out', run, ...tiny, '--early-stopping', '2', '--val-every', '20');
      expect(r.status, r.stderr).toBe(0);
      const info = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
      expect(info.split.val).toHaveLength(2);
      for (const v of info.split.val) {
        expect(info.split.train).not.toContain(v);
        expect(info.split.test).not.toContain(v);
      }
      expect(info.options.earlyStopping).toEqual({ doubles: 2, every: 20 });
      // neither stage saw them: no generator of the measurement model, no embedding row's environment
      const prior = JSON.parse(readFileSync(join(run, 'model', 'measurement.json'), 'utf8'));
      expect(prior.envNames).toEqual(info.split.train);
      const csv = readFileSync(join(run, 'validation.csv'), 'utf8').trim().split('\n');
      expect(csv[0]).toBe('step,ed');
      expect(csv.slice(1).map((l) => Number(l.split(',')[0]))).toEqual([20, 40, 60]);
      const config = JSON.parse(readFileSync(join(run, 'model', 'config.json'), 'utf8'));
      const eds = csv.slice(1).map((l) => Number(l.split(',')[1]));
      expect(config.validation.bestStep).toBe(20 * (eds.indexOf(Math.min(...eds)) + 1));
      expect(r.stdout + r.stderr).toMatch(/early stopping: the model is the one of step \d+ of 60/);
      // the report says which step was kept and plots the scores
      expect(cli('report', '--run', run).status).toBe(0);
      const html = readFileSync(join(run, 'report.html'), 'utf8');
      expect(html).toContain(`Early stopping: the model is the one of step ${config.validation.bestStep} of 60`);
      expect(html).toContain('LCD validation energy distance (early stopping)');
      // too many held out: exit 2 at once, naming the fix; no folder left
      const bad = cli('fit', '--data', data, '--out', join(dir, 'bad'), ...tiny, '--early-stopping', '40');
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(
        /--early-stopping 40: the split trains on \d+ combinations, .*use --early-stopping \d+ or fewer/,
      );
      expect(existsSync(join(dir, 'bad'))).toBe(false);
      // the other way to choose the model kept, a weight average: recorded in run.json and in the model's config
      // (this fit also takes the reference's zero inflation, one π per gene from N(0, 1): recorded, saved without slopes;
      // the early-stopping fit above has the defaults, one slope for every gene, saved and decoded by predict)
      const ema = cli(
        'fit',
        '--data',
        data,
        '--out',
        join(dir, 'ema'),
        ...tiny,
        '--ema',
        '0.9',
        '--zero-inflation',
        'gene',
        '--prior-theta-init',
        'normal',
      );
      expect(ema.status, ema.stderr).toBe(0);
      const measurement = JSON.parse(readFileSync(join(dir, 'ema', 'model', 'measurement.json'), 'utf8'));
      expect(measurement.options).toMatchObject({ zeroInflation: 'gene', thetaInit: 'normal' });
      expect(prior.options).toMatchObject({ zeroInflation: 'state', thetaInit: 'control' });
      const slopeOf = (folder: string) =>
        decodeSafetensors(readFileSync(join(folder, 'model', 'measurement.safetensors')), 'm').tensors['zero_slope'];
      expect(slopeOf(join(dir, 'ema'))).toBeUndefined();
      expect(slopeOf(run)!.shape).toEqual([1, 1]); // one slope for every gene
      const pr = cli('predict', '--run', run, '--cells', '20', '--output', 'counts', '--out', join(dir, 'counts.h5ad'));
      expect(pr.status, pr.stderr).toBe(0);
      expect(JSON.parse(readFileSync(join(dir, 'ema', 'run.json'), 'utf8')).options.lcd.emaDecay).toBe(0.9);
      expect(JSON.parse(readFileSync(join(dir, 'ema', 'model', 'config.json'), 'utf8')).hyperparameters.emaDecay).toBe(
        0.9,
      );
      expect(config.hyperparameters.emaDecay).toBeUndefined(); // absent unless asked for
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
