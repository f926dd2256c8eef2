// `fit`: h5ad → preprocessing → split → LCD trained on the training perturbations, in a run folder (run-folder.ts).
// Checkpoints every `checkpointEvery` steps; `resume` continues an interrupted fit bit for bit with the data, split,
// seed and hyperparameters recorded in run.json (the caller's are ignored then). A fit that fails before its run
// folder holds anything leaves no folder behind.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend, TensorLike } from '../ops/backend.ts';
import { prepareScreen, type UnmeasuredTargets } from '../data/prepare.ts';
import type { SplitSpec } from '../data/splits.ts';
import { subScreen } from '../data/splits.ts';
import type { QcThresholds } from '../data/qc.ts';
import { LCD, checkedHyperparameters, type LcdHyperparameters } from '../lcd/model.ts';
import { writeFileAtomic } from '../node/atomic.ts';
import { loadScreen, writeScreenH5ad, RunFolder, type LoadOptions, type RunInfo } from './run-folder.ts';
import { PRIOR_DEFAULTS, withPriorChoices, type CountPrior, type PriorOptions } from '../measurement/prior.ts';
import { fitMeasurement } from './measurement-run.ts';
import { savePrior, loadPrior, hasPrior } from '../measurement/io.ts';
import { folderStore } from '../node/folder-store.ts';
import type { Screen } from '../data/dataset.ts';
import { toCsv } from '../io/csv.ts';
import type { FileStore } from '../io/file-store.ts';
import { loadCheckpoint, MODEL_FILES } from '../lcd/io.ts';
import { jobLog, stageProgress, trainingStage, type JobContext } from './job-context.ts';
import { formatDuration } from '../core/format.ts';
import { holdOutValidation, validationScore, type EarlyStopping } from './early-stopping.ts';

/** fit's options (JobContext: the log, the 'measurement model' and 'training' progress, the stop signal, and the
 *  engine, which early stopping with a measurement model needs to decode its validation predictions). */
export interface FitRunOptions extends JobContext {
  data: string;
  out: string;
  load?: LoadOptions;
  split: SplitSpec;
  seed?: number;
  qc?: Partial<QcThresholds>;
  nGenes?: number;
  unmeasuredTargets?: UnmeasuredTargets;
  lcd?: Partial<LcdHyperparameters>;
  force?: boolean;
  resume?: boolean;
  checkpointEvery?: number;
  /** Stop after this step, leaving the checkpoint behind (tests of resume). */
  stopAfter?: number;
  /** Measurement model for count data: 'zip' (default for counts) or 'none' (LCD on the log1p values). */
  measurement?: 'zip' | 'none';
  prior?: Partial<PriorOptions>;
  /** Latent states drawn per training environment for LCD (default: the environment's cell count, 200 … 2000). */
  statesPerEnv?: number;
  /** Hold out training combinations and keep the parameters that predict them best (early-stopping.ts). */
  earlyStopping?: EarlyStopping;
  /** redis://…: fit the measurement model's environments on the workers serving this queue (lcd-webgpu worker);
   *  needs prior.jointSteps < prior.steps (measurement-run.ts). */
  queue?: string;
}

export async function fitRun<T extends TensorLike>(
  backend: Backend<T>,
  o: FitRunOptions,
): Promise<{ lcd: LCD<T>; run: RunInfo }> {
  const log = jobLog(o);
  // The model's hyperparameters checked before any work (e.g. a sampler past the trained levels), not after the
  // measurement model has run.
  if (o.lcd) checkedHyperparameters(o.lcd);
  // One writer per folder: a second fit, or a resume beside a live fit, is refused naming the holder.
  const folder = RunFolder.create(o.out, {
    force: o.force,
    resume: o.resume,
    command: o.resume ? 'fit --resume' : 'fit',
    log,
  });
  try {
    return await fitLocked(backend, o, folder, log);
  } finally {
    folder.release();
  }
}

