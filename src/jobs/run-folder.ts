// A run folder holds everything of one analysis, so each CLI verb picks up where the previous one stopped:
//   run.json            source, options, split, genes, markers, HVG ranks, QC report, preprocessing log
//   data.h5ad           the preprocessed screen (log1p, selected genes; train and test perturbations)
//   model/, checkpoint/ the LCD model and its resumable checkpoint (and checkpoint.prev/, the one before) (fit)
//   predictions.h5ad    predicted cells of the test perturbations             (predict)
//   metrics.json, metrics.csv, summary.csv, mean_shifts.csv                   (evaluate)
//   clipr/              causal matrix and edges                               (clipr --run)
//   modules/            gene modules, enrichment, the implication test        (modules --run)
//   report.html                                                               (report)
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readH5ad, readH5adMeta } from '../node/h5ad.ts';
import { writeH5ad } from '../node/h5ad.ts';
import {
  screenFromAnnData,
  screenWithRecoveredCounts,
  detectValueKind,
  type ScreenOptions,
} from '../data/screen-from-anndata.ts';
import type { Screen } from '../data/dataset.ts';
import type { Split, SplitSpec } from '../data/splits.ts';
import type { QcThresholds } from '../data/qc.ts';
import type { UnmeasuredTargets } from '../data/prepare.ts';
import type { LcdHyperparameters } from '../lcd/hyperparameters.ts';
import { withPriorChoices, type PriorOptions } from '../measurement/prior.ts';
import type { EarlyStopping } from './early-stopping.ts';
import { writeFileAtomic } from '../node/atomic.ts';
import type { CountsFrom } from '../data/recover-counts.ts';
import { InputError } from '../core/errors.ts';
import { modelId } from '../node/model-id.ts';
import { assertNotLocked, lockRunFolder, LOCK_ENTRIES } from '../node/run-lock.ts';

/** How a run was made, as `fit` recorded it: what `fit --resume` continues with and the report shows. */
export interface RunOptions {
  load: LoadOptions;
  split: SplitSpec;
  seed: number;
  qc: Partial<QcThresholds> | null;
  nGenes: number;
  unmeasuredTargets: UnmeasuredTargets;
  lcd: Partial<LcdHyperparameters>;
  /** 'zip': a measurement model was fitted on the counts first; 'none': LCD models the values as they are. */
  measurement: 'zip' | 'none';
  prior: Partial<PriorOptions>;
  /** fit --early-stopping: training combinations held out (run.split.val) and the steps between their scores. */
  earlyStopping?: EarlyStopping;
}

export interface RunInfo {
  format: 'lcd-webgpu-run/1';
  source: string;
  options: RunOptions;
  genes: string[];
  split: Split;
  markers: Record<string, string[]>;
  hvgRank: number[];
  qc: unknown;
  log: string[];
  valuesIn: Screen['kind'];
}

/** Every path of a run folder, named once: the jobs, the CLI and the report take their file names from here. */
export function runPaths(dir: string) {
  const at = (...p: string[]) => join(dir, ...p);
  return {
    dir,
    runJson: at('run.json'),
    data: at('data.h5ad'),
    counts: at('counts.h5ad'),
    measurement: at('measurement'),
    checkpoint: at('checkpoint'),
    /** The checkpoint before the last, kept aside so a damaged last one costs one interval, not the fit. */
    previousCheckpoint: at('checkpoint.prev'),
    model: at('model'),
    modelConfig: at('model', 'config.json'),
    modelMeasurement: at('model', 'measurement.json'),
    losses: at('losses.csv'),
    /** fit --early-stopping: the validation energy distance at each scored step */
    validation: at('validation.csv'),
    /** predictions.h5ad (normalised) or predictions_<output>.h5ad */
    predictions: (output: 'normalized' | 'counts' | 'latent' = 'normalized') =>
      at(output === 'normalized' ? 'predictions.h5ad' : `predictions_${output}.h5ad`),
    metricsJson: at('metrics.json'),
    metricsCsv: at('metrics.csv'),
    summaryCsv: at('summary.csv'),
    meanShiftsCsv: at('mean_shifts.csv'),
    clipr: at('clipr'),
    cliprMatrixJson: at('clipr', 'causal_matrix.json'),
    cliprMatrixCsv: at('clipr', 'causal_matrix.csv'),
    /** `modules`: modules.csv, modules.json, enrichment.csv, implication.csv */
    modules: at('modules'),
    modulesJson: at('modules', 'modules.json'),
    modulesCsv: at('modules', 'modules.csv'),
    enrichmentCsv: at('modules', 'enrichment.csv'),
    implicationCsv: at('modules', 'implication.csv'),
    gi: at('gi'),
    giJson: at('gi', 'gi.json'),
    giCsv: at('gi', 'gi.csv'),
    report: at('report.html'),
  };
}
export type RunPaths = ReturnType<typeof runPaths>;

