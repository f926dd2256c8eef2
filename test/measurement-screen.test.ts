// The measurement model end to end on a nonlinear count screen (the built-in Hopfield screen measured by a ZIP):
// LCD fitted through the prior (LCD learns the prior's latent states; predictions are decoded to counts and
// normalised) predicts held-out doubles closer in energy distance to the true (normalised) counts than LCD fitted
// to the log1p counts directly. Slow (minutes on a CPU adapter): two fits at reduced budgets.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEngine } from './helpers/gpu.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { simulate } from '../src/jobs/simulate.ts';
import { fitRun } from '../src/jobs/fit-run.ts';
import { predictRun } from '../src/jobs/predict-run.ts';
import { evaluateRun } from '../src/jobs/evaluate-run.ts';

const engine = await testEngine();
describe.skipIf(!engine)('measurement model on a count screen', () => {
  it('with the noise model LCD beats LCD on log1p counts on held-out doubles (energy distance)', async () => {
    const B = new WebGPUBackend(engine!),
      dir = mkdtempSync(join(tmpdir(), 'zip-'));
    await simulate(B, {
      out: join(dir, 'sim'),
      kind: 'nonlinear',
      doubles: 28,
      counts: { unitScale: 10, zeroProb: 0.1 },
    });
    const quiet = () => {};
    const ed: Record<string, number> = {};
    for (const measurement of ['zip', 'none'] as const) {
      const run = join(dir, measurement);
      await fitRun(B, {
        data: join(dir, 'sim', 'screen.h5ad'),
        out: run,
        split: { mode: 'val', nVal: 12 },
        measurement,
        prior: { steps: 3000 },
        lcd: { steps: 4000, hidden: 128, stepsPerLevel: 100, lastLevel: 22 },
        log: quiet,
      });
      expect(existsSync(join(run, 'model', 'measurement.json'))).toBe(measurement === 'zip');
      await predictRun(B, { run, engine: engine!, cells: 150, log: quiet });
      const { summary } = await evaluateRun(engine!, { run, baselines: ['additive'], log: quiet });
      ed[measurement] = summary['LCD']!['ed']!.mean;
      ed['additive'] = summary['additive']!['ed']!.mean;
    }
    expect(ed['zip']).toBeLessThan(ed['none']!);
    // counts can be predicted only through the measurement model
    await expect(
      predictRun(B, { run: join(dir, 'none'), engine: engine!, output: 'counts', log: quiet }),
    ).rejects.toThrow(/no measurement model.*cannot predict counts/);
    const { cells } = await predictRun(B, {
      run: join(dir, 'zip'),
      engine: engine!,
      output: 'counts',
      cells: 20,
      log: quiet,
    });
    expect(cells.every((c) => c.every((v) => v >= 0 && Number.isInteger(v)))).toBe(true);
    console.log(
      `held-out ED: LCD with measurement model ${ed['zip']!.toFixed(4)}, without ${ed['none']!.toFixed(4)}, additive ${ed['additive']!.toFixed(4)}`,
    );
  }, 1_200_000);
});
