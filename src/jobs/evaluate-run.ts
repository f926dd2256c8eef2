// `evaluate`: predictions and the baselines (control, pooled perturbed, SALT, PEPER) through one evaluation
// (metrics/evaluate.ts) against the true cells of the test perturbations. Two ways in:
//   evaluateRun    a run folder: its test perturbations, its preprocessed data, its predictions.h5ad;
//   evaluateFiles  any truth h5ad against any predictions h5ad (this project's or another tool's, the same condition
//                  column): genes matched by name, the control found by label, values declared or detected as fit
//                  does (counts are normalised to log1p CP10k); the baselines learn from the truth's conditions that
//                  are not evaluated.
// Both write metrics.json (per perturbation, summary, across-perturbation metrics), metrics.csv (long format) and
// summary.csv (mean and median per method and metric) and print means and medians; the run path also writes
// mean_shifts.csv (observed and predicted shift from the training control on each test perturbation's marker genes,
// per method: what the report plots).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Engine } from '../gpu/engine.ts';
import { WebGPUBackend } from '../ops/webgpu-backend.ts';
import { envMean, type Screen } from '../data/dataset.ts';
import { conditionName, subScreen } from '../data/splits.ts';
import { normalizeLog1p } from '../data/normalize.ts';
import { markerGenes } from '../data/markers.ts';
import { didYouMean } from '../core/near-matches.ts';
import { Peper, type PeperOptions } from '../baselines/peper.ts';
import type { GpuTensor } from '../gpu/tensor.ts';
import {
  combineCases,
  evaluateAll,
  summarize,
  HEADLINE,
  type CaseResult,
  type Evaluation,
  type TestCase,
} from '../metrics/evaluate.ts';
import { methodsOf, readPredictions, runTestCases, scoringContext } from './evaluate-cases.ts';
import { queuedCases } from './evaluate-queue.ts';
import { recentringBias } from '../metrics/distribution.ts';
import type { Cells } from '../metrics/expression.ts';
import { writeFilesAtomic } from '../node/atomic.ts';
import { etaSeconds, nonFiniteAsNull, type ProgressSink } from '../core/format.ts';
import { loadScreen, runPaths, RunFolder, type LoadOptions } from './run-folder.ts';
import { toCsv, type CsvField } from '../io/csv.ts';
import { InputError } from '../core/errors.ts';
import { jobLog, stageProgress, type JobContext } from './job-context.ts';

const PRINTED_NAMES: Record<string, string> = { discrimination_score_l1: 'pds_l1' };
export const BASELINES = ['control', 'perturbed', 'additive', 'peper'] as const;
/** Baselines whose cells are the training control's, shifted to a predicted mean (re-centred samples). */
const RECENTRED: readonly string[] = ['additive', 'peper'];

/** What both ways in take: the baselines, PEPER's budget, the seed and where to report. */
interface ScoringOptions extends JobContext {
  baselines?: string[];
  peper?: Partial<PeperOptions>;
  seed?: number;
}

export interface EvaluateOptions extends ScoringOptions {
  run: string;
  predictions?: string;
  /** Output folder. Default: the run folder when scoring its own predictions.h5ad; for any other predictions file
   *  <its folder>/evaluation, so that the run's own evaluation is never replaced by another file's. */
  out?: string;
  /** redis://…: score the test perturbations in chunks on the workers serving this queue (lcd-webgpu worker). */
  queue?: string;
  /** With `queue`: test perturbations per job (default EVALUATE_CHUNK). */
  jobSize?: number;
}

export interface EvaluateFilesOptions extends ScoringOptions {
  truth: string;
  predictions: string;
  /** Output folder (default: <predictions folder>/evaluation). */
  out?: string;
  /** How to read the truth (and, for the condition column, control label and separator, the predictions). */
  load?: LoadOptions;
  /** What the predictions' X holds (default auto, as fit detects it). */
  predictionValues?: LoadOptions['values'];
  /** Only these conditions (labels as in the files); default every predicted condition the truth holds. */
  perturbations?: string[];
  /** The predictions' name in the tables (default 'predicted'). */
  name?: string;
}

type Scored = Evaluation & {
  summary: ReturnType<typeof summarize>;
  tests: string[];
  /** The estimated ed bias of the methods that re-centre the training control's cells, and which they are. */
  recentring: { bias: number; controlCells: number; methods: string[] };
  /** PEPER's training curve, when it was a baseline (the report plots it). */
  peperLosses: { step: number; loss: number }[];
};

