// The noise levels DSM trains (LCD's trainLevels): drawn only below the bound, derived from the sampler's last
// level, recorded with the model (older models trained all 30), and every reader refuses a level never trained.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEngine } from './helpers/gpu.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { drawBatch, type TrainEnv } from '../src/lcd/dsm.ts';
import { N_LEVELS } from '../src/lcd/schedule.ts';
import { LCD, LCD_DEFAULTS, resolveHyperparameters } from '../src/lcd/model.ts';
import { LcdDriftModel } from '../src/clipr/drift-models.ts';
import { folderStore } from '../src/node/folder-store.ts';
import { savedHyperparameters } from '../src/lcd/io.ts';
import { scratchRng } from '../src/reference/rng.ts';
import { gaussScreen } from './helpers/gauss-screen.ts';

const engine = await testEngine();
const gpu = engine ? new WebGPUBackend(engine) : null;

describe('trained noise levels', () => {
  it('a batch draws every level below the bound and none above it', () => {
    const rng = scratchRng(3);
    const envs: TrainEnv[] = [0, 1].map(() => ({
      values: Float32Array.from({ length: 20 * 2 }, () => rng.normal()),
      cells: 20,
      weights: new Float64Array(1),
    }));
    for (const L of [23, N_LEVELS]) {
      const seen = new Set<number>();
      for (let step = 0; step < 40; step++) drawBatch(envs, 2, 64, 7, step, L).levels.forEach((l) => seen.add(l));
      expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: L }, (_, i) => i));
    }
  });

  it("defaults to the sampler's levels; a sampler going further trains them; explicit values win", () => {
    expect(LCD_DEFAULTS.trainLevels).toBe(LCD_DEFAULTS.lastLevel + 1);
    expect(resolveHyperparameters().trainLevels).toBe(23);
    expect(resolveHyperparameters({ lastLevel: 29 }).trainLevels).toBe(N_LEVELS);
    expect(resolveHyperparameters({ lastLevel: 10, trainLevels: 30 }).trainLevels).toBe(30);
    expect(() => new LCD({ trainLevels: 10 })).toThrow(
      /sampler \(lastLevel\) reads noise level 22.*levels 0–9.*--train-levels 23/,
    );
    expect(() => new LCD({ trainLevels: 0 })).toThrow(/trainLevels 0 is not a number of noise levels 1–30/);
    expect(() => new LCD({ trainLevels: 31 })).toThrow(/trainLevels 31/);
    // a saved config (what the loader and the report read): without the field, every level was trained
    expect(savedHyperparameters({ lastLevel: 22 }).trainLevels).toBe(N_LEVELS);
    expect(savedHyperparameters({ lastLevel: 22, trainLevels: 23 }).trainLevels).toBe(23);
  });
});

describe.skipIf(!gpu)('a model reads only the levels it trained', () => {
  const screen = gaussScreen(3, 60, 4);

  it('sampling, the drift and the flow stop at its last trained level; a model saved before the option trained all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lcd-levels-'));
    try {
      const lcd = await new LCD({ hidden: 8, steps: 4, batchSize: 16, stepsPerLevel: 2, seed: 1 }).fit(screen, {
        backend: gpu!,
      });
      expect(lcd.hp.trainLevels).toBe(23);
      await expect(lcd.sample(['g0'], 4, { lastLevel: 29 })).rejects.toThrow(
        /sampler \(--last-level\) reads noise level 29, but the model trained levels 0–22.*--train-levels 30/,
      );
      const ctrl = new Float64Array(3);
      await expect(lcd.driftAt([ctrl], [[]], 29)).rejects.toThrow(
        /drift reading \(--drift-level\) reads noise level 29/,
      );
      expect((await lcd.driftAt([ctrl], [[]], 22))[0]!.every(Number.isFinite)).toBe(true);
      // CLIPR's drift reading refuses the reference's level 29 before it runs the flow
      await expect(new LcdDriftModel(lcd, 2, 29).responses([0])).rejects.toThrow(/reads noise level 29/);
      const flow = await lcd.flowFixedPoints([[], ['g0']], 2);
      expect(flow).toHaveLength(2);
      expect(flow.every((x) => x.every(Number.isFinite))).toBe(true);
      expect((await lcd.sample(['g0'], 4, { lastLevel: 22 })).every(Number.isFinite)).toBe(true);
      // saved and loaded, the bound travels with the model
      await lcd.save(folderStore(dir));
      expect(LCD.load(folderStore(dir), gpu!).hp.trainLevels).toBe(23);
      // a config written before trainLevels existed: that model trained every level
      const cfgPath = join(dir, 'config.json');
      const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
      delete cfg.hyperparameters.trainLevels;
      writeFileSync(cfgPath, JSON.stringify(cfg));
      const old = LCD.load(folderStore(dir), gpu!);
      expect(old.hp.trainLevels).toBe(N_LEVELS);
      expect((await old.sample(['g0'], 4, { lastLevel: 29 })).every(Number.isFinite)).toBe(true);
      lcd.dispose();
      old.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
