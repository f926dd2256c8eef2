// The CLIPR benchmark job on one small linear screen: every reading is scored, two budgets are trained and kept, a
// second run reuses the kept models, and the summary agrees with the per-screen results. (The gene-network half
// runs the same code paths through `fit`; its figures are the README's, from a full run.)
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEngine } from './helpers/gpu.ts';
import { runCliprBenchmark, summarize, type ScreenResult } from '../src/jobs/clipr-benchmark.ts';

const engine = await testEngine();
const out = mkdtempSync(join(tmpdir(), 'clipr-bench-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe.skipIf(!engine)('clipr-benchmark', () => {
  it('scores DE, the data readings, the oracle and the LCD readings at two budgets; reuses kept models', async () => {
    const o = {
      grid: [{ graph: 'er' as const, d: 12, p: 12 }],
      linearSeeds: [0],
      grnSeeds: [],
      grnSteps: 0,
      double: true,
      // every level trained, so that the reference's drift reading (level 29) can be read
      lcd: { steps: 150, hidden: 32, batchSize: 128, envsPerBatch: 4, trainLevels: 30 },
      outDir: out,
    };
    const [r] = await runCliprBenchmark(engine!, o);
    expect(r!.screen).toBe('er-12-12-s0');
    expect(Object.keys(r!.data).sort()).toEqual([
      'data-direct',
      'data-response',
      'de',
      'empirical-gaussian',
      'score-oracle',
    ]);
    expect(r!.lcd.map((l) => l.steps)).toEqual([150, 300]);
    for (const l of r!.lcd) {
      expect(Object.keys(l.readings)).toEqual([
        'auto',
        'response',
        'response-flow',
        'linear-direct',
        'linear-ungated',
        'drift-level19',
        'reference',
      ]);
      expect(l.trainS).toBeGreaterThan(0);
      for (const m of Object.values(l.readings)) {
        expect(Number.isFinite(m.block.auroc)).toBe(true);
        expect(m.block.indirectFpr).toBeGreaterThanOrEqual(0); // the ER graph has chains: a rate in [0, 1]
        expect(m.block.indirectFpr).toBeLessThanOrEqual(1);
      }
      expect(l.readings['linear-direct']!.effects).toBe('direct');
      // the gate scales entries, it does not move the ridge: the same states, the same held-out R²
      expect(l.readings['linear-ungated']!.heldOutR2).toBe(l.readings['linear-direct']!.heldOutR2);
      // the default is the means' reading when they pass the criterion, else the linear response's direct effects
      const { response, 'linear-direct': linear } = l.readings;
      expect(l.readings.auto).toEqual(
        response!.effects === 'direct' ? response : { ...linear, heldOutR2: response!.heldOutR2 },
      );
    }
    // the data's forced direct reading is the data-response reading when its criterion chose direct effects
    expect(r!.data['data-direct']!.block).toEqual(r!.data['data-response']!.block);
    // with every gene perturbed the two blocks are the same entries
    expect(r!.data.de!.all).toEqual(r!.data.de!.block);
    // 200 cells per environment: the data's responses invert well (a linear screen); the oracle reads −(Σ + σ²I)⁻¹
    expect(r!.data['data-response']!.effects).toBe('direct');
    expect(r!.data['data-response']!.block.auroc).toBeGreaterThan(r!.data.de!.block.auroc);
    expect(r!.data['score-oracle']!.block.auroc).toBeGreaterThan(0.65); // 0.72 at d = 12 (spec §6.3: lower at small d)
    expect(existsSync(join(out, 'models', 'er-12-12-s0-150', 'config.json'))).toBe(true);
    expect(existsSync(join(out, 'models', 'er-12-12-s0-300', 'config.json'))).toBe(true);

    // a second run loads both models (no training time) and reads them identically
    const [again] = await runCliprBenchmark(engine!, o);
    expect(again!.lcd.every((l) => Number.isNaN(l.trainS))).toBe(true);
    expect(again!.lcd.map((l) => l.readings)).toEqual(r!.lcd.map((l) => l.readings));

    const saved = JSON.parse(readFileSync(join(out, 'clipr-benchmark.json'), 'utf8')) as {
      results: ScreenResult[];
      summary: ReturnType<typeof summarize>;
    };
    const row = saved.summary.find((s) => s.reading === 'response' && s.steps === 300)!;
    expect(row.n).toBe(1);
    expect(row.blockAuroc.mean).toBeCloseTo(r!.lcd[1]!.readings.response!.block.auroc, 12);
    expect(row.blockAuroc.sd).toBe(0);
  }, 600_000);

  it("skips, and says so, a drift reading at a level the models did not train (the default trains the sampler's)", async () => {
    const lines: string[] = [];
    const [r] = await runCliprBenchmark(engine!, {
      grid: [{ graph: 'er' as const, d: 12, p: 12 }],
      linearSeeds: [0],
      grnSeeds: [],
      grnSteps: 0,
      double: false,
      lcd: { steps: 50, hidden: 16, batchSize: 64 },
      lcdReadings: ['drift-level19', 'reference'],
      outDir: join(out, 'default-levels'),
      log: (l: string) => lines.push(l),
    });
    expect(Object.keys(r!.lcd[0]!.readings)).toEqual(['drift-level19']);
    expect(lines.join('\n')).toMatch(
      /er-12-12-s0: reference not read: it reads noise level 29, the model trained levels 0–22 \(fits with --train-levels 30 train every level\)/,
    );
  }, 300_000);
});
