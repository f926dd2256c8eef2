// A simulated latent (continuous, possibly negative) screen through the pipeline with --values latent: no expm1 in
// preprocessing or GI, the run remembers the kind, every GI gene is used.
import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEngine } from './helpers/gpu.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { simulate } from '../src/jobs/simulate.ts';
import { fitRun } from '../src/jobs/fit-run.ts';
import { predictRun } from '../src/jobs/predict-run.ts';
import { giRun } from '../src/jobs/gi-run.ts';
import { readRun, readRunData } from '../src/jobs/run-folder.ts';

const engine = await testEngine();
describe.skipIf(!engine)('latent screen through the pipeline', () => {
  it('fit --values latent → predict → gi', async () => {
    const B = new WebGPUBackend(engine!),
      dir = mkdtempSync(join(tmpdir(), 'latent-')),
      quiet = () => {};
    const s = await simulate(B, { out: join(dir, 'sim'), kind: 'linear', d: 12, doubles: 4, cells: 80 });
    expect(s.envs.some((e) => e.values.some((v) => v < 0))).toBe(true);
    const run = join(dir, 'run');
    await fitRun(B, {
      data: join(dir, 'sim', 'screen.h5ad'),
      out: run,
      load: { values: 'latent' },
      split: { mode: 'seen2' },
      lcd: { steps: 60, hidden: 32, stepsPerLevel: 5 },
      log: quiet,
    });
    expect(readRun(run).valuesIn).toBe('latent');
    expect((await readRunData(run)).kind).toBe('latent');
    await predictRun(B, { run, engine: engine!, cells: 30, log: quiet });
    const gi = await giRun(engine!, { run, log: quiet });
    expect(gi.genes).toBe(12);
    expect(gi.doubles.length).toBeGreaterThan(0);
  }, 300_000);
});
