// DE metrics on constructed cases, the full evaluation (GPU distances against the Float64 path, metric names,
// gene subsets), and the baselines (pooled perturbed, PEPER) on data with a known answer.
import { describe, it, expect } from 'vitest';
import {
  averagePrecision,
  deClassification,
  deTest,
  precisionRecallF1,
  prepareControl,
  topKDe,
} from '../src/metrics/de.ts';
import { evaluatePrediction, makeContext, summarize } from '../src/metrics/evaluate.ts';
import { energyDistance, mmd } from '../src/metrics/distribution.ts';
import { Peper } from '../src/baselines/peper.ts';
import { additivePrediction } from '../src/baselines/additive.ts';
import { pooledPerturbedPrediction } from '../src/baselines/simple.ts';
import { CpuBackend } from '../src/ops/cpu-backend.ts';
import type { RefArray } from '../src/reference/kernels.ts';
import { envMean, envName, type Screen } from '../src/data/dataset.ts';
import { scratchRng } from '../src/reference/rng.ts';
import { testEngine } from './helpers/gpu.ts';

const rng = scratchRng(11);
function cells(n: number, d: number, shift: (g: number) => number): { values: Float32Array; n: number } {
  return { values: Float32Array.from({ length: n * d }, (_, i) => rng.normal() + shift(i % d)), n };
}

const curve0 = (c: { step: number }[]) => c.slice(0, 2).map((l) => l.step);

describe('DE metrics', () => {
  it('precision/recall/F1 and average precision on hand-counted cases', () => {
    expect(precisionRecallF1([true, true, false, false], [true, false, true, false])).toEqual({
      precision: 0.5,
      recall: 0.5,
      f1: 0.5,
    });
    const none = precisionRecallF1([false, false], [false, false]);
    expect(Number.isNaN(none.precision) && Number.isNaN(none.recall) && Number.isNaN(none.f1)).toBe(true);
    // ranking: pos, neg, pos → AP = (1/1 + 2/3)/2
    expect(averagePrecision([3, 2, 1], [true, false, true])).toBeCloseTo((1 + 2 / 3) / 2, 12);
  });
  it('DE calls find the shifted genes; a perfect prediction scores F1 = 1 and top-k AUROC = 1', () => {
    const d = 40,
      shifted = (g: number) => (g < 8 ? 1.5 : 0);
    const ctrl = cells(150, d, () => 0),
      truth = cells(150, d, shifted),
      good = cells(150, d, shifted),
      bad = cells(150, d, (g) => (g >= 32 ? 1.5 : 0));
    const refs = prepareControl(ctrl, d);
    const t = deTest(truth, ctrl, refs, d),
      pg = deTest(good, ctrl, refs, d),
      pb = deTest(bad, ctrl, refs, d);
    expect(Array.from(t.padj.subarray(0, 8)).every((q) => q < 1e-6)).toBe(true);
    expect(deClassification(pg, t).f1).toBeGreaterThan(0.9);
    expect(deClassification(pb, t).precision).toBeLessThan(0.2);
    const k = topKDe(pg, t, 8, 'pval');
    expect(k.auroc).toBeGreaterThan(0.95);
    expect(topKDe(pb, t, 8, 'delta').auroc).toBeLessThan(0.5);
    expect(Number.isNaN(topKDe(pg, t, 100, 'delta').auroc)).toBe(true); // k ≥ genes: undefined
  });
});