async function fitLocked<T extends TensorLike>(
  backend: Backend<T>,
  o: FitRunOptions,
  folder: RunFolder,
  log: (s: string) => void,
): Promise<{ lcd: LCD<T>; run: RunInfo }> {
  let run: RunInfo;
  const paths = folder.paths;
  if (o.resume) {
    run = folder.info;
    log(`resuming the fit in ${o.out} (data, split, seed and hyperparameters from run.json)`);
  } else run = await prepareRun(o, folder, log);
  // run.json holds the options either way (prepareRun records the caller's), so a resume reads the same values.
  const seed = run.options.seed ?? 0,
    lcdOptions = run.options.lcd;
  const screen = await folder.readData();
  let train = subScreen(screen, run.split.train);
  let prior: CountPrior<T> | null = null;
  if (run.options.measurement === 'zip') {
    // Stage 1: the measurement model on the raw counts of the training environments; LCD then learns its states.
    const priorDir = paths.measurement,
      priorStore = folderStore(priorDir);
    if (o.resume && hasPrior(priorStore)) {
      prior = loadPrior(backend, priorStore);
      log(`measurement model loaded from ${priorDir}`);
    } else {
      prior = await fitMeasurement(backend, folder, run, seed, o);
      mkdirSync(priorDir, { recursive: true });
      await savePrior(backend, prior, priorStore);
      log(
        `measurement model: ${prior.o.steps} steps, ${prior.o.mcSamples} Monte-Carlo states per step, final loss ${prior.losses.at(-1)?.loss.toFixed(3)}`,
      );
    }
    train = await prior.latentScreen(train, seed, o.statesPerEnv);
  } else if (run.valuesIn !== 'counts')
    log('no measurement model: the data are not counts, so LCD models the values as they are');
  if (o.queue && run.options.measurement !== 'zip')
    log('note: --queue spreads the measurement model, and this fit has none: it runs here');
  // A batch larger than the training set draws every cell many times per step, at that much more cost per step: it is
  // clamped to the number of training cells, with a note (deterministic, so a resumed fit clamps alike).
  const cells = train.envs.reduce((n, e) => n + e.cells, 0),
    hp = { ...lcdOptions, seed };
  if (hp.batchSize !== undefined && hp.batchSize > cells) {
    log(
      `note: --batch ${hp.batchSize} is larger than the ${cells} training cells; using ${cells} (a larger batch only repeats cells at ${(hp.batchSize / cells).toFixed(1)}× the cost per step)`,
    );
    hp.batchSize = cells;
  }
  const lcd = new LCD<T>(hp);
  const es = run.options.earlyStopping,
    validation = es && run.split.val?.length ? await validationHook(run, screen, prior, o, seed, log) : undefined;
  const bar = stageProgress(o, 'training', trainingStage);
  const t0 = performance.now();
  await lcd.fit(train, {
    backend,
    progressEvery: 25,
    onProgress: bar.onProgress,
    checkpoint: folderStore(paths.checkpoint),
    checkpointEvery: o.checkpointEvery ?? 500,
    resume: o.resume,
    ...(o.resume ? { resumeFrom: checkpointToResume(paths.checkpoint, paths.previousCheckpoint, log) } : {}),
    beforeCheckpoint: () => keepPreviousCheckpoint(paths.checkpoint, paths.previousCheckpoint),
    stopAfter: o.stopAfter,
    signal: o.signal,
    ...(validation ? { validation: { every: es!.every, score: validation } } : {}),
  });
  bar.done(`done in ${formatDuration((performance.now() - t0) / 1e3)}`);
  if (o.stopAfter !== undefined && lcd.step < lcd.hp.steps) {
    log(`stopped after step ${lcd.step} (checkpoint in ${paths.checkpoint})`);
    return { lcd, run };
  }
  const model = folderStore(paths.model);
  // The measurement model first: LCD's config.json, written last by lcd.save, is what marks the model complete (its
  // id, predict, evaluate), so a fit stopped between the two saves leaves no model that looks whole without its
  // measurement model (which predict would take for a log1p model).
  if (prior) await savePrior(backend, prior, model);
  await lcd.save(model);
  writeFileAtomic(
    paths.losses,
    toCsv(
      ['step', 'loss'],
      lcd.losses.map((l) => [l.step, l.loss]),
    ),
  );
  const v = lcd.validation;
  if (v) {
    writeFileAtomic(
      paths.validation,
      toCsv(
        ['step', 'ed'],
        v.scores.map((x) => [x.step, x.score]),
      ),
    );
    const best = v.scores.find((x) => x.step === v.bestStep)!;
    log(
      `early stopping: the model is the one of step ${v.bestStep} of ${lcd.step} (validation ED ${best.score.toFixed(4)}; every score in ${paths.validation})`,
    );
  }
  log(
    `trained LCD on ${train.envs.length} environments (${lcd.hp.steps} steps, H = ${lcd.hp.hidden}); model in ${paths.model}`,
  );
  return { lcd, run };
}

/** LCD's validation hook for early stopping: the held-out combinations predicted as `predict` would. */
async function validationHook<T extends TensorLike>(
  run: RunInfo,
  screen: Screen,
  prior: CountPrior<T> | null,
  o: FitRunOptions,
  seed: number,
  log: (s: string) => void,
): Promise<(lcd: LCD<T>) => Promise<number>> {
  const names = run.split.val!;
  if (prior && !o.engine)
    throw new Error('fitRun: early stopping with a measurement model needs the engine (pass engine)');
  log(
    `early stopping: ${names.length} training combination(s) held out for validation (${names.join(', ')}), scored every ${run.options.earlyStopping!.every} steps`,
  );
  return validationScore<T>({
    screen,
    names,
    seed,
    ...(prior ? { decodeWith: { engine: o.engine!, ...(await prior.decoder()) } } : {}),
  });
}

