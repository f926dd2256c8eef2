// The bad-input table of the README's "Reliability" section, run through a command-line entry (the installed
// package's bin in test/package.test.ts): every case's exit code, its one error line, and the folder state after it.
// Fixtures are written here with the project's own h5ad writer and h5wasm, small enough for seconds per case.
import { it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { writeH5ad } from '../../src/node/h5ad.ts';

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

/** A count screen: the control and each condition with `cells` cells of deterministic counts over `genes`. */
async function countScreen(path: string, genes: string[], conditions: string[], cells: number, X?: Float32Array) {
  const labels = conditions.flatMap((c) => Array<string>(cells).fill(c));
  const d = genes.length;
  const values =
    X ?? Float32Array.from({ length: labels.length * d }, (_, i) => Math.floor(4 + 3 * Math.sin(i * 0.7 + (i % d))));
  await writeH5ad(path, {
    X: values,
    nObs: labels.length,
    nVars: d,
    obsNames: labels.map((_, i) => `c${i}`),
    varNames: genes,
    obs: { condition: labels },
  });
}

type H5Group = {
  create_group(n: string): H5Group;
  create_attribute(n: string, v: unknown): void;
  create_dataset(a: { name: string; data: unknown }): void;
};

/** A 3-cell file whose layer 'bad' is a CSR matrix with the given (possibly damaged) structure. */
async function csrFile(path: string, indptr: number[], indices: number[]) {
  await countScreen(path, ['G1', 'G2', 'G3', 'G4'], ['ctrl', 'G1', 'ctrl'], 1);
  const h5 = (await import('h5wasm/node')).default as unknown as {
    ready: Promise<unknown>;
    File: new (p: string, m: string) => H5Group & { get(n: string): H5Group | null; close(): void };
  };
  await h5.ready;
  const f = new h5.File(path, 'a');
  const g = (f.get('layers') ?? f.create_group('layers')).create_group('bad');
  g.create_attribute('encoding-type', 'csr_matrix');
  g.create_attribute('encoding-version', '0.1.0');
  g.create_attribute('shape', [3, 4]);
  g.create_dataset({ name: 'indptr', data: BigInt64Array.from(indptr.map(BigInt)) });
  g.create_dataset({ name: 'indices', data: Int32Array.from(indices) });
  g.create_dataset({ name: 'data', data: Float32Array.of(5, 6, 7) });
  f.close();
}

const GENES = ['G1', 'G2', 'G3', 'G4', 'G5', 'G6'];
const CONDITIONS = ['ctrl', 'G1', 'G2', 'G3', 'G4', 'G1+G2', 'G2+G3', 'G3+G4', 'G1+G4'];
const TINY_FIT = ['--split', 'seen2', '--steps', '20', '--hidden', '16'];

interface Case {
  row: string;
  /** Arguments after the binary; `{D}` is the fixture folder. */
  args: string[];
  env?: Record<string, string>;
  /** A per-file size limit in KiB (bash's `ulimit -f`), standing in for a full disk. */
  fileLimitKiB?: number;
  code: number;
  /** The one `error:` line (when code ≠ 0), or what the output must show. */
  line: RegExp;
  /** The folder state afterwards. */
  after?: (D: string, r: CliResult) => void;
  skip?: () => boolean;
}

const errorLines = (err: string) => err.split('\n').filter((l) => l.startsWith('error:'));

/** Register the table's cases; `bin` is the path of the lcd-webgpu launcher to run with this Node. */
export function badInputTable(bin: () => string, shared: string): void {
  let D = '';
  const run = (c: Pick<Case, 'args' | 'env' | 'fileLimitKiB'>): CliResult => {
    const args = c.args.map((a) => a.replaceAll('{D}', D));
    const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', ...c.env };
    const r =
      c.fileLimitKiB === undefined
        ? spawnSync(process.execPath, [bin(), ...args], { encoding: 'utf8', env, timeout: 240_000 })
        : spawnSync('bash', ['-c', `ulimit -f ${c.fileLimitKiB}; exec "$0" "$@"`, process.execPath, bin(), ...args], {
            encoding: 'utf8',
            env,
            timeout: 240_000,
          });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  beforeAll(async () => {
    D = mkdtempSync(join(tmpdir(), 'lcd-bad-input-'));
    await countScreen(join(D, 'screen.h5ad'), GENES, CONDITIONS, 40);
    // a screen whose targets are all outside the panel (as the shared Norman file's but TMSB4X)
    await countScreen(join(D, 'offpanel.h5ad'), GENES, ['ctrl', 'X1', 'X2', 'X1+X2'], 30);
    await csrFile(join(D, 'huge-indptr.h5ad'), [0, 1, 1e9, 3], [2, 0, 3]);
    await csrFile(join(D, 'wide-index.h5ad'), [0, 1, 1, 3], [2, 0, 4]);
    const n = CONDITIONS.length * 40 * GENES.length;
    const withNegative = (x: number) => {
      const X = Float32Array.from({ length: n }, (_, i) => (i * 7) % 5);
      X[3 * GENES.length + 2] = x; // cell c3, gene G3
      return X;
    };
    await countScreen(join(D, 'negative-count.h5ad'), GENES, CONDITIONS, 40, withNegative(-1));
    await countScreen(
      join(D, 'negative-log1p.h5ad'),
      GENES,
      CONDITIONS,
      40,
      withNegative(-0.25).map((v) => v / 3),
    );
    await countScreen(join(D, 'twin-genes.h5ad'), ['G1', 'G2', 'G3', 'G2', 'G5', 'G6'], CONDITIONS, 40);
    writeFileSync(join(D, 'signature-only.h5ad'), Uint8Array.of(0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a));
    // a gene (and so a perturbation) named with a comma, truth and predictions for evaluate --truth
    await countScreen(join(D, 'comma.h5ad'), ['G,1', 'G2', 'G3'], ['ctrl', 'G,1', 'G2', 'G,1+G2'], 30);
    await countScreen(join(D, 'comma-pred.h5ad'), ['G,1', 'G2', 'G3'], ['G,1+G2'], 30);
    // the run folder the predict rows use; its --batch is far above its 200 training cells (5 environments × 40)
    const fit = run({
      args: [
        'fit',
        '--data',
        '{D}/screen.h5ad',
        '--out',
        '{D}/run',
        '--measurement',
        'none',
        '--batch',
        '100000',
      ].concat(TINY_FIT),
    });
    expect(fit.code, fit.err).toBe(0);
    fitNote = fit;
    const offPanel = run({
      args: ['fit', '--data', '{D}/offpanel.h5ad', '--out', '{D}/r-offpanel', '--unmeasured-targets', 'keep'].concat(
        ['--measurement', 'none'],
        TINY_FIT,
      ),
    });
    expect(offPanel.code, offPanel.err).toBe(0);
  }, 300_000);
  let fitNote: CliResult = { code: null, out: '', err: '' };

  const absent = (name: string) => (dir: string) => expect(existsSync(join(dir, name)), name).toBe(false);
  const cases: Case[] = [
    {
      row: 'CSR X/indptr with one entry 1e9',
      args: ['fit', '--data', '{D}/huge-indptr.h5ad', '--layer', 'bad', '--out', '{D}/r-indptr', ...TINY_FIT],
      code: 2,
      line: /huge-indptr\.h5ad: layers\['bad'\] CSR indptr\[2\] = 1000000000 at row 1 is outside 1…3/,
      after: absent('r-indptr'),
    },
    {
      row: 'CSR X/indices entry ≥ the number of genes',
      args: ['fit', '--data', '{D}/wide-index.h5ad', '--layer', 'bad', '--out', '{D}/r-index', ...TINY_FIT],
      code: 2,
      line: /CSR index 4 \(stored value 2\) is outside the 4 columns \(genes\)/,
      after: absent('r-index'),
    },
    ...['-5', '0', '2.5'].map((v): Case => ({
      row: `fit --steps ${v}`,
      args: ['fit', '--data', '{D}/screen.h5ad', '--out', '{D}/r-steps', '--steps', v],
      code: 2,
      line: new RegExp(`option --steps needs an integer ≥ 1, got '${v.replace('.', '\\.')}'`),
      after: absent('r-steps'),
    })),
    {
      row: 'fit --hidden 0',
      args: ['fit', '--data', '{D}/screen.h5ad', '--out', '{D}/r-hidden', '--hidden', '0'],
      code: 2,
      line: /option --hidden needs an integer ≥ 1, got '0'/,
      after: absent('r-hidden'),
    },
    {
      row: 'fit --ema 1',
      args: ['fit', '--data', '{D}/screen.h5ad', '--out', '{D}/r-ema', '--ema', '1'],
      code: 2,
      line: /option --ema needs a number ≥ 0 and ≤ 0\.9999, got '1'/,
      after: absent('r-ema'),
    },
    {
      row: 'fit --ema with --early-stopping',
      args: ['fit', '--data', '{D}/screen.h5ad', '--out', '{D}/r-ema-es', '--ema', '0.99', '--early-stopping', '2'],
      code: 2,
      line: /--ema and --early-stopping cannot be combined yet/,
      after: absent('r-ema-es'),
    },
    {
      row: 'fit --queue without --prior-joint-steps',
      args: ['fit', '--data', '{D}/screen.h5ad', '--out', '{D}/r-queue', '--queue', 'redis://127.0.0.1:1'],
      code: 2,
      line: /--queue spreads the measurement model's environments over the workers after its joint steps: give --prior-joint-steps J \(J < --prior-steps/,
      after: absent('r-queue'),
    },
    {
      row: 'fit --prior-joint-steps above --prior-steps',
      args: [
        'fit',
        '--data',
        '{D}/screen.h5ad',
        '--out',
        '{D}/r-joint',
        '--prior-steps',
        '50',
        '--prior-joint-steps',
        '60',
      ],
      code: 2,
      line: /--prior-joint-steps 60 is more than --prior-steps 50/,
      after: absent('r-joint'),
    },
    ...['0', '-3'].map((v): Case => ({
      row: `simulate --cells ${v}`,
      args: ['simulate', '--out', '{D}/sim-bad', '--cells', v],
      code: 2,
      line: new RegExp(`option --cells needs an integer ≥ 1, got '${v}'`),
      after: absent('sim-bad'),
    })),
    {
      row: 'clipr on a model whose perturbed genes are all outside the panel',
      args: ['clipr', '--run', '{D}/r-offpanel'],
      code: 2,
      line: /CLIPR needs genes of the panel perturbed in training, and the model at .* has none \(its 2 trained target\(s\), e\.g\. X1, X2, are outside the 6-gene panel\)/,
      after: absent('r-offpanel/clipr'),
    },
    {
      row: 'modules --run on a run without clipr',
      args: ['modules', '--run', '{D}/run'],
      code: 2,
      line: /causal_matrix\.json: no causal matrix; run 'lcd-webgpu clipr --run .*run' first/,
      after: absent('run/modules'),
    },
    {
      row: 'modules --cut-height 0',
      args: ['modules', '--run', '{D}/run', '--cut-height', '0'],
      code: 2,
      line: /option --cut-height needs a number > 0, got '0'/,
      after: absent('run/modules'),
    },
    {
      row: 'evaluate --predictions naming a file that does not exist',
      args: ['evaluate', '--run', '{D}/run', '--predictions', '{D}/no-such.h5ad'],
      code: 2,
      line: /--predictions .*no-such\.h5ad: file not found/,
      after: absent('run/metrics.json'),
    },
    {
      row: 'predict --cells 0',
      args: ['predict', '--run', '{D}/run', '--cells', '0'],
      code: 2,
      line: /option --cells needs an integer ≥ 1, got '0'/,
      after: absent('run/predictions.h5ad'),
    },
    {
      row: "a gene named 'G,1' (correct handling: exit 0, every CSV row keeps its columns)",
      args: ['evaluate', '--truth', '{D}/comma.h5ad', '--predictions', '{D}/comma-pred.h5ad'].concat([
        '--baselines',
        'control',
        '--out',
        '{D}/ev-comma',
      ]),
      code: 0,
      line: /wrote .*ev-comma\/metrics\.json/,
      after: (dir) => {
        const rows = parse(readFileSync(join(dir, 'ev-comma', 'metrics.csv'), 'utf8')) as string[][];
        expect(rows[0]).toEqual(['perturbation', 'method', 'metric', 'value']);
        expect(rows.every((r) => r.length === 4)).toBe(true);
        expect(new Set(rows.slice(1).map((r) => r[0]))).toEqual(new Set(['G,1+G2']));
      },
    },
    {
      row: 'a count file with one negative value',
      args: ['fit', '--data', '{D}/negative-count.h5ad', '--out', '{D}/r-neg', ...TINY_FIT],
      code: 2,
      line: /negative-count\.h5ad: X has negative values \(.*cell 'c3', gene 'G3'.*--values latent/,
      after: absent('r-neg'),
    },
    {
      row: 'non-integer values with one negative, --values auto',
      args: ['fit', '--data', '{D}/negative-log1p.h5ad', '--out', '{D}/r-neg2', ...TINY_FIT],
      code: 2,
      line: /negative-log1p\.h5ad: X has negative values \(.*cell 'c3', gene 'G3'.*--values latent/,
      after: absent('r-neg2'),
    },
    {
      row: 'the same with --values log1p',
      args: ['fit', '--data', '{D}/negative-log1p.h5ad', '--values', 'log1p', '--out', '{D}/r-neg3', ...TINY_FIT],
      code: 2,
      line: /--values log1p, but cell 'c3', gene 'G3' holds -0\.08\d* \(log1p values are never negative\).*--values latent/,
      after: absent('r-neg3'),
    },
    {
      row: 'two genes with the same name',
      args: ['fit', '--data', '{D}/twin-genes.h5ad', '--out', '{D}/r-twin', ...TINY_FIT],
      code: 2,
      line: /twin-genes\.h5ad: gene 'G2' names two columns of var \(1 and 3\).*var_names_make_unique/,
      after: absent('r-twin'),
    },
    {
      row: 'predict --perturbations FOO+G1 (FOO not in the panel)',
      args: ['predict', '--run', '{D}/run', '--perturbations', 'FOO+G1'],
      code: 2,
      line: /target 'FOO' \(in FOO\+G1\) is neither a perturbation seen in training nor a gene of the panel/,
      after: absent('run/predictions.h5ad'),
    },
    {
      row: 'an 8-byte truncated h5ad',
      args: ['fit', '--data', '{D}/signature-only.h5ad', '--out', '{D}/r-sig', ...TINY_FIT],
      code: 2,
      line: /signature-only\.h5ad: the file is truncated \(8 bytes: the HDF5 signature without its superblock\)/,
      after: absent('r-sig'),
    },
    {
      row: 'SIGTERM during the measurement model (correct handling: 143, stage and step named, resume line)',
      args: ['fit', '--data', '{D}/screen.h5ad', '--out', '{D}/r-term', '--prior-steps', '400', ...TINY_FIT],
      env: { LCD_WEBGPU_FAILPOINT: 'prior.step@100:SIGTERM' },
      code: 143,
      line: /interrupted \(SIGTERM\) in the measurement model after step \d+ of 400/,
      after: (dir, r) => {
        expect(r.err).toContain(`resume with: lcd-webgpu fit --resume --out ${join(dir, 'r-term')}`);
        expect(existsSync(join(dir, 'r-term', 'run.json'))).toBe(true);
      },
    },
    {
      row: 'fit with defaults on a screen too small for 20 validation doubles',
      args: ['fit', '--data', '{D}/screen.h5ad', '--out', '{D}/r-defaults'],
      code: 2,
      line: /too few for 20 validation doubles and 10 folds; use --split seen2 or fewer --val-doubles/,
      after: absent('r-defaults'),
    },
    {
      row: 'fit with defaults on the shared Norman file (control labelled "control")',
      args: ['fit', '--data', shared, '--out', '{D}/r-norman'],
      code: 2,
      line: /control label 'ctrl' not found in obs\['condition'\] .*; pass --control control$/,
      after: absent('r-norman'),
      skip: () => !existsSync(shared),
    },
    {
      row: 'disk full during fit (a 16 KiB file-size limit)',
      args: ['fit', '--data', '{D}/screen.h5ad', '--out', '{D}/r-full', '--measurement', 'none', ...TINY_FIT],
      fileLimitKiB: 16,
      code: 1,
      line: /r-full\/data\.h5ad: could not write \d+ bytes \(EFBIG: the disk or a size limit is full\)/,
      after: absent('r-full'),
    },
    {
      row: 'disk full during evaluate (a 1 KiB file-size limit)',
      args: ['evaluate', '--truth', '{D}/comma.h5ad', '--predictions', '{D}/comma-pred.h5ad'].concat([
        '--baselines',
        'control',
        '--out',
        '{D}/ev-full',
      ]),
      fileLimitKiB: 1,
      code: 1,
      line: /ev-full\/metrics\.json: could not write \d+ bytes \(EFBIG/,
      after: absent('ev-full'),
    },
    {
      row: '--json on a usage error',
      args: ['fit', '--data', '{D}/screen.h5ad', '--out', '{D}/r-json', '--steps', '0', '--json'],
      code: 2,
      line: /option --steps needs an integer ≥ 1/,
      after: (dir, r) => {
        expect(JSON.parse(r.out)).toMatchObject({ ok: false, exit_code: 2 });
        expect(existsSync(join(dir, 'r-json'))).toBe(false);
      },
    },
  ];

  it.each(cases)('$row', (c) => {
    if (c.skip?.()) return;
    const r = run(c);
    expect(r.code, r.err).toBe(c.code);
    expect(r.err, 'no stack trace, no HDF5 dump').not.toMatch(/HDF5-DIAG|\n\s+at /);
    if (c.code === 0) expect(r.out).toMatch(c.line);
    else {
      const errors = errorLines(r.err);
      expect(errors, r.err).toHaveLength(1);
      expect(errors[0]).toMatch(c.line);
    }
    c.after?.(D, r);
    // no temporary left anywhere under the fixture folder
    const walk = (p: string): string[] =>
      statSync(p).isDirectory() ? readdirSync(p).flatMap((n) => walk(join(p, n))) : [p];
    expect(walk(D).filter((p) => p.endsWith('.tmp'))).toEqual([]);
  });

  it('--batch 100000 on 200 training cells: clamped with a note on stderr, not on stdout', () => {
    expect(fitNote.err).toMatch(/note: --batch 100000 is larger than the 200 training cells; using 200/);
    expect(fitNote.out).not.toMatch(/note:/);
  });

  it('a damaged checkpoint: resume falls back to the one before it and finishes', () => {
    const fit = ['fit', '--data', '{D}/screen.h5ad', '--out', '{D}/r-ckpt', '--measurement', 'none'].concat([
      '--split',
      'seen2',
      '--hidden',
      '16',
      '--steps',
      '60',
      '--checkpoint-every',
      '10',
    ]);
    const stopped = run({ args: fit, env: { LCD_WEBGPU_FAILPOINT: 'fit.step@25:SIGTERM' } });
    expect(stopped.code, stopped.err).toBe(143);
    const weights = join(D, 'r-ckpt', 'checkpoint', 'weights.safetensors');
    const b = readFileSync(weights);
    b[b.length - 9] = b[b.length - 9]! ^ 0xff;
    writeFileSync(weights, b);
    const resumed = run({ args: ['fit', '--resume', '--out', '{D}/r-ckpt'] });
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.err).toMatch(/note: the last checkpoint is damaged .*resuming from the previous one/);
    expect(existsSync(join(D, 'r-ckpt', 'model', 'weights.safetensors'))).toBe(true);
  });

  it('--quiet prints nothing on success; --json prints one object naming what was written', () => {
    const q = run({ args: ['simulate', '--out', '{D}/sim-q', '--cells', '20', '--quiet'] });
    expect(q.code, q.err).toBe(0);
    expect(q.out + q.err).toBe('');
    const j = run({ args: ['simulate', '--out', '{D}/sim-j', '--cells', '20', '--json'] });
    expect(j.code, j.err).toBe(0);
    const o = JSON.parse(j.out) as { ok: boolean; command: string; screen: string; genes: number };
    expect(o).toMatchObject({ ok: true, command: 'simulate', screen: join(D, 'sim-j', 'screen.h5ad'), genes: 24 });
    expect(existsSync(o.screen)).toBe(true);
  });
}
