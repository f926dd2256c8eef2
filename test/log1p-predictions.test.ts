// Predictions of a log1p run without a measurement model are expression-like: no negative value, and zeros where the
// truth has them (the zero fraction of each held-out double within 0.1 of the truth's), while --output latent keeps
// the model's raw samples (negative values and no exact zero) marked as latent; --compose experts decodes the same way;
// predict --ensemble pools two models' cells, each drawn as that model alone would draw them with its own seed.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readH5ad } from '../src/node/h5ad.ts';
import { readRun } from '../src/jobs/run-folder.ts';
import { requireGpu } from './helpers/gpu.ts';
import { Rng } from '../src/reference/rng.ts';
import { randomStream } from '../src/core/random-streams.ts';

const BIN = resolve('bin/lcd-webgpu.mjs');
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args, '--quiet'], {
    encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
  });
  expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
};

describe.skipIf(!requireGpu && !existsSync('/usr/share/vulkan/icd.d'))('log1p predictions', () => {
  let D = '';
  beforeAll(() => {
    D = mkdtempSync(join(tmpdir(), 'log1p-pred-'));
    cli('simulate', '--kind', 'grn', '--counts', '--cells', '150', '--out', join(D, 'sim'));
    // counts fitted without the measurement model: LCD models log1p CP10k values as they are
    const fit = (out: string, steps: number, seed: number) =>
      cli(
        'fit',
        '--data',
        join(D, 'sim', 'screen.h5ad'),
        '--measurement',
        'none',
        '--split',
        'seen2',
        '--steps',
        String(steps),
        '--hidden',
        '64',
        '--seed',
        String(seed),
        '--out',
        join(D, out),
      );
    fit('run', 400, 0); // max gap 0.032 over the 20 doubles at 400 steps, H = 64 (3 December 2026)
    cli('predict', '--run', join(D, 'run'), '--cells', '100');
    cli('predict', '--run', join(D, 'run'), '--cells', '100', '--output', 'latent');
    cli('predict', '--run', join(D, 'run'), '--cells', '100', '--compose', 'experts', '--out', join(D, 'experts.h5ad'));
    fit('run1', 200, 1); // a second model of the same data (another fit seed), for predict --ensemble
  }, 600_000);
  afterAll(() => rmSync(D, { recursive: true, force: true }));

  it('no negative value, the zero fraction of every double within 0.1 of the truth, marked log1p', async () => {
    const run = join(D, 'run');
    const data = await readH5ad(join(run, 'data.h5ad')),
      pred = await readH5ad(join(run, 'predictions.h5ad')),
      raw = await readH5ad(join(run, 'predictions_latent.h5ad'));
    expect(pred.meta['values']).toBe('log1p');
    expect(raw.meta['values']).toBe('latent');
    expect(pred.X.every((v) => v >= 0)).toBe(true);
    expect(raw.X.some((v) => v < 0)).toBe(true); // what the decode repairs
    const d = data.nVars;
    const zeros = (ad: typeof data, name: string) => {
      const rows = ad.obs['condition']!.flatMap((c, i) => (c === name ? [i] : []));
      let z = 0;
      for (const r of rows) for (let g = 0; g < d; g++) if (ad.X[r * d + g] === 0) z++;
      return z / (rows.length * d);
    };
    const tests = readRun(run).split.test;
    expect(tests.length).toBeGreaterThan(5);
    for (const t of tests) {
      expect(Math.abs(zeros(pred, t) - zeros(data, t)), t).toBeLessThan(0.1);
      expect(zeros(raw, t), t).toBe(0);
    }
  });

  it('--compose experts: the same sets, decoded alike, marked, and other cells than the summed embeddings', async () => {
    const run = join(D, 'run');
    const pred = await readH5ad(join(run, 'predictions.h5ad')),
      experts = await readH5ad(join(D, 'experts.h5ad'));
    expect(experts.meta['composition']).toBe('product of experts');
    expect(pred.meta['composition']).toBeUndefined();
    expect(experts.obs['condition']).toEqual(pred.obs['condition']);
    expect(experts.X.every((v) => v >= 0)).toBe(true);
    expect(Array.from(experts.X)).not.toEqual(Array.from(pred.X));
  });

  it("--ensemble: every set holds the first model's share of its cells, then the second's, each drawn as that model alone would with its own seed", async () => {
    const run = join(D, 'run'),
      run1 = join(D, 'run1');
    const tests = readRun(run).split.test;
    cli('predict', '--run', run, '--ensemble', run1, '--cells', '21', '--out', join(D, 'ens.h5ad'));
    // model 0 samples with the seed itself (11 of 21 cells), model 1 with its own seed from stream 'predict.ensemble'
    const seed1 = new Rng(randomStream(0, 'predict.ensemble', 1)).int(2 ** 31);
    cli('predict', '--run', run, '--cells', '11', '--out', join(D, 'm0.h5ad'));
    const sets = ['--perturbations', tests.join(',')];
    cli('predict', '--run', run1, ...sets, '--cells', '10', '--seed', String(seed1), '--out', join(D, 'm1.h5ad'));
    const [ens, m0, m1] = await Promise.all(['ens', 'm0', 'm1'].map((f) => readH5ad(join(D, `${f}.h5ad`))));
    expect(String(ens.meta['ensemble'])).toMatch(/run:.*,.*run1:/);
    const d = ens.nVars;
    const rows = (ad: typeof ens, name: string) =>
      ad.obs['condition']!.flatMap((c, i) => (c === name ? [Array.from(ad.X.subarray(i * d, (i + 1) * d))] : []));
    for (const t of tests) {
      expect(rows(ens, t), t).toEqual([...rows(m0, t), ...rows(m1, t)]);
      expect(rows(m1, t)).not.toEqual(rows(m0, t).slice(0, 10)); // two models, two noises
    }
    const r = spawnSync(
      process.execPath,
      [BIN, 'predict', '--run', run, '--ensemble', run1, '--cells', '1', '--force'],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--cells 1 is fewer than the ensemble's 2 models/);
  }, 300_000);
});
