// End to end on the built-in nonlinear screen (the main job): LCD must beat the additive baseline on held-out
// doubles. This is the slowest test (a few minutes on a CPU adapter): it trains the real default model.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync, existsSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEngine } from './helpers/gpu.ts';
import { runBuiltinScreen, assertWritableOutDir } from '../src/jobs/builtin-screen.ts';

const engine = await testEngine();
describe.skipIf(!engine)('built-in nonlinear screen', () => {
  it('LCD beats the additive baseline on held-out doubles (energy distance), and writes its run folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lcd-job-'));
    try {
      const res = await runBuiltinScreen(engine!, { outDir: dir, force: true, log: () => {} });
      const { LCD: lcd, additive, control } = res.mean;
      expect(lcd!.ed).toBeLessThan(additive!.ed);
      expect(additive!.ed).toBeLessThan(control!.ed);
      // The doubles are really non-additive: the additive baseline is far above the split-half floor.
      expect(additive!.ed).toBeGreaterThan(res.mean['split-half floor']!.ed + 0.1);
      // Genetic interactions: LCD's predicted doubles get the interaction magnitude closer than the additive baseline
      // (whose doubles are additive by construction). Type agreement is 36 calls on 6 doubles: over screen seeds 0, 1, 2
      // LCD agrees on 81 / 86 / 92 % against the additive baseline's 86 / 67 / 69 % (README), so at this seed LCD is
      // two calls behind; the test asserts LCD's floor, not a win.
      const gi = res.gi.agreement;
      expect(res.gi.doubles).toHaveLength(6);
      expect(gi['LCD']!.agreement).toBeGreaterThanOrEqual(0.75);
      expect(gi['LCD']!.se_mag).toBeLessThan(gi['additive']!.se_mag);
      for (const f of [
        'metrics.json',
        'metrics.csv',
        'predictions.safetensors',
        'model/config.json',
        'model/weights.safetensors',
      ])
        expect(existsSync(join(dir, f)), f).toBe(true);
      const saved = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
      expect(saved.mean.LCD.ed).toBeCloseTo(lcd!.ed, 10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 900_000);

  it('refuses to write into a non-empty output folder without force', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lcd-out-'));
    try {
      writeFileSync(join(dir, 'x'), '1');
      expect(() => assertWritableOutDir(dir)).toThrow(/exists and is not empty.*--force/);
      expect(() => assertWritableOutDir(dir, true)).not.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
