// Every kind of h5ad this project writes, opened by an independent reader: Debian's anndata (python3-anndata 0.8,
// installed by `WITH_ANNDATA=1 scripts/install-webgpu-runtime.sh`, as .ci/run does). The simulated screen
// (simulate --counts), the run's preprocessed data and counts (fit) and the predictions (predict) are produced by
// the real jobs, read back by anndata, and compared with this project's reader: shape, cell and gene names, every
// condition, every value, and the recorded kind of values.
import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEngine } from './helpers/gpu.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { simulate } from '../src/jobs/simulate.ts';
import { fitRun } from '../src/jobs/fit-run.ts';
import { predictRun } from '../src/jobs/predict-run.ts';
import { runPaths } from '../src/jobs/run-folder.ts';
import { readH5ad } from '../src/node/h5ad.ts';

const PYTHON = '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import anndata; print(anndata.__version__)'], { encoding: 'utf8' });
const anndataVersion = probe.status === 0 ? probe.stdout.trim() : null;
if (!anndataVersion && process.env.CI === 'true')
  throw new Error('CI needs Debian python3-anndata: run WITH_ANNDATA=1 bash scripts/install-webgpu-runtime.sh');

// Reads one file with anndata and prints what a user would look at, as JSON.
const READER = `
import json, sys, warnings
warnings.simplefilter('ignore')
import anndata, h5py, numpy as np
a = anndata.read_h5ad(sys.argv[1])
with h5py.File(sys.argv[1]) as f:
    meta = {k: str(v) for k, v in f.attrs.items() if k.startswith('lcd_webgpu_')}
print(json.dumps({
    'shape': list(a.shape), 'obs_names': list(map(str, a.obs_names)), 'var_names': list(map(str, a.var_names)),
    'condition': list(map(str, a.obs['condition'])), 'X': np.asarray(a.X, dtype=np.float64).ravel().tolist(),
    'meta': meta, 'version': anndata.__version__,
}))
`;

interface Seen {
  shape: [number, number];
  obs_names: string[];
  var_names: string[];
  condition: string[];
  X: number[];
  meta: Record<string, string>;
}

const engine = await testEngine();
describe.skipIf(!engine || !anndataVersion)(`h5ad files read by Debian anndata ${anndataVersion ?? ''}`, () => {
  const files: Record<string, string> = {};
  beforeAll(async () => {
    const B = new WebGPUBackend(engine!),
      dir = mkdtempSync(join(tmpdir(), 'anndata-')),
      quiet = () => {};
    await simulate(B, {
      out: join(dir, 'sim'),
      kind: 'nonlinear',
      d: 8,
      doubles: 3,
      cells: 40,
      counts: { unitScale: 10, zeroProb: 0.1 },
    });
    const run = join(dir, 'run');
    await fitRun(B, {
      data: join(dir, 'sim', 'screen.h5ad'),
      out: run,
      split: { mode: 'seen2' },
      qc: { minCellsPerGene: 0, minCellsPerPerturbation: 0 },
      lcd: { steps: 20, hidden: 16, stepsPerLevel: 2, lastLevel: 5 },
      prior: { steps: 20, mcSamples: 64 },
      statesPerEnv: 40,
      log: quiet,
    });
    await predictRun(B, { run, engine: engine!, cells: 12, log: quiet });
    Object.assign(files, {
      'simulated screen': join(dir, 'sim', 'screen.h5ad'),
      'run data': runPaths(run).data,
      'run counts': runPaths(run).counts,
      predictions: runPaths(run).predictions(),
    });
  }, 600_000);

  it.each(['simulated screen', 'run data', 'run counts', 'predictions'])('%s', async (kind) => {
    const path = files[kind]!;
    const r = spawnSync(PYTHON, ['-c', READER, path], { encoding: 'utf8', maxBuffer: 256 << 20 });
    expect(r.status, r.stderr).toBe(0);
    const seen = JSON.parse(r.stdout) as Seen;
    const ours = await readH5ad(path);
    expect(seen.shape).toEqual([ours.nObs, ours.nVars]);
    expect(seen.obs_names).toEqual(ours.obsNames);
    expect(seen.var_names).toEqual(ours.varNames);
    expect(seen.condition).toEqual(ours.obs['condition']);
    if (kind !== 'predictions') expect(seen.condition).toContain('ctrl');
    else expect(new Set(seen.condition).size).toBeGreaterThan(0);
    expect(seen.X).toEqual(Array.from(ours.X));
    expect(seen.meta['lcd_webgpu_values']).toBe(ours.meta['values']);
    expect(['counts', 'log1p', 'latent']).toContain(seen.meta['lcd_webgpu_values']);
  });
});
