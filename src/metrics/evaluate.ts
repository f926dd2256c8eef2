// One evaluation for every method (spec §9): per test perturbation, predicted cells against the true cells in
// normalised log1p space, on all genes and on the perturbation's top-20 marker genes (suffix `_20`), plus MMD in HVG
// rank bins and cell-eval's metrics (cell-eval.ts); across the test perturbations, cell-eval's discrimination score,
// pearson_edistance and the challenge's score. Energy distance and MMD run on the GPU when an engine is given
// (distribution-gpu.ts), on the Float64 reference otherwise; everything else is Float64 on the host.
import type { Engine } from '../gpu/engine.ts';
import { distancesGpu } from './distribution-gpu.ts';
import { energyDistance, energyDistanceAllPairs, mmd } from './distribution.ts';
import { cellEvalMetrics, discriminationScores, foldChanges, vccScore } from './cell-eval.ts';
import { pearson } from './causal.ts';
import { columnMeans, pearsonDelta, rmseMeans, w1Elementwise, type Cells } from './expression.ts';
import { deClassification, deTest, prepareControl, topKDe, type DeTest } from './de.ts';
import type { SortedReference } from '../stats/rank-tests.ts';
import { median } from '../data/normalize.ts';

export const HVG_BINS: [string, number, number][] = [
  ['hvg_0-5', 0, 0.05],
  ['hvg_5-20', 0.05, 0.2],
  ['hvg_20-100', 0.2, 1],
];

export interface EvalContext {
  d: number;
  ctrl: Cells;
  ctrlRefs: SortedReference[];
  ctrlMean: Float64Array;
  /** Mean of the training perturbation means (the "systema" reference). */
  systemaRef: Float64Array;
  /** HVG rank per gene (0 = most variable) for the hvg bins; bins are skipped without it. */
  hvgRank?: readonly number[];
  engine?: Engine | null;
  /** Values are log1p (fold changes from expm1 means); false for latent states (fold changes of the means). */
  log1p: boolean;
  /** Control means on the fold-change scale (expm1 for log1p). */
  ctrlFcMean: Float64Array;
}

export function makeContext(
  ctrl: Cells,
  trainPerturbationMeans: Float64Array[],
  d: number,
  o: { hvgRank?: readonly number[]; engine?: Engine | null; log1p?: boolean } = {},
): EvalContext {
  const log1p = o.log1p ?? true;
  const systemaRef = new Float64Array(d);
  for (const m of trainPerturbationMeans)
    for (let g = 0; g < d; g++) systemaRef[g]! += m[g]! / trainPerturbationMeans.length;
  return {
    d,
    ctrl,
    ctrlRefs: prepareControl(ctrl, d),
    ctrlMean: columnMeans(ctrl, d),
    systemaRef,
    hvgRank: o.hvgRank,
    engine: o.engine ?? null,
    log1p,
    ctrlFcMean: fcMeans(ctrl, d, log1p),
  };
}

/** Per-gene means on the fold-change scale: of expm1(x) for log1p values, of x otherwise. */
function fcMeans(s: Cells, d: number, log1p: boolean): Float64Array {
  if (!log1p) return columnMeans(s, d);
  const m = new Float64Array(d);
  for (let c = 0; c < s.n; c++) for (let g = 0; g < d; g++) m[g]! += Math.expm1(s.values[c * d + g]!) / s.n;
  return m;
}

/** The columns `genes` of a cells × d sample, as a cells × |genes| sample. */
export function takeColumns(s: Cells, d: number, genes: readonly number[]): Cells {
  const k = genes.length,
    out = new Float32Array(s.n * k);
  for (let c = 0; c < s.n; c++) for (let j = 0; j < k; j++) out[c * k + j] = s.values[c * d + genes[j]!]!;
  return { values: out, n: s.n };
}

async function distances(
  ctx: EvalContext,
  x: Cells,
  y: Cells,
  d: number,
): Promise<{ ed: number; mmd: number; edAllPairs: number }> {
  if (ctx.engine) return distancesGpu(ctx.engine, x.values, x.n, y.values, y.n, d);
  return { ed: energyDistance(x, y, d), mmd: mmd(x, y, d), edAllPairs: energyDistanceAllPairs(x, y, d) };
}

/** The true cells' DE test against the control (shared by every method evaluated on that perturbation). */
export function truthDe(ctx: EvalContext, truth: Cells, genes?: readonly number[]): DeTest {
  return deTest(truth, ctx.ctrl, ctx.ctrlRefs, ctx.d, genes);
}