export { readPredictions, type Predictions } from './evaluate-cases.ts';

/**
 * Score `predicted` (may be null: baselines only) and the baselines on `tests`, the baselines learning from `train`
 * (control first). Shared by both ways in.
 */
async function scoreMethods(
  engine: Engine,
  train: Screen,
  tests: TestCase[],
  predicted: Map<string, Cells> | null,
  o: {
    baselines: string[];
    peper?: Partial<PeperOptions>;
    seed: number;
    hvgRank?: number[];
    /** The method name of the predictions in the tables. */
    predictedName: string;
    log: (s: string) => void;
    progress?: (label: string, total: number) => ProgressSink;
    /** The cases scored elsewhere (queue workers) with these baselines, instead of one by one here. */
    scoreCases?: (baselines: string[]) => Promise<CaseResult[]>;
  },
): Promise<Scored> {
  const d = train.genes.length,
    unknown = o.baselines.filter((b) => !(BASELINES as readonly string[]).includes(b));
  if (unknown.length)
    throw new InputError(`unknown baseline(s) ${unknown.join(', ')} (known: ${BASELINES.join(', ')})`);
  let baselines = o.baselines;
  if (train.envs.length < 2 && baselines.some((b) => b !== 'control')) {
    o.log('the truth holds no perturbation outside the evaluated ones, so only the control baseline can be scored');
    baselines = baselines.filter((b) => b === 'control');
  }
  let peper: Peper<GpuTensor> | null = null,
    peperLosses: { step: number; loss: number }[] = [];
  if (baselines.includes('peper')) {
    const t0 = performance.now();
    const bar = stageProgress(o, 'PEPER baseline', (p: { step: number; steps: number; etaS: number }) => ({
      done: p.step,
      total: p.steps,
      etaS: p.etaS,
    }));
    peper = await new Peper(new WebGPUBackend(engine), { seed: o.seed, ...o.peper }).fit(train, bar.onProgress);
    bar.done();
    o.log(
      `PEPER baseline trained (${peper.o.steps} steps, H = ${peper.o.hidden}) in ${((performance.now() - t0) / 1e3).toFixed(1)} s`,
    );
    peperLosses = await peper.lossCurve();
  }
  try {
    const ctrl = train.envs[0]!;
    const ctx = scoringContext(engine, train, o.hvgRank);
    const vccBaseline = baselines.includes('perturbed') ? 'perturbed' : undefined;
    let ev: Evaluation;
    if (o.scoreCases) ev = combineCases(ctx, tests, await o.scoreCases(baselines), { vccBaseline });
    else {
      const t0 = performance.now();
      const scored = stageProgress(o, 'evaluating', (k: number) => ({
        done: k,
        total: tests.length,
        extra: 'perturbations',
        etaS: etaSeconds((performance.now() - t0) / 1e3, k, tests.length),
      }));
      const methods = methodsOf(train, predicted, o.predictedName, baselines, o.seed, peper);
      ev = await evaluateAll(ctx, tests, methods, { vccBaseline, onProgress: scored.onProgress });
      scored.done();
    }
    // The baselines that shift the training control's cells are re-centred samples, whose `ed` is biased low
    // (metrics/distribution.ts, recentringBias): ed_corrected adds the estimate back for them and equals ed for
    // every other method (independent draws, or cells used as they are).
    const bias = recentringBias(ctx.ctrl, d);
    for (const row of ev.rows)
      row.metrics['ed_corrected'] = row.metrics['ed']! + (RECENTRED.includes(row.method) ? bias : 0);
    return {
      ...ev,
      summary: summarize(ev.rows),
      tests: tests.map((t) => t.name),
      peperLosses,
      recentring: { bias, controlCells: ctrl.cells, methods: baselines.filter((b) => RECENTRED.includes(b)) },
    };
  } finally {
    peper?.dispose();
  }
}

/** metrics.json, metrics.csv, summary.csv into `dir`, and the printed tables. */
/** The evaluation's files in `dir` (metrics.json, metrics.csv, summary.csv) as [path, text] pairs, for one
 *  all-or-nothing write. */