export function readRun(dir: string): RunInfo {
  const p = runPaths(dir).runJson;
  if (!existsSync(p))
    throw new InputError(
      `'${dir}' is not a run folder (no run.json); create one with 'lcd-webgpu fit --data <file.h5ad> --out ${dir}'`,
    );
  let r: RunInfo;
  try {
    r = JSON.parse(readFileSync(p, 'utf8')) as RunInfo;
  } catch {
    throw new InputError(`${p}: not valid JSON (the file is damaged); run fit again into a new folder`);
  }
  if (r?.format !== 'lcd-webgpu-run/1') throw new InputError(`${p}: unknown format '${r?.format}'`);
  const missing = (['source', 'options', 'genes', 'split', 'markers'] as const).filter((k) => r[k] === undefined);
  if (missing.length || typeof r.options !== 'object')
    throw new InputError(
      `${p}: ${missing.join(', ') || 'options'} missing (the file is damaged); run fit again into a new folder`,
    );
  // a record without the measurement model's choices was written before they existed: the reference's model
  if (r.options.measurement === 'zip') r.options.prior = withPriorChoices(r.options.prior ?? {});
  return r;
}

export function writeRun(dir: string, r: RunInfo): void {
  writeFileAtomic(runPaths(dir).runJson, JSON.stringify(r, null, 1));
}

export interface LoadOptions extends ScreenOptions {
  layer?: string;
  /** 'auto': what this project recorded when it wrote the file (root attribute lcd_webgpu_values), else counts when
   *  every value is a non-negative integer (or the layer is 'counts'), log1p otherwise;
   *  'latent': continuous states (e.g. `simulate` without --counts), modelled as they are, no expm1 anywhere. */
  values?: 'auto' | 'counts' | 'log1p' | 'latent';
  /** X is log1p of scaled counts: recover the integer counts (data/recover-counts.ts) and treat them as counts. */
  countsFrom?: CountsFrom;
}

export async function loadScreen(path: string, o: LoadOptions = {}, log?: (s: string) => void): Promise<Screen> {
  const ad = await readH5ad(path, { layer: o.layer });
  if (o.countsFrom) {
    const r = screenWithRecoveredCounts(ad, o, o.countsFrom);
    log?.(r.note);
    return r.screen;
  }
  return screenFromAnnData(ad, { ...o, kind: detectValueKind(ad, o.values) });
}

/** Cells of environments as AnnData: obs 'condition' = environment name ('ctrl', 'A', 'A+B'), var gene names. */
export async function writeScreenH5ad(
  path: string,
  genes: string[],
  envs: { name: string; values: Float32Array; cells: number }[],
  extraObs: Record<string, string[]> = {},
  meta: Record<string, string> = {},
): Promise<void> {
  const d = genes.length,
    n = envs.reduce((a, e) => a + e.cells, 0);
  const X = new Float32Array(n * d),
    condition: string[] = [],
    obsNames: string[] = [];
  let at = 0;
  for (const e of envs) {
    const bad = e.values.subarray(0, e.cells * d).findIndex((v) => !Number.isFinite(v));
    if (bad >= 0)
      throw new Error(
        `${path}: refusing to write a non-finite value (${e.values[bad]}) for '${e.name}' at cell ${Math.floor(bad / d)}, gene '${genes[bad % d]}'; nothing was written (a diverged model? check its training losses)`,
      );
    X.set(e.values.subarray(0, e.cells * d), at * d);
    for (let c = 0; c < e.cells; c++) {
      condition.push(e.name);
      obsNames.push(`${e.name}_${c}`);
    }
    at += e.cells;
  }
  await writeH5ad(path, { X, nObs: n, nVars: d, obsNames, varNames: genes, obs: { condition, ...extraObs }, meta });
}

/** The preprocessed screen of a run folder (pass `run` when run.json has already been read). */
export async function readRunData(dir: string, run: RunInfo = readRun(dir)): Promise<Screen> {
  return loadScreen(runPaths(dir).data, {
    control: 'ctrl',
    values: run.valuesIn === 'latent' ? 'latent' : 'log1p',
  });
}

