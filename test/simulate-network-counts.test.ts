// simulate's options for a gene network's count layer. --latent-cells: the count screen written with the same cells
// before counts (latent.h5ad, log1p CP10k), the data a perfect measurement model would leave (README, CLIPR: fitted
// beside the counts to split the count layer's loss from the model's own); the file holds the simulator's latent
// cells, cell for cell. --nb-size: the counts' negative-binomial size (0: Poisson), the same latent cells measured.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readH5ad } from '../src/node/h5ad.ts';
import { grnScreen, CASCADE_DEFAULTS } from '../src/sim/grn.ts';
import { normalizeLog1p } from '../src/data/normalize.ts';

const BIN = resolve('bin/lcd-webgpu.mjs');
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('simulate: a gene network’s count layer', () => {
  let D = '';
  beforeAll(() => {
    D = mkdtempSync(join(tmpdir(), 'latent-cells-'));
  });
  afterAll(() => rmSync(D, { recursive: true, force: true }));
  // the cascade family's screen, seed 3, 40 cells per environment, with its latent cells
  const cascade = (out: string, ...more: string[]) =>
    cli(
      'simulate',
      '--kind',
      'cascade',
      '--counts',
      '--latent-cells',
      '--cells',
      '40',
      '--seed',
      '3',
      '--out',
      out,
      ...more,
    );

  it('writes the cascade screen’s latent cells as log1p CP10k beside its counts, cell for cell', async () => {
    const out = join(D, 'sim'),
      r = cascade(out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/latent\.h5ad/);
    const counts = await readH5ad(join(out, 'screen.h5ad')),
      latent = await readH5ad(join(out, 'latent.h5ad'));
    expect(latent.meta.values).toBe('log1p');
    expect(latent.varNames).toEqual(counts.varNames);
    expect(latent.obs.condition).toEqual(counts.obs.condition);
    // the simulator's own latent cells, normalised as the cells are
    const sim = grnScreen({ ...CASCADE_DEFAULTS, seed: 3, cells: 40 }),
      d = latent.nVars;
    const expected = Float32Array.from(
      sim.latent.envs.flatMap((e) => Array.from(normalizeLog1p(e.values, e.cells, d))),
    );
    expect(latent.X.length).toBe(expected.length);
    expect(latent.X.every((v, i) => Math.abs(v - expected[i]!) < 1e-5)).toBe(true);
    // each cell is CP10k: its expm1 sums to 10⁴
    for (const c of [0, 500, latent.nObs - 1]) {
      let s = 0;
      for (let g = 0; g < d; g++) s += Math.expm1(latent.X[c * d + g]!);
      expect(s).toBeCloseTo(1e4, -1);
    }
  });

  it('--nb-size 0 measures the same latent cells as Poisson counts, with less spread than the cascade’s default', async () => {
    const poisson = join(D, 'poisson'),
      r = cascade(poisson, '--nb-size', '0');
    expect(r.code, r.err).toBe(0);
    const nb = await readH5ad(join(D, 'sim', 'screen.h5ad')),
      pois = await readH5ad(join(poisson, 'screen.h5ad'));
    expect((await readH5ad(join(poisson, 'latent.h5ad'))).X).toEqual((await readH5ad(join(D, 'sim', 'latent.h5ad'))).X);
    // the summed per-gene variance of the control cells: the gamma mixing (θ = 5) adds ≈ μ²/θ per gene
    const spread = (ad: typeof nb) => {
      const rows = ad.obs.condition!.flatMap((c, i) => (c === 'ctrl' ? [i] : [])),
        d = ad.nVars;
      let s = 0;
      for (let g = 0; g < d; g++) {
        const xs = rows.map((i) => ad.X[i * d + g]!),
          m = xs.reduce((a, b) => a + b, 0) / xs.length;
        s += xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
      }
      return s;
    };
    expect(spread(nb)).toBeGreaterThan(1.3 * spread(pois));
    expect(JSON.parse(readFileSync(join(poisson, 'truth.json'), 'utf8')).options.nbSize).toBe(0);
    // simulated again into the same folder without --latent-cells: no latent.h5ad of the earlier screen is left
    const again = cli('simulate', '--kind', 'grn', '--counts', '--cells', '20', '--force', '--out', poisson);
    expect(again.code, again.err).toBe(0);
    expect(existsSync(join(poisson, 'latent.h5ad'))).toBe(false);
  });

  it('is refused where there is no count layer to set or compare with, naming what to use', () => {
    let r = cli('simulate', '--kind', 'linear', '--latent-cells', '--out', join(D, 'lin'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--latent-cells .*--kind grn, cascade or modules and --counts/);
    expect(existsSync(join(D, 'lin'))).toBe(false);
    r = cli('simulate', '--kind', 'cascade', '--nb-size', '5', '--out', join(D, 'nocounts'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--nb-size 5 .*size ≥ 0 \(0: Poisson\) .*--counts/);
    r = cli('simulate', '--kind', 'grn', '--counts', '--nb-size', '-1', '--out', join(D, 'negative'));
    expect(r.code).toBe(2);
    expect(existsSync(join(D, 'negative'))).toBe(false);
  });
});