function evaluationFiles(dir: string, r: Scored, modelId: string | null = null): [string, string][] {
  const paths = runPaths(dir),
    metricNames = [...new Set(r.rows.flatMap((x) => Object.keys(x.metrics)))];
  const metricsJson = JSON.stringify(
    {
      model_id: modelId, // the model whose predictions were scored (the report checks it against the run's)
      tests: r.tests,
      methods: Object.keys(r.summary),
      summary: r.summary,
      across: r.methodMetrics,
      rows: r.rows,
      peperLosses: r.peperLosses,
      recentring: r.recentring,
    },
    nonFiniteAsNull,
    1,
  );
  const metricsCsv = toCsv(
    ['perturbation', 'method', 'metric', 'value'],
    r.rows.flatMap((x) => metricNames.map((m) => [x.perturbation, x.method, m, x.metrics[m] ?? NaN])),
  );
  const summaryCsv = toCsv(
    ['method', 'metric', 'mean', 'median'],
    [
      ...Object.entries(r.summary).flatMap(([me, ms]) => Object.entries(ms).map(([m, s]) => [me, m, s.mean, s.median])),
      ...Object.entries(r.methodMetrics).flatMap(([me, ms]) => Object.entries(ms).map(([m, v]) => [me, m, v, v])),
    ],
  );
  return [
    [paths.metricsJson, metricsJson],
    [paths.metricsCsv, metricsCsv],
    [paths.summaryCsv, summaryCsv],
  ];
}

/** The evaluation's tables for the terminal: mean and median of the headline metrics, ed per perturbation. */
function printEvaluation(r: Scored, log: (s: string) => void): void {
  const names = HEADLINE.map((m) => (PRINTED_NAMES[m] ?? m).padStart(13));
  const across = ['pearson_edistance', 'vcc_score'];
  for (const stat of ['mean', 'median'] as const) {
    log(`\n${stat} over ${r.tests.length} test perturbations${stat === 'mean' ? ` (${r.tests.join(', ')})` : ''}:`);
    log(`${'method'.padEnd(12)}${names.join('')}${stat === 'mean' ? across.map((m) => m.padStart(18)).join('') : ''}`);
    for (const [method, ms] of Object.entries(r.summary))
      log(
        `${method.padEnd(12)}${HEADLINE.map((m) => fmt(ms[m]?.[stat]).padStart(13)).join('')}${
          stat === 'mean' ? across.map((m) => fmt(r.methodMetrics[method]?.[m]).padStart(18)).join('') : ''
        }`,
      );
  }
  log(`(pds_l1 = cell-eval's discrimination_score_l1; vcc_score against the 'perturbed' baseline, as the challenge)`);
  const rc = r.recentring;
  if (rc.methods.length && Number.isFinite(rc.bias))
    log(
      `(${rc.methods.join(' and ')} shift the ${rc.controlCells} training control cells to each prediction's mean; such re-centred cells score an ed lower than independent draws of the same prediction by about ${fmt(rc.bias)} here, tr Σ/(n·E‖X − X′‖) of the control. ed_corrected, mean: ${Object.keys(
        r.summary,
      )
        .map((m) => `${m} ${fmt(r.summary[m]?.['ed_corrected']?.mean)}`)
        .join(', ')})`,
    );
  // per perturbation, the energy distance of every method (all metrics: metrics.csv)
  const methods = Object.keys(r.summary);
  if (r.tests.length <= 30) {
    log(`\ned per perturbation:`);
    log(`${'perturbation'.padEnd(24)}${methods.map((m) => m.padStart(11)).join('')}`);
    for (const t of r.tests)
      log(
        `${t.padEnd(24)}${methods
          .map((m) => fmt(r.rows.find((x) => x.perturbation === t && x.method === m)?.metrics['ed']).padStart(11))
          .join('')}`,
      );
  } else log(`(per-perturbation values of ${r.tests.length} perturbations: metrics.csv)`);
}
const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(4));

