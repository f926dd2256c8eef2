// The package as a user gets it: `npm pack` of the built dist/, installed into a scratch project outside this
// repository, then used the way a Node script, a TypeScript project, a bundler and a shell would. Plus the browser
// entry's import graph from source: it must never reach a Node built-in, h5wasm's Node build or the native binding.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, copyFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { requireGpu } from './helpers/gpu.ts';
import { badInputTable } from './helpers/bad-input-table.ts';

const repo = resolve(import.meta.dirname, '..');
const SHARED_NORMAN = resolve(repo, '..', 'shared', 'data', 'norman19_mcfaline23_devel.h5ad');
const here = join(repo, 'test', 'package');
/** Imports a browser bundle must not contain: Node built-ins, the Dawn binding, h5wasm's Node build, our Node layer. */
const FORBIDDEN =
  /^node:|(^|\/)node_modules\/webgpu\/|h5wasm\/dist\/node\/|(^|\/)(src|dist)\/node\/|(^|\/)(src|dist)\/(cli|jobs|report)\//;

// Child npm/node processes must not inherit `npm test`'s npm_* settings (its prefix would point back at this repo).
const cleanEnv = () =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k))) as NodeJS.ProcessEnv;
const npm = (args: string[], cwd: string) =>
  execFileSync('npm', args, { cwd, env: cleanEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

async function browserInputs(entry: string, cwd: string): Promise<string[]> {
  const r = await build({
    entryPoints: [entry],
    absWorkingDir: cwd,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    outfile: 'out.js',
  });
  return Object.keys(r.metafile.inputs);
}

describe('the browser entry from source', () => {
  it('reaches no node:*, h5wasm/node, webgpu or Node-only layer, and bundles for a browser', async () => {
    const inputs = await browserInputs('src/browser.ts', repo);
    expect(inputs.filter((p) => FORBIDDEN.test(p))).toEqual([]);
    expect(inputs).toContain('src/lcd/model.ts');
    expect(inputs.some((p) => p.includes('node_modules/h5wasm/dist/esm/'))).toBe(true);
  });
  it('the Node entry adds Dawn and the file helpers (a negative control for the check above)', async () => {
    const r = await build({
      entryPoints: ['src/index.ts'],
      absWorkingDir: repo,
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      outfile: 'out.js',
      packages: 'external',
    });
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs.filter((p) => FORBIDDEN.test(p)).sort()).toEqual(
      expect.arrayContaining(['src/node/dawn.ts', 'src/node/h5ad.ts', 'src/node/folder-store.ts']),
    );
  });
});

describe('the packed tarball installed into a scratch project', () => {
  let dir = '',
    app = '',
    files: string[] = [];
  beforeAll(() => {
    if (!existsSync(join(repo, 'dist', 'index.js')))
      throw new Error('dist/ is missing: `npm test` builds it first (npm run build)');
    dir = mkdtempSync(join(tmpdir(), 'lcd-pack-'));
    // --ignore-scripts: dist/ was just built by `npm test`; packing must not rebuild it.
    const packed = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], repo)) as {
      filename: string;
      files: { path: string }[];
    }[];
    files = packed[0]!.files.map((f) => f.path);
    app = join(dir, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    npm(
      ['install', join(dir, packed[0]!.filename), '@types/node@20', '--no-audit', '--no-fund', '--prefer-offline'],
      app,
    );
    for (const f of [
      'consumer-node.mjs',
      'consumer.ts',
      'tsconfig.consumer.json',
      'consumer-web.js',
      'consumer-browser.ts',
      'tsconfig.browser.json',
    ])
      copyFileSync(join(here, f), join(app, f));
  }, 300_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ships compiled JS, declarations, the bin, README and LICENSE, and nothing from src/, test/, bench/, scripts/ or .ci/', () => {
    for (const f of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/browser.js',
      'dist/browser.d.ts',
      'dist/cli/main.js',
      'dist/index.js.map',
      'bin/lcd-webgpu.mjs',
      'README.md',
      'LICENSE',
      'package.json',
    ])
      expect(files).toContain(f);
    expect(files.filter((f) => /^(src|test|bench|scripts|\.ci|shaders)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it.skipIf(!requireGpu && !existsSync('/usr/share/vulkan/icd.d'))(
    'plain node imports it, runs a matmul, a short LCD fit and sampling, model bytes and h5ad bytes',
    () => {
      const r = spawnSync(process.execPath, ['consumer-node.mjs'], {
        cwd: app,
        env: { ...cleanEnv(), XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      expect(out.matmulErr).toBeLessThan(1e-5);
      expect(out.losses).toBeGreaterThan(0);
      expect(out.sampled).toBe(8 * 4);
      expect(out.finite).toBe(true);
      expect(out.reloadSame).toBe(true); // same weights, seed and adapter → the same cells
      expect(out.files).toEqual(['config.json', 'weights.safetensors']);
      expect(out.h5ad).toEqual({ nObs: 3, nVars: 2, condition: ['ctrl', 'A', 'A+B'], X: [0, 0.5, 1, 1.5, 2, 2.5] });
    },
  );

  it.each([
    ['a TypeScript consumer with NodeNext resolution', 'tsconfig.consumer.json'],
    ['a browser project (lib ES2022 + DOM, no Node types, the browser entry)', 'tsconfig.browser.json'],
  ])('%s type-checks against the declarations (skipLibCheck off)', (_, config) => {
    const r = spawnSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', config], {
      cwd: app,
      encoding: 'utf8',
    });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('esbuild bundles a page importing the package for the browser, with no Node built-in in the graph', async () => {
    const inputs = await browserInputs('consumer-web.js', app);
    expect(inputs).toContain('node_modules/lcd-webgpu/dist/browser.js');
    expect(inputs.filter((p) => FORBIDDEN.test(p))).toEqual([]);
  });

  // Every bad input of the README's Reliability table, through the installed launcher (not this repository's).
  describe.skipIf(!requireGpu && !existsSync('/usr/share/vulkan/icd.d'))('the bad-input table, installed CLI', () =>
    badInputTable(() => join(app, 'node_modules', 'lcd-webgpu', 'bin', 'lcd-webgpu.mjs'), SHARED_NORMAN),
  );

  it('npx lcd-webgpu --help runs the compiled CLI with plain node', () => {
    const r = spawnSync('npx', ['--no-install', 'lcd-webgpu', '--help'], {
      cwd: app,
      env: cleanEnv(),
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^usage: lcd-webgpu <command>/);
    expect(r.stdout).toMatch(/\bfit\b.*\n/);
  });

  it.skipIf(!requireGpu && !existsSync('/usr/share/vulkan/icd.d'))(
    'SIGTERM to npx (which does not pass it on) still stops the fit with a checkpoint and frees the folder',
    async () => {
      const env = { ...cleanEnv(), XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' };
      const sim = spawnSync('npx', ['--no-install', 'lcd-webgpu', 'simulate', '--out', 'npx-sim', '--counts'], {
        cwd: app,
        env,
        encoding: 'utf8',
      });
      expect(sim.status, sim.stderr).toBe(0);
      const run = join(app, 'npx-run');
      const args = ['fit', '--data', 'npx-sim/screen.h5ad', '--out', run, '--split', 'seen2', '--measurement', 'none'];
      const npx = spawn('npx', ['--no-install', 'lcd-webgpu', ...args, '--hidden', '16', '--steps', '100000'], {
        cwd: app,
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      npx.stderr!.on('data', (b: Buffer) => (err += b.toString()));
      const until = async (f: () => boolean) => {
        for (let t = 0; t < 600 && !f(); t++) await new Promise((r) => setTimeout(r, 100));
      };
      await until(() => existsSync(join(run, 'run.json')));
      await new Promise((r) => setTimeout(r, 1500)); // into training
      npx.kill('SIGTERM'); // npm dies without forwarding it; the launcher finds itself re-parented
      await until(
        () => !existsSync(join(run, '.lcd-webgpu.lock')) && existsSync(join(run, 'checkpoint', 'config.json')),
      );
      const holder = join(run, '.lcd-webgpu.lock.json'); // still there: the work runs on, an orphan; end it
      if (existsSync(holder))
        process.kill((JSON.parse(readFileSync(holder, 'utf8')) as { pid: number }).pid, 'SIGKILL');
      expect(existsSync(join(run, 'checkpoint', 'config.json')), err).toBe(true);
      expect(existsSync(join(run, '.lcd-webgpu.lock')), 'the lock is released').toBe(false);
      const resumed = spawnSync(
        process.execPath,
        [join(app, 'node_modules', 'lcd-webgpu', 'bin', 'lcd-webgpu.mjs'), 'predict', '--run', run],
        {
          env,
          encoding: 'utf8',
        },
      );
      expect(resumed.stderr).toMatch(/holds no model yet .*fit --resume/); // the work stopped: nothing holds the folder
    },
    120_000,
  );
});
