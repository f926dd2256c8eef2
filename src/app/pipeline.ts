// The web app's work, browser-safe (no Node built-ins): read an h5ad from bytes and describe its layout, prepare it
// like `fit` (same QC, gene selection, label rules, messages and defaults), fit the measurement model on counts (or
// counts recovered from log1p), train LCD on the page's WebGPU device, predict the held-out doubles (decoded through
// the measurement model as `predict` does), score them against the additive baseline and the control, read CLIPR's causal matrix, and
// produce the downloads (predictions h5ad, causal CSV, model files). The same function runs in Node (tests compare
// the page's predictions with it); the Web Worker (worker.ts) only passes messages.
import type { WebGPUBackend } from '../ops/webgpu-backend.ts';
import type { GpuTensor } from '../gpu/tensor.ts';
import { readH5adBytes, type AnnData } from '../data/h5ad.ts';
import { screenFromAnnData, screenWithRecoveredCounts, detectValueKind } from '../data/screen-from-anndata.ts';
import { prepareScreen, type UnmeasuredTargets } from '../data/prepare.ts';
import { NO_QC } from '../data/qc.ts';
import { subScreen } from '../data/splits.ts';
import { envMean, geneMeans, type Screen } from '../data/dataset.ts';
import { encodeH5ad } from '../data/h5ad-write.ts';
import { LCD } from '../lcd/model.ts';
import { LCD_DEFAULTS } from '../lcd/hyperparameters.ts';
import { energyDistance, mmd } from '../metrics/distribution.ts';
import { additivePrediction, singleGeneShifts } from '../baselines/additive.ts';
import { cliprFromLcd } from '../clipr/from-lcd.ts';
import { causalMatrixCsv, identifiability } from '../clipr/export.ts';
import { describeResponseReading } from '../clipr/responses.ts';
import { analyseModules, moduleFiles, type ModuleAnalysis } from '../clipr/modules.ts';
import { memoryStore } from '../io/file-store.ts';
import { giForDoubles, type GiRow } from '../metrics/gi.ts';
import { cellViewRows, type CellViewRows } from '../report/cell-views.ts';
import { nonlinearScreen } from '../sim/nonlinear.ts';
import { decodeLog1pSamples } from '../data/log1p-zeros.ts';
import { CountPrior, PRIOR_DEFAULTS } from '../measurement/prior.ts';
import { savePrior } from '../measurement/io.ts';
import { decodeEach } from '../measurement/decode.ts';

/** How to read the file: the perturbation column, the control label, an optional cell filter, the values. */
export interface LoadChoice {
  perturbationKey: string;
  control: string;
  separator?: string;
  filter?: { key: string; value: string };
  values?: 'auto' | 'counts' | 'log1p';
  /** X is log1p of scaled counts: recover the counts from each cell's smallest value (the CLI's --counts-from
   *  implied), so the measurement model can run. */
  countsFrom?: 'implied';
}

/** What the page shows after a file is read. */
export interface Layout {
  source: string;
  cells: number;
  genes: number;
  kind: Screen['kind'];
  /** obs columns with at most 200 distinct values (candidates for the perturbation column and the filter). */
  columns: Record<string, { values: number; top: string[] }>;
  conditions: { name: string; cells: number; targets: string[] }[];
  doubles: string[];
}

export interface RunChoice {
  /** Held-out doubles, as the data label them ('A+B'); all others train. */
  test: string[];
  steps: number;
  hidden: number;
  seed: number;
  /** Genes kept (the most variable, HVG). */
  nGenes: number;
  /** Gene QC: keep genes non-zero in at least this many cells (0 = none). */
  minCellsPerGene: number;
  /** Cells sampled per held-out double (default: as many as observed). */
  cells?: number;
  /** Probability-flow steps per level for CLIPR (the CLI's default is 500). */
  cliprStepsPerLevel?: number;
  /** Perturbation targets outside the gene panel: refused (default, as the CLI), their perturbations dropped, or
   *  modelled by name. */
  unmeasuredTargets?: UnmeasuredTargets;
  /** Count data: the measurement model first (default 'zip', as the CLI), or LCD on the log1p values ('none'). */
  measurement?: 'zip' | 'none';
  /** The measurement model's steps (the CLI's --prior-steps; default the same). */
  priorSteps?: number;
}

/** The page's defaults: the CLI's (`fit`'s LCD and measurement-model budgets, target policy, gene count), except
 *  CLIPR's flow steps (100 per level against the CLI's 500, so the page answers in a browser's time). index.html's
 *  fields hold these values (test/app-defaults.test.ts). */