export async function evaluateRun(engine: Engine, o: EvaluateOptions): Promise<Scored> {
  const log = jobLog(o),
    seed = o.seed ?? 0;
  if (o.queue && (o.baselines ?? BASELINES).includes('peper'))
    throw new InputError(
      'evaluate --queue scores the test perturbations on the workers, and PEPER is trained once, on one device: leave it out of the baselines, or evaluate without --queue',
    );
  const folder = RunFolder.open(o.run, 'evaluate'),
    run = folder.info,
    screen = await folder.readData(),
    d = screen.genes.length;
  const train = subScreen(screen, run.split.train);
  const paths = folder.paths;
  const predPath = o.predictions ?? paths.predictions();
  if (o.predictions && !existsSync(o.predictions))
    throw new InputError(`--predictions ${o.predictions}: file not found`);
  const out =
    o.out ?? (resolve(predPath) === resolve(paths.predictions()) ? o.run : join(dirname(predPath), 'evaluation'));
  const lcd = existsSync(predPath) ? await readPredictions(predPath, run.genes) : null;
  // Predictions sampled from an earlier model of this folder (a re-fit since) would be scored as the current one's.
  const own = folder.modelId();
  if (lcd && own && lcd.modelId && lcd.modelId !== own) {
    const message = `${predPath} was sampled from model ${lcd.modelId}, but the run's model is now ${own} (fitted again since)`;
    if (!o.predictions)
      throw new InputError(`${message}; sample again with: lcd-webgpu predict --run ${o.run} --force`);
    log(`note: ${message}; scoring them as given`);
  } else if (lcd && !lcd.modelId)
    log(`note: ${predPath} records no model id (written by an older version); it cannot be checked against the model`);
  if (!lcd)
    log(`no predictions at ${predPath}; evaluating the baselines only (run 'lcd-webgpu predict --run ${o.run}' first)`);
  const testNames = run.split.test.filter((n) => !lcd || lcd.has(n));
  if (testNames.length === 0)
    throw new InputError(
      `nothing to evaluate: the run's test perturbations (${run.split.test.join(', ') || 'none'}) have no predictions in ${predPath}`,
    );
  const byName = new Map(screen.envs.map((e) => [e.name, e]));
  const tests = runTestCases(run, screen, testNames);
  const queued = o.queue ? queuedCases(o as EvaluateOptions & { queue: string }, predPath, lcd, testNames) : undefined;
  const r = await scoreMethods(engine, train, tests, lcd, {
    ...(queued ? { scoreCases: queued } : {}),
    baselines: o.baselines ?? [...BASELINES],
    peper: o.peper,
    seed,
    hvgRank: run.hvgRank,
    predictedName: 'LCD',
    log,
    progress: o.progress,
  });
  const ctrlMean = envMean(train.envs[0]!, d),
    shiftRows: CsvField[][] = [];
  for (const t of tests) {
    const observed = envMean(byName.get(t.name)!, d);
    for (const [method, means] of r.predictedMeans) {
      const predicted = means.get(t.name)!;
      for (const g of t.markers)
        shiftRows.push([t.name, run.genes[g], method, observed[g]! - ctrlMean[g]!, predicted[g]! - ctrlMean[g]!]);
    }
  }
  const outPaths = runPaths(out);
  writeFilesAtomic([
    ...evaluationFiles(out, r, lcd?.modelId ?? null),
    [outPaths.meanShiftsCsv, toCsv(['perturbation', 'gene', 'method', 'observed', 'predicted'], shiftRows)],
  ]);
  printEvaluation(r, log);
  log(`wrote ${outPaths.metricsJson}, metrics.csv, summary.csv, mean_shifts.csv`);
  return r;
}

/** Counts → log1p CP10k over the screen's genes; log1p and latent values as they are. */
function normalised(s: Screen): Screen {
  if (s.kind !== 'counts') return s;
  const d = s.genes.length;
  return { ...s, kind: 'log1p', envs: s.envs.map((e) => ({ ...e, values: normalizeLog1p(e.values, e.cells, d) })) };
}

/** The screen on `genes` (a subset of its own, by name, in that order). */
function onGenes(s: Screen, genes: string[]): Screen {
  const d = s.genes.length,
    at = new Map(s.genes.map((g, i) => [g, i])),
    idx = genes.map((g) => at.get(g)!),
    k = genes.length;
  if (idx.every((g, j) => g === j) && k === d) return s;
  return {
    ...s,
    genes,
    envs: s.envs.map((e) => {
      const v = new Float32Array(e.cells * k);
      for (let c = 0; c < e.cells; c++) for (let j = 0; j < k; j++) v[c * k + j] = e.values[c * d + idx[j]!]!;
      return { ...e, values: v };
    }),
  };
}

