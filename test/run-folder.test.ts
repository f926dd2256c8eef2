// A run folder cannot mix runs: `fit --force` clears the earlier run's files, one fit at a time holds the folder
// (a second fit, a resume or a predict beside it exits 2 naming the holder; a dead holder's lock is taken over), and
// outputs record the model id that made them, so evaluate refuses and the report flags those of an earlier model.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { modelId } from '../src/node/model-id.ts';
import {
  benchmarkPaths,
  builtinPaths,
  cliprBenchmarkPaths,
  runFolderEntries,
  readRun,
  runPaths,
  RunFolder,
  simulationPaths,
  type RunInfo,
} from '../src/jobs/run-folder.ts';
import { stageProgress } from '../src/jobs/job-context.ts';
import { PRIOR_DEFAULTS, PRIOR_REFERENCE, withPriorChoices } from '../src/measurement/prior.ts';
import { LOCK_NAME } from '../src/node/run-lock.ts';
import { mkdirSync, readdirSync } from 'node:fs';
import { requireGpu } from './helpers/gpu.ts';

const BIN = resolve('bin/lcd-webgpu.mjs');
const env = (extra: Record<string, string> = {}) => ({
  ...process.env,
  XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp',
  ...extra,
});
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: env() });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const errorLine = (err: string) => err.split('\n').filter((l) => l.startsWith('error:'));

describe('run folder identity (unit)', () => {
  it('the model id is a content hash: same files, same id; one changed byte, another id; no model, null', () => {
    const dir = mkdtempSync(join(tmpdir(), 'model-id-'));
    expect(modelId(dir)).toBeNull();
    writeFileSync(join(dir, 'config.json'), '{"format":"lcd-webgpu/1"}');
    writeFileSync(join(dir, 'weights.safetensors'), Buffer.from([1, 2, 3, 4]));
    const a = modelId(dir);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    writeFileSync(join(dir, '.weights.safetensors.1.tmp'), 'a temporary is not part of the model');
    expect(modelId(dir)).toBe(a);
    writeFileSync(join(dir, 'weights.safetensors'), Buffer.from([1, 2, 3, 5]));
    expect(modelId(dir)).not.toBe(a);
    rmSync(dir, { recursive: true });
  });
  it("fit --force's list of run files covers every name runPaths gives", () => {
    const { names, pattern } = runFolderEntries();
    for (const v of Object.values(runPaths('r')))
      if (typeof v === 'string' && v !== 'r') expect(names.has(v.split('/')[1]!), v).toBe(true);
    for (const out of ['normalized', 'counts', 'latent'] as const)
      expect(pattern.test(runPaths('r').predictions(out).split('/')[1]!)).toBe(true);
    expect(names.has('my-notes.txt') || pattern.test('my-notes.txt')).toBe(false);
  });
});

const minimalRun = (source: string): RunInfo => ({
  format: 'lcd-webgpu-run/1',
  source,
  options: {} as RunInfo['options'],
  genes: ['A'],
  split: { mode: 'seen2', train: ['ctrl'], test: [] } as unknown as RunInfo['split'],
  markers: {},
  hvgRank: [0],
  qc: null,
  log: [],
  valuesIn: 'counts',
});