export const APP_DEFAULTS: Omit<RunChoice, 'test'> = {
  steps: LCD_DEFAULTS.steps,
  hidden: LCD_DEFAULTS.hidden,
  seed: 0,
  nGenes: 1000,
  minCellsPerGene: 0,
  cliprStepsPerLevel: 100,
  unmeasuredTargets: 'error',
  measurement: 'zip',
  priorSteps: PRIOR_DEFAULTS.steps,
};

export interface RunEvents {
  stage?: (s: string) => void;
  loss?: (step: number, steps: number, loss: number, etaS: number) => void;
  /** The measurement model's progress (count data). */
  prior?: (step: number, steps: number, loss: number, etaS: number) => void;
  sampling?: (done: number, total: number, etaS: number) => void;
}

export interface MetricRow {
  double: string;
  method: 'LCD' | 'additive' | 'control';
  ed: number;
  mmd: number;
}

export interface AppResult {
  genes: string[];
  test: string[];
  rows: MetricRow[];
  mean: Record<string, { ed: number; mmd: number }>;
  /** Per held-out double, on its 20 most shifted genes: observed, LCD-predicted and additive mean shift from the control. */
  shifts: { double: string; gene: string; observed: number; LCD: number; additive: number }[];
  losses: { step: number; loss: number }[];
  /** Rows of the cell views (PCA, top-gene distributions, zero fractions), as the HTML report draws them. */
  cells: CellViewRows;
  /** Genetic-interaction scores and types of the held-out doubles whose singles were measured: observed, LCD, additive. */
  gi: GiRow[];
  causal: {
    csv: string;
    note: string;
    identified: boolean;
    matrix: number[];
    genes: string[];
    /** How CLIPR was read (the response reading's effects and criterion), for people. */
    reading: string;
    effects: 'direct' | 'total' | 'drift';
    /** Gene modules of the matrix (the CLI's `modules`), and modules.csv for download. */
    modules: ModuleAnalysis;
    modulesCsv: string;
  };
  predictionsH5ad: Uint8Array;
  model: Record<string, Uint8Array>;
  timing: { firstStepS: number; dsmStepsPerS: number; samplerParticleStepsPerS: number; totalS: number };
  log: string[];
}

/** Read an h5ad's bytes; return the parsed file (kept for the run) and its layout under `choice`. */
export async function inspectH5ad(
  bytes: Uint8Array,
  source: string,
  choice: LoadChoice,
): Promise<{ ad: AnnData; raw: Screen; layout: Layout }> {
  const ad = await readH5adBytes(bytes, { name: source });
  const raw = choice.countsFrom
    ? screenWithRecoveredCounts(
        ad,
        choice,
        { method: choice.countsFrom },
        'the values choice "log1p, counts recovered"',
      ).screen
    : screenFromAnnData(ad, { ...choice, kind: detectValueKind(ad, choice.values ?? 'auto') });
  return { ad, raw, layout: describeScreen(raw, source, obsColumns(ad)) };
}

/** Obs columns a user can choose between, with their most frequent values. */
export function obsColumns(ad: AnnData): Layout['columns'] {
  const out: Layout['columns'] = {};
  for (const [k, col] of Object.entries(ad.obs)) {
    const counts = new Map<string, number>();
    for (const v of col) counts.set(v, (counts.get(v) ?? 0) + 1);
    if (counts.size > 200) continue;
    out[k] = {
      values: counts.size,
      top: [...counts.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 50)
        .map(([v]) => v),
    };
  }
  return out;
}

/** The layout the page shows for a screen (obs columns: those of its file; none for the built-in screen). */
export function describeScreen(raw: Screen, source: string, columns: Layout['columns'] = {}): Layout {
  return {
    source,
    cells: raw.envs.reduce((a, e) => a + e.cells, 0),
    genes: raw.genes.length,
    kind: raw.kind,
    columns,
    conditions: raw.envs.map((e) => ({ name: e.name, cells: e.cells, targets: [...e.targets] })),
    doubles: raw.envs.filter((e) => e.targets.length === 2).map((e) => e.name),
  };
}

/** The built-in simulated screen (the main job's), as a Screen with 'condition'-style names. */
export async function builtinScreen(B: WebGPUBackend, seed = 0): Promise<Screen> {
  return (await nonlinearScreen(B, { cellsPerEnv: 300, dt: 0.04, steps: 500, seed })).screen;
}