export async function evaluatePrediction(
  ctx: EvalContext,
  pred: Cells,
  truth: Cells,
  markers: readonly number[],
  /** The truth's side, shared by every method evaluated on this perturbation: DE tests, means, fold changes. */
  cache: { all?: DeTest; m20?: DeTest; mean?: Float64Array; foldChange?: Float64Array } = {},
): Promise<Record<string, number>> {
  const d = ctx.d,
    out: Record<string, number> = {};
  const subsets: [string, readonly number[] | undefined][] = [
    ['', undefined],
    ['_20', markers],
  ];
  for (const [suffix, genes] of subsets) {
    if (genes && genes.length < 2) continue;
    const k = genes ? genes.length : d;
    const [px, tx] = genes ? [takeColumns(pred, d, genes), takeColumns(truth, d, genes)] : [pred, truth];
    const dist = await distances(ctx, px, tx, k);
    out[`ed${suffix}`] = dist.ed;
    out[`mmd${suffix}`] = dist.mmd;
    out[`w1_eltwise${suffix}`] = w1Elementwise(pred, truth, d, genes);
    out[`rmse_m${suffix}`] = rmseMeans(pred, truth, d, genes);
    out[`pearson_de${suffix}`] = pearsonDelta(pred, truth, ctx.ctrlMean, d, genes);
    out[`pearson_systema${suffix}`] = pearsonDelta(pred, truth, ctx.systemaRef, d, genes);
    const tDe = genes ? (cache.m20 ??= truthDe(ctx, truth, genes)) : (cache.all ??= truthDe(ctx, truth));
    const pDe = deTest(pred, ctx.ctrl, ctx.ctrlRefs, d, genes);
    const cls = deClassification(pDe, tDe);
    out[`de_precision${suffix}`] = cls.precision;
    out[`de_recall${suffix}`] = cls.recall;
    out[`de_f1${suffix}`] = cls.f1;
    if (!genes) {
      const tMean = (cache.mean ??= columnMeans(truth, d)),
        pMean = columnMeans(pred, d);
      Object.assign(
        out,
        cellEvalMetrics(
          pMean,
          tMean,
          ctx.ctrlMean,
          { de: pDe, foldChange: foldChanges(fcMeans(pred, d, ctx.log1p), ctx.ctrlFcMean) },
          { de: tDe, foldChange: (cache.foldChange ??= foldChanges(fcMeans(truth, d, ctx.log1p), ctx.ctrlFcMean)) },
        ),
      );
      for (const kTop of [20, 100])
        for (const by of ['delta', 'pval'] as const) {
          const t = topKDe(pDe, tDe, kTop, by);
          out[`de_top${kTop}_auroc_${by}`] = t.auroc;
          out[`de_top${kTop}_ap_${by}`] = t.ap;
          out[`de_top${kTop}_prec_${by}`] = t.precisionAtK;
        }
    }
  }
  if (ctx.hvgRank) {
    for (const [name, lo, hi] of HVG_BINS) {
      const genes = ctx.hvgRank
        .map((r, g) => [r, g] as const)
        .filter(([r]) => r >= lo * d && r < hi * d)
        .map(([, g]) => g);
      if (genes.length < 2) continue;
      out[`mmd_${name}`] = (
        await distances(ctx, takeColumns(pred, d, genes), takeColumns(truth, d, genes), genes.length)
      ).mmd;
    }
  }
  return out;
}

export interface TestCase {
  name: string;
  targets: string[];
  /** Gene indices of the perturbation's targets in the panel (left out of the discrimination score). */
  targetGenes: number[];
  truth: Cells;
  /** Top marker genes for the `_20` metrics. */
  markers: number[];
}

export interface Evaluation {
  rows: EvalRow[];
  /** Metrics defined across the test perturbations, per method: pearson_edistance and vcc_score. */
  methodMetrics: Record<string, Record<string, number>>;
  /** Predicted means per method and perturbation (for mean-shift tables). */
  predictedMeans: Map<string, Map<string, Float64Array>>;
}

/** One test perturbation scored: its rows (one per method) and what the metrics across perturbations need of it. */
export interface CaseResult {
  rows: EvalRow[];
  /** Each method's predicted means, in the order the methods were given. */
  means: [string, Float64Array][];
  /** The true mean shift from the control, and the true and each method's all-pairs energy distance to it. */
  trueEffect: Float64Array;
  trueEd: number;
  predEd: [string, number][];
}

/** Every method on one test perturbation (its rows carry no discrimination score yet: combineCases adds it). Cases
 *  are independent of each other, so they may be scored anywhere (a queue worker) and combined after. */
export async function evaluateCase(ctx: EvalContext, t: TestCase, methods: [string, Cells][]): Promise<CaseResult> {
  const d = ctx.d,
    tMean = columnMeans(t.truth, d),
    cache: Parameters<typeof evaluatePrediction>[4] = { mean: tMean };
  const out: CaseResult = {
    rows: [],
    means: [],
    trueEffect: tMean.map((v, g) => v - ctx.ctrlMean[g]!),
    trueEd: (await distances(ctx, t.truth, ctx.ctrl, d)).edAllPairs,
    predEd: [],
  };
  for (const [method, pred] of methods) {
    out.rows.push({
      perturbation: t.name,
      method,
      metrics: await evaluatePrediction(ctx, pred, t.truth, t.markers, cache),
    });
    out.means.push([method, columnMeans(pred, d)]);
    out.predEd.push([method, (await distances(ctx, pred, ctx.ctrl, d)).edAllPairs]);
  }
  return out;
}