export async function evaluateFiles(engine: Engine, o: EvaluateFilesOptions): Promise<Scored> {
  const log = jobLog(o),
    load = o.load ?? {};
  const out = o.out ?? join(dirname(o.predictions), 'evaluation');
  let truth = normalised(await loadScreen(o.truth, load, log));
  let pred = normalised(
    await loadScreen(
      o.predictions,
      {
        perturbationKey: load.perturbationKey,
        control: load.control,
        separator: load.separator,
        values: o.predictionValues ?? 'auto',
        requireControl: false,
      },
      log,
    ),
  );
  if ((truth.kind === 'latent') !== (pred.kind === 'latent'))
    throw new InputError(
      `${o.predictions} holds ${pred.kind} values but ${o.truth} holds ${truth.kind}; declare what each holds (--values, --prediction-values) so both are compared as log1p`,
    );
  const predGenes = new Set(pred.genes),
    shared = truth.genes.filter((g) => predGenes.has(g));
  if (shared.length < 2)
    throw new InputError(
      `${o.predictions} and ${o.truth} share ${shared.length} gene name(s) (truth: ${truth.genes.slice(0, 4).join(', ')}, …; predictions: ${pred.genes.slice(0, 4).join(', ')}, …); var names must be the same genes`,
    );
  if (shared.length < truth.genes.length || shared.length < pred.genes.length)
    log(
      `genes matched by name: ${shared.length} shared (the truth has ${truth.genes.length}, the predictions ${pred.genes.length}); evaluating on the shared genes`,
    );
  truth = onGenes(truth, shared);
  pred = onGenes(pred, shared);

  const truthNames = new Set(truth.envs.map((e) => e.name)),
    ctrl = truth.envs[0]!.name;
  let names: string[];
  if (o.perturbations?.length) {
    names = o.perturbations.map((l) => conditionName(l, load.control, load.separator));
    const predNames = new Set(pred.envs.map((e) => e.name));
    const missing = names.filter((n) => !truthNames.has(n) || !predNames.has(n));
    if (missing.length)
      throw new InputError(
        `--perturbations: ${missing
          .map(
            (n) =>
              `'${n}' is not in the ${truthNames.has(n) ? 'predictions' : 'truth'}${didYouMean(n, truthNames.has(n) ? predNames : truthNames)}`,
          )
          .join('; ')}`,
      );
  } else {
    const predicted = pred.envs.map((e) => e.name).filter((n) => n !== ctrl);
    const absent = predicted.filter((n) => !truthNames.has(n));
    if (absent.length)
      log(
        `${absent.length} predicted condition(s) are not in the truth and are skipped: ${absent
          .slice(0, 6)
          .map((n) => `${n}${didYouMean(n, truthNames)}`)
          .join(', ')}`,
      );
    names = predicted.filter((n) => truthNames.has(n));
  }
  if (names.length === 0)
    throw new InputError(
      `nothing to evaluate: no predicted condition of ${o.predictions} is in ${o.truth} (predicted: ${pred.envs
        .map((e) => e.name)
        .slice(0, 6)
        .join(', ')}; truth: ${[...truthNames].slice(0, 6).join(', ')})`,
    );
  const tested = new Set(names);
  const train = subScreen(truth, [ctrl, ...truth.envs.map((e) => e.name).filter((n) => n !== ctrl && !tested.has(n))]);
  const markers = markerGenes(subScreen(truth, [ctrl, ...names]));
  const geneIndex = new Map(shared.map((g, i) => [g, i])),
    byName = new Map(truth.envs.map((e) => [e.name, e])),
    predBy = new Map(pred.envs.map((e) => [e.name, { values: e.values, n: e.cells }]));
  const tests: TestCase[] = names.map((name) => {
    const env = byName.get(name)!;
    return {
      name,
      targets: env.targets,
      targetGenes: env.targets.map((t) => geneIndex.get(t)!).filter((g) => g !== undefined),
      truth: { values: env.values, n: env.cells },
      markers: markers[name] ?? [],
    };
  });
  log(
    `evaluating ${names.length} perturbation(s) of ${o.predictions} against ${o.truth} (${shared.length} genes, ${truth.kind}; control '${load.control ?? 'ctrl'}' with ${truth.envs[0]!.cells} cells; baselines learn from the truth's ${train.envs.length - 1} other perturbation(s))`,
  );
  const r = await scoreMethods(engine, train, tests, predBy, {
    baselines: o.baselines ?? ['control', 'perturbed', 'additive'],
    peper: o.peper,
    seed: o.seed ?? 0,
    predictedName: o.name ?? 'predicted',
    log,
    progress: o.progress,
  });
  writeFilesAtomic(evaluationFiles(out, r)); // a failure leaves no `out` folder it made
  printEvaluation(r, log);
  log(`wrote ${join(out, 'metrics.json')}, metrics.csv, summary.csv`);
  return r;
}