/** An output of a run folder that records a model other than the folder's current one. */
export interface StaleOutput {
  file: string;
  /** The id the output recorded, and the run's model id now. */
  recorded: string;
  current: string;
  /** The command that makes it again. */
  redo: string;
}

/**
 * The derived outputs of `dir` made by an earlier model than the one it holds now (a re-fit since): predictions,
 * metrics, genetic interactions, the causal matrix. Outputs that record no model id (older versions) are not listed.
 */
export async function staleOutputs(dir: string): Promise<StaleOutput[]> {
  const paths = runPaths(dir),
    current = modelId(paths.model);
  if (!current) return [];
  const json = (p: string): Record<string, unknown> | null => {
    try {
      return JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
    } catch {
      return null;
    }
  };
  const recorded: [string, string | undefined, string][] = [
    [paths.metricsJson, json(paths.metricsJson)?.['model_id'] as string | undefined, `evaluate --run ${dir}`],
    [paths.giJson, json(paths.giJson)?.['model_id'] as string | undefined, `gi --run ${dir}`],
    [
      paths.cliprMatrixJson,
      json(paths.cliprMatrixJson)?.['model_id'] as string | undefined,
      `clipr --run ${dir} --force`,
    ],
    [paths.modulesJson, json(paths.modulesJson)?.['model_id'] as string | undefined, `modules --run ${dir} --force`],
  ];
  const pred = paths.predictions();
  if (existsSync(pred))
    recorded.unshift([pred, (await readH5adMeta(pred))['model_id'], `predict --run ${dir} --force`]);
  return recorded
    .filter(([p, id]) => existsSync(p) && id && id !== current)
    .map(([file, id, redo]) => ({ file, recorded: id!, current, redo: `lcd-webgpu ${redo}` }));
}

/** The top-level names a run folder's layout uses (from runPaths, so a new output is covered when it is named there). */
export function runFolderEntries(): { names: Set<string>; pattern: RegExp } {
  const p = runPaths('');
  const names = new Set(
    Object.values(p)
      .filter((v): v is string => typeof v === 'string' && v !== '')
      .map((v) => v.split(/[\\/]/)[0]!),
  );
  // predictions.h5ad and its predictions_<output>.h5ad siblings; evaluate --truth's default evaluation/ beside them
  return { names: new Set([...names, 'evaluation']), pattern: /^predictions(_[a-z]+)?\.h5ad$/ };
}

/** Remove the run files of `dir` (run.json, data, model, checkpoints, every derived output), keeping anything else;
 *  returns the names removed. */
export function clearRunFolder(dir: string): string[] {
  const { names, pattern } = runFolderEntries();
  const removed = readdirSync(dir).filter((n) => names.has(n) || pattern.test(n));
  for (const n of removed) rmSync(join(dir, n), { recursive: true, force: true });
  return removed;
}

/**
 * A run folder: the one owner of its layout (`paths`), its run.json (`info`), its model id and its lock. Jobs reach a
 * run folder only through this type: `open` for the verbs that read a finished fit (refused while a fit holds the
 * folder), `create` for a fit (the folder made or emptied of an earlier run, and locked until `release`).
 */
export class RunFolder {
  readonly paths: RunPaths;
  private infoCache: RunInfo | undefined;
  private constructor(
    readonly dir: string,
    private readonly unlock: () => void = () => {},
    /** True when `create` found the folder absent or empty (a failed preparation then removes it whole). */
    readonly fresh = false,
  ) {
    this.paths = runPaths(dir);
  }

  /**
   * An existing run for `use` (the verb, for the messages): refused with one line while a fit or resume holds the
   * folder (not checked when `use` is null: the report reads what is there), and when it holds no run.json (or a
   * damaged one) unless `runJson` is 'optional'.
   */
  static open(dir: string, use: string | null, o: { runJson?: 'required' | 'optional' } = {}): RunFolder {
    if (use !== null) assertNotLocked(dir, use);
    const f = new RunFolder(dir);
    if (o.runJson !== 'optional' || f.hasRun()) f.infoCache = readRun(dir);
    return f;
  }

  /** Whether the folder holds a run.json (a folder opened with `runJson: 'optional'` may not). */
  hasRun(): boolean {
    return existsSync(this.paths.runJson);
  }