describe('RunFolder (unit): create, open, discard; the other folder layouts', () => {
  it('create locks, refuses a used folder without force, and with force removes only the run files', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'rf-')), 'run');
    const a = RunFolder.create(dir, { command: 'fit' });
    expect(a.fresh).toBe(true);
    expect(() => RunFolder.create(dir, { command: 'fit' })).toThrow(/in use by fit \(pid/);
    expect(() => RunFolder.open(dir, 'predict')).toThrow(/in use by fit/);
    a.write(minimalRun('first'));
    mkdirSync(a.paths.model);
    writeFileSync(join(dir, 'predictions.h5ad'), 'old');
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    a.release();
    expect(RunFolder.open(dir, 'predict').info.source).toBe('first');
    expect(() => RunFolder.create(dir, { command: 'fit' })).toThrow(/exists and is not empty.*--force/);
    expect(existsSync(join(dir, LOCK_NAME))).toBe(false); // the refusal gave the lock back
    const lines: string[] = [];
    const b = RunFolder.create(dir, { command: 'fit', force: true, log: (l) => lines.push(l) });
    expect(b.fresh).toBe(false);
    expect(
      readdirSync(dir)
        .filter((n) => !n.startsWith('.'))
        .sort(),
    ).toEqual(['notes.txt']);
    expect(lines.join('\n')).toMatch(
      /removed the earlier run's .*model.*predictions\.h5ad|removed the earlier run's .*predictions\.h5ad/,
    );
    expect(lines.join('\n')).toMatch(/also holds notes\.txt \(not a run file; kept\)/);
    b.discard(); // a failed preparation in a folder that held something: the run files go, the user's stay
    b.release();
    expect(existsSync(join(dir, 'notes.txt'))).toBe(true);
    rmSync(dirname(dir), { recursive: true });
  });
  it('a fresh folder that fails its preparation is removed whole; open and resume need a run.json', () => {
    const root = mkdtempSync(join(tmpdir(), 'rf-')),
      dir = join(root, 'run');
    expect(() => RunFolder.create(dir, { command: 'fit --resume', resume: true })).toThrow(/nothing to resume/);
    expect(existsSync(dir)).toBe(false);
    const f = RunFolder.create(dir, { command: 'fit' });
    f.discard();
    f.release();
    expect(existsSync(dir)).toBe(false);
    mkdirSync(dir);
    expect(() => RunFolder.open(dir, 'evaluate')).toThrow(/is not a run folder \(no run\.json\)/);
    const o = RunFolder.open(dir, 'modules', { runJson: 'optional' });
    expect(o.hasRun()).toBe(false);
    expect(o.modelId()).toBeNull();
    writeFileSync(join(dir, 'run.json'), '{"format":"lcd-webgpu-run/1"}');
    expect(() => RunFolder.open(dir, 'evaluate')).toThrow(/source, options, genes, split, markers missing/);
    rmSync(root, { recursive: true });
  });
  it("a run.json without the measurement model's choices reads as the reference's; a new record holds the defaults", () => {
    const dir = mkdtempSync(join(tmpdir(), 'rf-prior-'));
    const write = (measurement: string, prior: object) =>
      writeFileSync(
        join(dir, 'run.json'),
        JSON.stringify({
          format: 'lcd-webgpu-run/1',
          source: 'x.h5ad',
          options: { measurement, prior },
          genes: [],
          split: {},
          markers: {},
        }),
      );
    // written before θ's start and the zero inflation were recorded: every fit then made the reference's model
    write('zip', { steps: 1500 });
    expect(readRun(dir).options.prior).toEqual({ thetaInit: 'normal', zeroInflation: 'gene', steps: 1500 });
    // recorded choices are kept as they are
    write('zip', { thetaInit: 'control', zeroInflation: 'state-gene' });
    expect(readRun(dir).options.prior).toEqual({ thetaInit: 'control', zeroInflation: 'state-gene' });
    write('none', {});
    expect(readRun(dir).options.prior).toEqual({});
    // what a fit records: the defaults it runs with, under the caller's own choices
    expect(withPriorChoices({}, PRIOR_DEFAULTS)).toEqual({
      thetaInit: PRIOR_DEFAULTS.thetaInit,
      zeroInflation: PRIOR_DEFAULTS.zeroInflation,
    });
    expect(PRIOR_DEFAULTS.zeroInflation).not.toBe(PRIOR_REFERENCE.zeroInflation); // the case the record is for
    expect(withPriorChoices({ zeroInflation: 'gene', steps: 10 }, PRIOR_DEFAULTS)).toEqual({
      thetaInit: PRIOR_DEFAULTS.thetaInit,
      zeroInflation: 'gene',
      steps: 10,
    });
    rmSync(dir, { recursive: true });
  });
  it('every layout keeps its files inside its folder, under distinct names', () => {
    const all: string[] = [];
    const collect = (o: Record<string, unknown>, args: unknown[]) => {
      for (const v of Object.values(o)) {
        const p = typeof v === 'function' ? (v as (...a: unknown[]) => string)(...args) : v;
        if (typeof p === 'string') all.push(p);
      }
    };
    collect(simulationPaths('d'), []);
    collect(benchmarkPaths('d'), [1, 2]);
    collect(cliprBenchmarkPaths('d'), ['grn', 0, 4000]);
    collect(builtinPaths('d'), []);
    for (const p of all) expect(p === 'd' || p.startsWith('d/'), p).toBe(true);
    expect(benchmarkPaths('d').run(1, 2)).toBe('d/runs/fold1-seed2');
    expect(cliprBenchmarkPaths('d').networkRun('grn', 0, 4000)).toBe('d/models/grn-s0/fit-4000');
    expect(builtinPaths('d').model).toBe(runPaths('d').model);
  });
  it("a job's stage progress makes its sink at the first report, with that report's total, and ends it; a new total starts a new sink", () => {
    const made: { label: string; total: number; updates: number[]; done: string[] }[] = [];
    const ctx = {
      progress: (label: string, total: number) => {
        const m = { label, total, updates: [] as number[], done: [] as string[] };
        made.push(m);
        return { update: (d: number) => m.updates.push(d), done: (msg?: string) => m.done.push(msg ?? '') };
      },
    };
    const bar = stageProgress(ctx, 'training', (p: { step: number; steps: number }) => ({
      done: p.step,
      total: p.steps,
    }));
    expect(made).toHaveLength(0);
    bar.onProgress!({ step: 25, steps: 400 });
    bar.onProgress!({ step: 50, steps: 400 });
    bar.done('ok');
    expect(made).toEqual([{ label: 'training', total: 400, updates: [25, 50], done: ['ok'] }]);
    // a second pass with another total (CLIPR's default reading: means, then the linear response) gets its own bar
    made.length = 0;
    const twice = stageProgress(ctx, 'sampling', (p: [number, number]) => ({ done: p[0], total: p[1] }));
    for (const p of [
      [10, 23],
      [23, 23],
      [50, 575],
      [575, 575],
    ] as [number, number][])
      twice.onProgress!(p);
    twice.done('ok');
    expect(made).toEqual([
      { label: 'sampling', total: 23, updates: [10, 23], done: [''] },
      { label: 'sampling', total: 575, updates: [50, 575], done: ['ok'] },
    ]);
    const silent = stageProgress({}, 'sampling', (p: number) => ({ done: p, total: 1 }));
    expect(silent.onProgress).toBeUndefined();
    silent.done(); // nothing to end
  });
});