/** Load, preprocess and split the data into a fresh run folder (data.h5ad, counts.h5ad, run.json). */
async function prepareRun(o: FitRunOptions, folder: RunFolder, log: (s: string) => void): Promise<RunInfo> {
  const seed = o.seed ?? 0,
    paths = folder.paths;
  try {
    const raw = await loadScreen(o.data, o.load, log);
    log(
      `${o.data}: ${raw.envs.reduce((a, e) => a + e.cells, 0)} cells × ${raw.genes.length} genes, ${raw.envs.length - 1} perturbations (${raw.kind})`,
    );
    // an explicit split names conditions as the data label them: read them with the data's control and separator
    const split: SplitSpec =
      o.split.mode === 'explicit'
        ? { ...o.split, control: o.load?.control ?? 'ctrl', separator: o.load?.separator ?? '+' }
        : o.split;
    const p = prepareScreen(raw, {
      split,
      seed,
      qc: o.qc,
      nGenes: o.nGenes,
      unmeasuredTargets: o.unmeasuredTargets,
      source: o.data,
    });
    for (const l of p.log) log(l);
    // early stopping: training combinations move to the split's validation conditions (trained on by neither stage)
    const finalSplit = o.earlyStopping?.doubles
      ? holdOutValidation(p.split, p.screen, o.earlyStopping.doubles, seed)
      : p.split;
    if (p.split.test.length === 0)
      log('warning: the split has no test perturbation; predict and evaluate will need --perturbations');
    await writeScreenH5ad(paths.data, p.screen.genes, p.screen.envs, {}, { values: p.screen.kind });
    if (p.counts) await writeScreenH5ad(paths.counts, p.counts.genes, p.counts.envs, {}, { values: 'counts' });
    const measurement = raw.kind === 'counts' ? (o.measurement ?? 'zip') : 'none';
    const run: RunInfo = {
      format: 'lcd-webgpu-run/1',
      source: o.data,
      valuesIn: raw.kind,
      options: {
        load: o.load ?? {},
        split,
        seed,
        qc: o.qc ?? null,
        nGenes: o.nGenes ?? 1000,
        unmeasuredTargets: o.unmeasuredTargets ?? 'error',
        lcd: o.lcd ?? {},
        measurement,
        // the measurement model's choices recorded as this fit makes them (prior.ts withPriorChoices)
        prior: measurement === 'zip' ? withPriorChoices(o.prior ?? {}, PRIOR_DEFAULTS) : (o.prior ?? {}),
        ...(o.earlyStopping?.doubles ? { earlyStopping: o.earlyStopping } : {}),
      },
      genes: p.screen.genes,
      split: finalSplit,
      hvgRank: p.hvgRank,
      qc: p.qc,
      log: p.log,
      markers: Object.fromEntries(Object.entries(p.markers).map(([k, v]) => [k, v.map((g) => p.screen.genes[g]!)])),
    };
    folder.write(run);
    return run;
  } catch (e) {
    // no empty or half-written folder after a failure: the folder goes (it held nothing), or the files this fit wrote
    folder.discard();
    throw e;
  }
}

const holdsCheckpoint = (dir: string) =>
  existsSync(join(dir, MODEL_FILES.config)) && existsSync(join(dir, MODEL_FILES.weights));

/** Before a checkpoint is written: the last complete one becomes the previous (a rename, atomic on one file
 *  system), so a checkpoint damaged later (a bad disk block, a copy cut short) still leaves the one before it. */
function keepPreviousCheckpoint(dir: string, previous: string): void {
  if (!holdsCheckpoint(dir)) return;
  rmSync(previous, { recursive: true, force: true });
  renameSync(dir, previous);
}

/** The checkpoint a resume reads: the last one, or the previous one when the last is damaged or missing (a stop
 *  between the rename and the new write), with a note; a damaged last one without a previous is the error. */
function checkpointToResume(dir: string, previous: string, log: (s: string) => void): FileStore {
  const last = folderStore(dir);
  let damage: Error | null = null;
  try {
    if (loadCheckpoint(last)) return last;
  } catch (e) {
    damage = e as Error;
  }
  if (holdsCheckpoint(previous)) {
    const prev = folderStore(previous);
    const ck = loadCheckpoint(prev)!; // a damaged previous one is an error of its own, naming its file
    log(
      `note: ${damage ? `the last checkpoint is damaged (${damage.message})` : `${dir} holds no checkpoint`}; resuming from the previous one (${previous}, step ${ck.step})`,
    );
    return prev;
  }
  if (damage) throw damage;
  return last;
}