/** Train, predict, score, read CLIPR and encode the downloads. */
export async function runApp(
  B: WebGPUBackend,
  raw: Screen,
  choice: RunChoice,
  ev: RunEvents = {},
  control = 'ctrl',
): Promise<AppResult> {
  const t0 = performance.now();
  const log: string[] = [];
  const say = (s: string) => {
    log.push(s);
    ev.stage?.(s);
  };
  if (!choice.test.length) throw new Error('choose at least one double to hold out');
  const p = prepareScreen(raw, {
    split: { mode: 'explicit', source: 'the page', test: choice.test, control, separator: '+' },
    seed: choice.seed,
    qc: choice.minCellsPerGene > 0 ? { ...NO_QC, minCellsPerGene: choice.minCellsPerGene } : undefined,
    nGenes: choice.nGenes,
    unmeasuredTargets: choice.unmeasuredTargets ?? APP_DEFAULTS.unmeasuredTargets,
    source: 'the file',
    spell: (_option, value) => `choose '${value}' under "targets outside the gene panel"`,
  });
  p.log.forEach(say);
  const screen = p.screen,
    d = screen.genes.length;
  const byName = new Map(screen.envs.map((e) => [e.name, e]));
  const train = subScreen(screen, p.split.train);
  const test = p.split.test.map((n) => byName.get(n)!).filter((e) => e.targets.length > 0);
  if (!test.length) throw new Error('none of the chosen doubles is left to predict after preprocessing');
  say(`training on ${train.envs.length} conditions (${d} genes); predicting ${test.map((e) => e.name).join(', ')}`);

  // The GPU memory of both models is freed however the run ends (the page's worker runs one fit after another).
  let prior: CountPrior<GpuTensor> | null = null,
    lcd: LCD<GpuTensor> | null = null;
  try {
    // Count data (or counts recovered from log1p): the measurement model first, as `fit` does; LCD learns its states.
    let lcdTrain = train;
    if (p.counts && (choice.measurement ?? APP_DEFAULTS.measurement) === 'zip') {
      const counts = subScreen(p.counts, p.split.train);
      say('fitting the measurement model (zero-inflated Poisson) to the training counts');
      prior = await new CountPrior(B, { seed: choice.seed, steps: choice.priorSteps ?? APP_DEFAULTS.priorSteps }).fit(
        counts,
        { onProgress: (q) => ev.prior?.(q.step, q.steps, q.loss, q.etaS) },
      );
      say(`measurement model: ${prior.o.steps} steps, final loss ${prior.losses.at(-1)?.loss.toFixed(3)}`);
      lcdTrain = await prior.latentScreen(train, choice.seed);
    } else if (p.counts) say('no measurement model (chosen): LCD models the log1p values');

    lcd = new LCD<GpuTensor>({
      hidden: choice.hidden,
      steps: choice.steps,
      seed: choice.seed,
    });
    const losses: { step: number; loss: number }[] = [];
    let firstStepS = NaN;
    const tFit = performance.now();
    await lcd.fit(lcdTrain, {
      backend: B,
      progressEvery: 25,
      onProgress: (q) => {
        if (Number.isNaN(firstStepS)) firstStepS = (performance.now() - t0) / 1e3;
        losses.push({ step: q.step, loss: q.loss });
        ev.loss?.(q.step, q.steps, q.loss, q.etaS);
      },
    });
    const dsmStepsPerS = choice.steps / ((performance.now() - tFit) / 1e3);

    say('sampling the held-out doubles');
    const tSample = performance.now();
    const nCells = choice.cells ?? Math.max(...test.map((e) => e.cells));
    // log1p data: the control is sampled too, last, to calibrate where a sampled value reads as zero (as the CLI)
    const hurdle = !prior && screen.kind !== 'latent';
    const preds = await lcd.sampleMany([...test.map((e) => e.targets), ...(hurdle ? [[]] : [])], nCells, {
      seed: choice.seed,
      onProgress: (q) => ev.sampling?.(q.done, q.total, q.etaS),
    });
    const evals = lcd.hp.stepsPerLevel * (lcd.hp.lastLevel + 1);
    const samplerParticleStepsPerS = (preds.length * nCells * evals) / ((performance.now() - tSample) / 1e3);
    for (const [i, x] of preds.entries()) {
      const bad = x.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0)
        throw new Error(
          `the prediction for ${test[i]?.name ?? 'the control'} is not finite (gene ${screen.genes[bad % d]})`,
        );
    }
    // latent states → counts through the measurement model → log1p CP10k, as `predict` writes them
    if (prior)
      preds.splice(
        0,
        preds.length,
        ...(await decodeEach(B.engine, preds, d, await prior.decoder(), 'normalized', choice.seed)),
      );
    if (hurdle) {
      const sampledControl = preds.pop()!;
      preds.splice(0, preds.length, ...decodeLog1pSamples(preds, sampledControl, nCells, train.envs[0]!, d));
    }

    say('scoring against the additive baseline and the control');
    const ctrl = train.envs[0]!;
    const shifts = singleGeneShifts(train);
    const rows: MetricRow[] = [];
    const shiftRows: AppResult['shifts'] = [];
    const ctrlMean = envMean(ctrl, d);
    // The additive baseline of each held-out double, computed once for the metrics and the interactions.
    const additives = test.map((env) => additivePrediction(train, env.targets, shifts));
    for (const [i, env] of test.entries()) {
      const truth = { values: env.values, n: env.cells };
      const additive = additives[i]!;
      const methods = {
        LCD: { values: preds[i]!, n: nCells },
        additive: { values: additive, n: ctrl.cells },
        control: { values: ctrl.values, n: ctrl.cells },
      };
      for (const [m, s] of Object.entries(methods))
        rows.push({
          double: env.name,
          method: m as MetricRow['method'],
          ed: energyDistance(s, truth, d),
          mmd: mmd(s, truth, d),
        });
      const obs = envMean(env, d),
        lcdMean = geneMeans(preds[i]!, nCells, d),
        addMean = geneMeans(additive, ctrl.cells, d);
      // The 20 genes with the largest observed shift (the report's view shows the top-20 DE genes too).
      const top = Array.from({ length: d }, (_, g) => g)
        .sort((x, y) => Math.abs(obs[y]! - ctrlMean[y]!) - Math.abs(obs[x]! - ctrlMean[x]!))
        .slice(0, 20);
      for (const g of top)
        shiftRows.push({
          double: env.name,
          gene: screen.genes[g]!,
          observed: obs[g]! - ctrlMean[g]!,
          LCD: lcdMean[g]! - ctrlMean[g]!,
          additive: addMean[g]! - ctrlMean[g]!,
        });
    }
    const mean: AppResult['mean'] = {};
    for (const m of ['LCD', 'additive', 'control']) {
      const r = rows.filter((x) => x.method === m);
      mean[m] = { ed: r.reduce((a, x) => a + x.ed, 0) / r.length, mmd: r.reduce((a, x) => a + x.mmd, 0) / r.length };
    }

    const held = test.map((env, i) => ({
      name: env.name,
      observed: { values: env.values, n: env.cells },
      predicted: { values: preds[i]!, n: nCells },
    }));
    const cells = cellViewRows(screen.genes, { values: ctrl.values, n: ctrl.cells }, held, {
      zeros: screen.kind !== 'latent',
    });
    const gi = giForDoubles(
      train,
      new Map(held.map((h) => [h.name, h.observed])),
      test.map((e) => ({ name: e.name, targets: [...e.targets] })),
      {
        LCD: new Map(held.map((h) => [h.name, h.predicted])),
        additive: new Map(test.map((e, i) => [e.name, { values: additives[i]!, n: ctrl.cells }])),
      },
      screen.kind !== 'latent',
    ).rows;

    say('reading the causal matrix (CLIPR)');
    const c = await cliprFromLcd(lcd, {
      stepsPerLevel: choice.cliprStepsPerLevel ?? APP_DEFAULTS.cliprStepsPerLevel,
      data: train, // the training cells gate the linear response's direct effects (clipr/data-gate.ts)
    });
    const id = identifiability(c, screen.genes);
    const modules = analyseModules(c.aCausal, screen.genes);

    const names = test.map((e) => e.name);
    const predictionsH5ad = await encodeH5ad({
      X: concat(preds),
      nObs: test.length * nCells,
      nVars: d,
      obsNames: names.flatMap((n) => Array.from({ length: nCells }, (_, k) => `${n}_${k}`)),
      varNames: screen.genes,
      obs: { condition: names.flatMap((n) => Array.from({ length: nCells }, () => n)) },
      meta: { values: screen.kind },
    });
    const files: Record<string, Uint8Array> = {};
    await lcd.save(memoryStore(files, 'model'));
    if (prior) await savePrior(B, prior, memoryStore(files, 'model'));
    return {
      genes: screen.genes,
      test: names,
      rows,
      mean,
      shifts: shiftRows,
      losses,
      cells,
      gi,
      causal: {
        csv: causalMatrixCsv(c, screen.genes),
        note: id.note,
        identified: id.enough,
        matrix: Array.from(c.aCausal),
        genes: screen.genes,
        reading: c.reading ? describeResponseReading(c.reading) : 'drift reading',
        effects: c.reading?.effects ?? 'drift',
        modules,
        modulesCsv: moduleFiles(modules)['modules.csv']!,
      },
      predictionsH5ad,
      model: files,
      timing: { firstStepS, dsmStepsPerS, samplerParticleStepsPerS, totalS: (performance.now() - t0) / 1e3 },
      log,
    };
  } finally {
    prior?.dispose();
    lcd?.dispose();
  }
}

function concat(xs: Float32Array[]): Float32Array {
  const out = new Float32Array(xs.reduce((a, x) => a + x.length, 0));
  let at = 0;
  for (const x of xs) {
    out.set(x, at);
    at += x.length;
  }
  return out;
}