  /**
   * The folder for a fit, locked for `command` until `release()`: made when absent; `resume` needs its run.json.
   * A fresh fit into a folder that holds anything needs `force`, and then first removes the earlier run's files
   * (every name `runPaths` gives), so no output of an old model survives beside the new one; other files stay and
   * are named through `log`. Errors leave no folder behind that this call made.
   */
  static create(
    dir: string,
    o: { force?: boolean; resume?: boolean; command: string; log?: (s: string) => void },
  ): RunFolder {
    const log = o.log ?? (() => {});
    if (o.resume && !existsSync(runPaths(dir).runJson))
      throw new InputError(
        `${dir}: nothing to resume (no run.json; the fit never finished preprocessing); start it again without --resume`,
      );
    const existed = existsSync(dir);
    mkdirSync(dir, { recursive: true });
    let unlock: () => void;
    try {
      unlock = lockRunFolder(dir, o.command, (why) =>
        log(`warning: the lock on ${dir} was lost (${why}); do not start another fit into it`),
      );
    } catch (e) {
      if (!existed) rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    if (o.resume) return new RunFolder(dir, unlock);
    const present = readdirSync(dir).filter((n) => !LOCK_ENTRIES.includes(n));
    if (present.length && !o.force) {
      unlock();
      throw new InputError(
        `output folder '${dir}' exists and is not empty; choose another with --out or pass --force to overwrite`,
      );
    }
    const f = new RunFolder(dir, unlock, present.length === 0);
    const removed = f.clear();
    if (removed.length) log(`note: --force removed the earlier run's ${removed.join(', ')}`);
    const others = present.filter((n) => !removed.includes(n));
    if (others.length) log(`note: ${dir} also holds ${others.join(', ')} (not a run file; kept)`);
    return f;
  }

  /** run.json (read once; `write` replaces it). */
  get info(): RunInfo {
    return (this.infoCache ??= readRun(this.dir));
  }

  write(run: RunInfo): void {
    writeRun(this.dir, run);
    this.infoCache = run;
  }

  /** The preprocessed screen (data.h5ad). */
  readData(): Promise<Screen> {
    return readRunData(this.dir, this.info);
  }

  /** The content hash of the folder's model, or null when it holds none (model-id.ts). */
  modelId(): string | null {
    return modelId(this.paths.model);
  }

  staleOutputs(): Promise<StaleOutput[]> {
    return staleOutputs(this.dir);
  }

  /** Remove the run's files (the lock and anything not a run file stay); returns the names removed. */
  clear(): string[] {
    return clearRunFolder(this.dir);
  }

  /** After a failed preparation: the folder goes when `create` made it or found it empty, else the run's files. */
  discard(): void {
    if (this.fresh) rmSync(this.dir, { recursive: true, force: true });
    else this.clear();
  }

  /** Give up the lock `create` took (idempotent; a no-op for `open`). */
  release(): void {
    this.unlock();
  }
}

/** A `simulate` folder: the screen and its ground truth (and a planted module family's gene sets). */
export function simulationPaths(dir: string) {
  return {
    dir,
    screen: join(dir, 'screen.h5ad'),
    truth: join(dir, 'truth.json'),
    geneSets: join(dir, 'genes.gmt'),
    /** a gene network's cells before counts, log1p CP10k (simulate --latent-cells) */
    latent: join(dir, 'latent.h5ad'),
  };
}

/** A `benchmark` folder: its settings, the simulated screen when no --data, one run folder per fold and seed. */
export function benchmarkPaths(dir: string) {
  return {
    dir,
    config: join(dir, 'benchmark-config.json'),
    screen: simulationPaths(dir).screen,
    run: (fold: number, seed: number) => join(dir, 'runs', `fold${fold}-seed${seed}`),
    json: join(dir, 'benchmark.json'),
    csv: join(dir, 'benchmark.csv'),
    paired: join(dir, 'paired.csv'),
  };
}

/** A `clipr-benchmark` folder: its results, a model folder per linear screen and budget, a simulation folder per
 *  gene-network screen with a run folder per budget. */
export function cliprBenchmarkPaths(dir: string) {
  return {
    dir,
    json: join(dir, 'clipr-benchmark.json'),
    linearModel: (name: string, steps: number) => join(dir, 'models', `${name}-${steps}`),
    networkScreen: (kind: string, seed: number) => join(dir, 'models', `${kind}-s${seed}`),
    networkRun: (kind: string, seed: number, steps: number) => join(dir, 'models', `${kind}-s${seed}`, `fit-${steps}`),
  };
}

/** The built-in screen's folder (`demo`): a run folder's model, checkpoint and metrics, and the predicted cells. */
export function builtinPaths(dir: string) {
  const p = runPaths(dir);
  return {
    dir,
    model: p.model,
    checkpoint: p.checkpoint,
    metricsJson: p.metricsJson,
    metricsCsv: p.metricsCsv,
    predictions: join(dir, 'predictions.safetensors'),
  };
}