/**
 * Every method on every test perturbation, then the metrics across perturbations. `predict` gives the methods'
 * cells for one test case (called once per case, in order); `vccBaseline` names the method the challenge's score is
 * scaled against (absent: no vcc_score).
 */
export async function evaluateAll(
  ctx: EvalContext,
  tests: TestCase[],
  predict: (t: TestCase) => Promise<[string, Cells][]>,
  o: { vccBaseline?: string; onProgress?: (done: number) => void } = {},
): Promise<Evaluation> {
  const cases: CaseResult[] = [];
  for (const [i, t] of tests.entries()) {
    cases.push(await evaluateCase(ctx, t, await predict(t)));
    o.onProgress?.(i + 1);
  }
  return combineCases(ctx, tests, cases, o);
}

/** The cases' rows with the metrics across perturbations: discrimination scores, pearson_edistance, vcc_score. */
export function combineCases(
  ctx: EvalContext,
  tests: TestCase[],
  cases: CaseResult[],
  o: { vccBaseline?: string } = {},
): Evaluation {
  const rows: EvalRow[] = [],
    predictedMeans = new Map<string, Map<string, Float64Array>>();
  const trueEffects: Float64Array[] = [],
    trueEd: number[] = [],
    predEd = new Map<string, number[]>();
  for (const [i, t] of tests.entries()) {
    const c = cases[i]!;
    trueEffects.push(c.trueEffect);
    trueEd.push(c.trueEd);
    rows.push(...c.rows);
    for (const [method, mean] of c.means) {
      if (!predictedMeans.has(method)) predictedMeans.set(method, new Map());
      predictedMeans.get(method)!.set(t.name, mean);
    }
    for (const [method, ed] of c.predEd) {
      if (!predEd.has(method)) predEd.set(method, []);
      predEd.get(method)!.push(ed);
    }
  }
  const methodMetrics: Record<string, Record<string, number>> = {};
  for (const [method, means] of predictedMeans) {
    const names = tests.filter((t) => means.has(t.name));
    const scores = discriminationScores(
      names.map((t) => trueEffects[tests.indexOf(t)]!),
      names.map((t) => means.get(t.name)!.map((v, g) => v - ctx.ctrlMean[g]!)),
      names.map((t) => t.targetGenes),
    );
    names.forEach((t, k) => {
      rows.find((r) => r.method === method && r.perturbation === t.name)!.metrics['discrimination_score_l1'] =
        scores[k]!;
    });
    methodMetrics[method] = {
      pearson_edistance:
        names.length > 1
          ? pearson(
              names.map((t) => trueEd[tests.indexOf(t)]!),
              predEd.get(method)!,
            )
          : NaN,
    };
  }
  const summary = summarize(rows);
  const base = o.vccBaseline ? summary[o.vccBaseline] : undefined;
  if (base)
    for (const method of Object.keys(methodMetrics)) {
      const m = summary[method]!,
        pick = (x: typeof m) => ({
          overlap_at_N: x['overlap_at_N']!.mean,
          discrimination_score_l1: x['discrimination_score_l1']!.mean,
          mae: x['mae']!.mean,
        });
      methodMetrics[method]!['vcc_score'] = vccScore(pick(m), pick(base));
    }
  return { rows, methodMetrics, predictedMeans };
}

export interface EvalRow {
  perturbation: string;
  method: string;
  metrics: Record<string, number>;
}

/** Mean and median over perturbations of every metric, per method (NaN entries skipped). */
export function summarize(rows: EvalRow[]): Record<string, Record<string, { mean: number; median: number }>> {
  const out: Record<string, Record<string, { mean: number; median: number }>> = {};
  for (const method of [...new Set(rows.map((r) => r.method))]) {
    const mine = rows.filter((r) => r.method === method);
    out[method] = {};
    for (const m of Object.keys(mine[0]!.metrics)) {
      const v = mine.map((r) => r.metrics[m]!).filter((x) => Number.isFinite(x));
      out[method]![m] = { mean: v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN, median: median(v) };
    }
  }
  return out;
}

/** Whether smaller values of a metric are better (distances, errors) or larger (correlations, DE scores). */
export const smallerIsBetter = (metric: string): boolean => /^(ed|mmd|w1_eltwise|rmse_m|mse|mae)/.test(metric);

/** The headline metrics the CLI prints and the report tables (mean and median); every metric is in the files. */
export const HEADLINE = ['ed', 'mmd_20', 'pearson_de', 'rmse_m', 'de_f1', 'discrimination_score_l1', 'overlap_at_N'];