describe('evaluation', () => {
  it('every metric on all genes and the top-20, GPU distances equal to the Float64 reference', async () => {
    const engine = await testEngine();
    if (!engine) return;
    const d = 50,
      shift = (g: number) => (g % 7 === 0 ? 1 : 0);
    const ctrl = cells(120, d, () => 0),
      truth = cells(100, d, shift),
      pred = cells(90, d, (g) => 0.8 * shift(g));
    const markers = Array.from({ length: 20 }, (_, i) => i * 2);
    const hvgRank = Array.from({ length: d }, (_, g) => d - 1 - g);
    const cpu = await evaluatePrediction(
      makeContext(ctrl, [envMean({ name: 'x', targets: [], values: truth.values, cells: truth.n }, d)], d, { hvgRank }),
      pred,
      truth,
      markers,
    );
    const gpu = await evaluatePrediction(
      makeContext(ctrl, [envMean({ name: 'x', targets: [], values: truth.values, cells: truth.n }, d)], d, {
        hvgRank,
        engine,
      }),
      pred,
      truth,
      markers,
    );
    for (const m of [
      'ed',
      'mmd',
      'w1_eltwise',
      'rmse_m',
      'pearson_de',
      'pearson_systema',
      'de_precision',
      'de_recall',
      'de_f1',
    ]) {
      expect(cpu).toHaveProperty(m);
      expect(cpu).toHaveProperty(`${m}_20`);
    }
    for (const m of [
      'de_top20_auroc_delta',
      'de_top20_ap_pval',
      'de_top20_prec_delta',
      'mmd_hvg_0-5',
      'mmd_hvg_5-20',
      'mmd_hvg_20-100',
    ])
      expect(cpu).toHaveProperty(m);
    expect(cpu.ed).toBeCloseTo(energyDistance(pred, truth, d), 10);
    expect(cpu.mmd).toBeCloseTo(mmd(pred, truth, d), 10);
    for (const m of ['ed', 'ed_20', 'mmd', 'mmd_20', 'mmd_hvg_0-5'])
      expect(Math.abs(gpu[m]! - cpu[m]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(cpu[m]!)) + 1e-6);
    expect(cpu.pearson_de).toBeGreaterThan(0.8);
    const s = summarize([
      { perturbation: 'a', method: 'm', metrics: { x: 1 } },
      { perturbation: 'b', method: 'm', metrics: { x: 3 } },
      { perturbation: 'c', method: 'm', metrics: { x: NaN } },
    ]);
    expect(s['m']!['x']).toEqual({ mean: 2, median: 2 });
  });
});

describe('baselines', () => {
  const d = 12;
  // Singles shift one gene each; the double A+B adds an interaction on gene 5 that only a learned term can capture.
  function screen(): Screen {
    const shiftOf = (t: string[]) => (g: number) =>
      (t.includes('A') && g === 0 ? 1 : 0) +
      (t.includes('B') && g === 1 ? 1 : 0) +
      (t.includes('C') && g === 2 ? 1 : 0) +
      (t.length === 2 && g === 5 ? 2 : 0);
    const sets = [[], ['A'], ['B'], ['C'], ['A', 'C'], ['B', 'C']];
    return {
      genes: Array.from({ length: d }, (_, g) => `G${g}`),
      kind: 'log1p',
      envs: sets.map((t) => {
        const c = cells(200, d, shiftOf(t));
        return { name: envName(t), targets: t, values: c.values, cells: c.n };
      }),
    };
  }
  it('pooled perturbed: n cells drawn from the perturbed environments only', () => {
    const s = screen(),
      p = pooledPerturbedPrediction(s, 300, 1);
    expect(p.n).toBe(300);
    const m = envMean({ name: '', targets: [], values: p.values, cells: p.n }, d);
    expect(m[0]).toBeGreaterThan(0.1); // A's shift appears in the pool
  });
  it('PEPER learns the interaction of doubles that SALT (additive) misses', async () => {
    const s = screen();
    const options = { hidden: 32, layers: 1, steps: 1500, learningRate: 1e-2, seed: 0 };
    const peper = await new Peper(new CpuBackend(), options).fit(s);
    expect(curve0(await peper.lossCurve())).toEqual([1, 101]); // losses are numbered by steps done
    // Training fits the training environments' means. (Its batch loss √Σ‖mean − x‖² cannot show this: with unit cell
    // noise it is ≈ √(200·12) ≈ 49 from the first step, and one batch's fluctuation, ±1, exceeds the shifts' share.)
    const fitError = async (p: Peper<RefArray>) => {
      let e = 0;
      for (const env of s.envs.slice(1)) {
        const m = await p.predictMean(env.targets),
          t = envMean(env, d);
        for (let g = 0; g < d; g++) e += (m[g]! - t[g]!) ** 2;
      }
      return e;
    };
    const untrained = await new Peper(new CpuBackend(), { ...options, steps: 0 }).fit(s);
    expect(await fitError(peper)).toBeLessThan(0.1 * (await fitError(untrained)));
    const m = await peper.predictMean(['A', 'B']); // unseen double; its interaction is +2 on gene 5
    const add = envMean(
      { name: '', targets: [], values: additivePrediction(s, ['A', 'B']), cells: s.envs[0]!.cells },
      d,
    );
    expect(Math.abs(m[5]! - 2)).toBeLessThan(0.5);
    expect(Math.abs(add[5]! - 2)).toBeGreaterThan(1.8);
    expect(Math.abs(m[0]! - 1)).toBeLessThan(0.3);
  });
});