describe.skipIf(!requireGpu && !existsSync('/usr/share/vulkan/icd.d'))('run folders through the CLI', () => {
  let D = '';
  const FIT = ['--split', 'seen2', '--measurement', 'none', '--hidden', '16'];
  beforeAll(() => {
    D = mkdtempSync(join(tmpdir(), 'run-folder-'));
    const s = cli('simulate', '--out', join(D, 'sim'), '--counts', '--cells', '60', '--quiet');
    expect(s.code, s.err).toBe(0);
  }, 120_000);
  afterAll(() => rmSync(D, { recursive: true, force: true }));
  const data = () => ['--data', join(D, 'sim', 'screen.h5ad')];

  it('fit --force removes the earlier run files (not the user’s); outputs of an earlier model are refused or flagged', () => {
    const run = join(D, 'run');
    expect(cli('fit', ...data(), ...FIT, '--out', run, '--steps', '30').code).toBe(0);
    let r = cli('predict', '--run', run, '--cells', '40', '--steps-per-level', '2');
    expect(r.code, r.err).toBe(0);
    expect(cli('evaluate', '--run', run, '--baselines', 'additive').code).toBe(0);
    const old = join(D, 'old-predictions.h5ad');
    cpSync(join(run, 'predictions.h5ad'), old);
    writeFileSync(join(run, 'my-notes.txt'), 'kept');
    const before = modelId(join(run, 'model'));

    r = cli('fit', ...data(), ...FIT, '--out', run, '--steps', '30', '--seed', '1', '--force');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/note: --force removed the earlier run's .*metrics\.json.*predictions\.h5ad/);
    expect(r.err).toMatch(/note: .* also holds my-notes\.txt \(not a run file; kept\)/);
    for (const f of ['predictions.h5ad', 'metrics.json', 'metrics.csv', 'summary.csv', 'mean_shifts.csv'])
      expect(existsSync(join(run, f)), f).toBe(false);
    expect(readFileSync(join(run, 'my-notes.txt'), 'utf8')).toBe('kept');
    const after = modelId(join(run, 'model'))!;
    expect(after).not.toBe(before);

    // the old model's cells put back by hand: evaluate refuses them, the report flags them
    cpSync(old, join(run, 'predictions.h5ad'));
    r = cli('evaluate', '--run', run, '--baselines', 'additive');
    expect(r.code).toBe(2);
    expect(errorLine(r.err)).toEqual([
      `error: ${join(run, 'predictions.h5ad')} was sampled from model ${before}, but the run's model is now ${after} (fitted again since); sample again with: lcd-webgpu predict --run ${run} --force`,
    ]);
    r = cli('report', '--run', run);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(
      new RegExp(`warning: .*predictions\\.h5ad was made by model ${before}, not the current ${after}`),
    );
    expect(readFileSync(join(run, 'report.html'), 'utf8')).toContain(
      `was made by model ${before}, not by the run's current model ${after}`,
    );
    // sampled again: the ids agree, nothing is flagged
    expect(cli('predict', '--run', run, '--cells', '40', '--steps-per-level', '2', '--force').code).toBe(0);
    r = cli('evaluate', '--run', run, '--baselines', 'additive', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8')).model_id).toBe(after);
    // another predictions file is scored beside itself (or in --out), never over the run's own evaluation
    const own = readFileSync(join(run, 'metrics.json'));
    r = cli('evaluate', '--run', run, '--predictions', old, '--baselines', 'additive');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/note: .*old-predictions\.h5ad was sampled from model .*; scoring them as given/);
    expect(readFileSync(join(run, 'metrics.json')).equals(own)).toBe(true);
    expect(JSON.parse(readFileSync(join(D, 'evaluation', 'metrics.json'), 'utf8')).model_id).toBe(before);
    r = cli('evaluate', '--run', run, '--predictions', old, '--baselines', 'additive', '--out', join(D, 'mine'));
    expect(r.code, r.err).toBe(0);
    for (const f of ['metrics.json', 'metrics.csv', 'summary.csv', 'mean_shifts.csv'])
      expect(readFileSync(join(D, 'mine', f)).equals(readFileSync(join(D, 'evaluation', f))), f).toBe(true);
    expect(readFileSync(join(run, 'metrics.json')).equals(own)).toBe(true);
  }, 300_000);

  it('one fit at a time: a second fit, a resume and a predict beside a live fit exit 2 naming it', async () => {
    const run = join(D, 'live');
    const first = spawn(process.execPath, [BIN, 'fit', ...data(), ...FIT, '--out', run, '--steps', '100000'], {
      env: env(),
      stdio: 'ignore',
    });
    try {
      for (let t = 0; t < 600 && !existsSync(join(run, 'run.json')); t++) await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(join(run, LOCK_NAME))).toBe(true);
      const holder = new RegExp(
        `${run} is in use by fit \\(pid \\d+ on \\S+, since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\)`,
      );
      for (const args of [
        ['fit', ...data(), ...FIT, '--out', run, '--steps', '30', '--force'],
        ['fit', '--resume', '--out', run],
        ['predict', '--run', run],
      ]) {
        const r = cli(...args);
        expect(r.code, args.join(' ')).toBe(2);
        const lines = errorLine(r.err);
        expect(lines, r.err).toHaveLength(1);
        expect(lines[0]).toMatch(holder);
        expect(r.err).not.toMatch(/resume with/);
      }
      expect(existsSync(join(run, 'run.json'))).toBe(true); // the forced fit did not clear the live folder
    } finally {
      first.kill('SIGTERM');
      await new Promise((r) => first.once('exit', r));
    }
    expect(existsSync(join(run, LOCK_NAME))).toBe(false); // released on the way out
  }, 300_000);

  it('a holder killed outright (SIGKILL, no clean-up) leaves a lock that the next resume takes over at once', async () => {
    const run = join(D, 'killed');
    const fit = spawn(
      process.execPath,
      [BIN, 'fit', ...data(), ...FIT, '--out', run, '--steps', '400', '--checkpoint-every', '50'],
      { env: env({ LCD_WEBGPU_IN_PROCESS: '1' }), stdio: 'ignore' }, // no supervisor: the work itself is killed
    );
    for (let t = 0; t < 600 && !existsSync(join(run, 'checkpoint', 'config.json')); t++)
      await new Promise((r) => setTimeout(r, 50));
    fit.kill('SIGKILL');
    await new Promise((r) => fit.once('exit', r));
    expect(existsSync(join(run, LOCK_NAME))).toBe(true); // left behind, its holder gone
    let r = cli('predict', '--run', run);
    expect(r.code).toBe(2); // not "in use": the dead holder does not count; there is no model yet
    expect(errorLine(r.err)[0]).toMatch(
      /holds no model yet \(its fit has not finished\); continue it with: lcd-webgpu fit --resume/,
    );
    r = cli('fit', '--resume', '--out', run);
    expect(r.code, r.err).toBe(0);
    expect(existsSync(join(run, LOCK_NAME))).toBe(false);
    expect(modelId(join(run, 'model'))).toMatch(/^[0-9a-f]{16}$/);
  }, 300_000);
});
