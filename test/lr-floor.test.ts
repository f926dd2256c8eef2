// The learning-rate floor (LCD's learningRateFloor, `--lr-floor`): where a fit's cosine schedule ends, checked against
// the closed form, refused outside [0, 1], recorded with the model; the built-in job's defaults use it with a weight
// average.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEngine } from './helpers/gpu.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { LCD, learningRateSchedule, resolveHyperparameters } from '../src/lcd/model.ts';
import { BUILTIN_LCD } from '../src/jobs/builtin-screen.ts';
import { folderStore } from '../src/node/folder-store.ts';
import { gaussScreen } from './helpers/gauss-screen.ts';

const engine = await testEngine();
const gpu = engine ? new WebGPUBackend(engine) : null;

describe('learning-rate floor', () => {
  it('the schedule goes from the peak to floor × peak along a cosine; absent, to zero', () => {
    const lr = learningRateSchedule(resolveHyperparameters({ learningRate: 2e-3, steps: 100, learningRateFloor: 0.5 }));
    expect(lr(0)).toBeCloseTo(2e-3, 15);
    expect(lr(50)).toBeCloseTo(2e-3 * (0.5 + 0.5 * 0.5), 15); // halfway down the cosine: (1 + floor)/2 of the peak
    expect(lr(100)).toBeCloseTo(1e-3, 15);
    expect(lr(250)).toBeCloseTo(1e-3, 15); // past the steps it stays at the floor
    const plain = learningRateSchedule(resolveHyperparameters({ learningRate: 2e-3, steps: 100 }));
    expect(plain(100)).toBe(0);
    expect(plain(25)).toBeCloseTo(2e-3 * 0.5 * (1 + Math.cos(Math.PI / 4)), 15);
  });

  it('is refused outside [0, 1], naming the option', () => {
    expect(() => new LCD({ learningRateFloor: 1.5 })).toThrow(/learningRateFloor 1\.5 .*\[0, 1\].*--lr-floor/);
    expect(() => new LCD({ learningRateFloor: -0.1 })).toThrow(/learningRateFloor -0\.1/);
    expect(new LCD({ learningRateFloor: 1 }).hp.learningRateFloor).toBe(1);
  });

  it("the built-in job trains 3,000 steps to half the peak, keeping the weights' average", () => {
    expect(BUILTIN_LCD).toMatchObject({ steps: 3000, learningRateFloor: 0.5, emaDecay: 0.999 });
  });
});

describe.skipIf(!gpu)('a fit with a floor', () => {
  it('records the floor with the model, and a reloaded model reads it back', async () => {
    const lcd = await new LCD({ steps: 20, hidden: 8, batchSize: 16, learningRateFloor: 0.25, emaDecay: 0.9 }).fit(
      gaussScreen(3, 40, 3),
      { backend: gpu! },
    );
    const dir = mkdtempSync(join(tmpdir(), 'lcd-lr-floor-'));
    try {
      await lcd.save(folderStore(dir));
      const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      expect(cfg.hyperparameters.learningRateFloor).toBe(0.25);
      expect(LCD.load(folderStore(dir), gpu!).hp.learningRateFloor).toBe(0.25);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
