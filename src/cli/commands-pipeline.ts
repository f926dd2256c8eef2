// The pipeline verbs of the command line: simulate → fit → predict → evaluate → (clipr, gi) → report, all working on
// a run folder (src/jobs/run-folder.ts). Each has --help, --seed and an output folder.
import { MEASURED_SAMPLER } from '../lcd/sampler-settings.ts';
import { N_LEVELS } from '../core/noise-schedule.ts';
import { SAMPLER_COMPOSE, SAMPLER_KERNELS, type SamplerCompose, type SamplerKernel } from '../lcd/sampler.ts';
import { join } from 'node:path';
import { Engine } from '../gpu/engine.ts';
import { WebGPUBackend } from '../ops/webgpu-backend.ts';
import { UsageError, defineCommand, optionGroup, type Command, type OptionValues } from './args.ts';
import { ProgressBar, printLine, printNote } from './progress.ts';
import type { ProgressSink } from '../core/format.ts';
import { interruptOnSignals, failpoint } from './signals.ts';
import { InputError, InterruptedError } from '../core/errors.ts';
import { parseSplit, parseSplitFile, type SplitSpec } from '../data/splits.ts';
import { parseCountsFrom } from '../data/recover-counts.ts';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { NORMAN_QC, NO_QC } from '../data/qc.ts';
import { VALIDATION_EVERY } from '../jobs/early-stopping.ts';
import { fitRun } from '../jobs/fit-run.ts';
import { predictRun } from '../jobs/predict-run.ts';
import { evaluateFiles, evaluateRun } from '../jobs/evaluate-run.ts';
import { redactedUrl } from '../jobs/queue/connection.ts';
import { benchmarkRun } from '../jobs/benchmark-run.ts';
import { simulate, checkSimulateOptions, type SimulateOptions } from '../jobs/simulate.ts';
import { writeReport } from '../jobs/report-run.ts';
import { giRun } from '../jobs/gi-run.ts';
import { modulesRun } from '../jobs/modules-run.ts';
import { REFERENCE_CUT_HEIGHT, DEFAULT_MIN_MODULE_SIZE, DEFAULT_PLACEMENT } from '../stats/modules.ts';
import { DEFAULT_ENRICHMENT_FDR } from '../clipr/modules.ts';
import { LCD_DEFAULTS } from '../lcd/model.ts';
import { PRIOR_DEFAULTS, type PriorOptions } from '../measurement/prior.ts';
import { runPaths, staleOutputs, type LoadOptions } from '../jobs/run-folder.ts';
import { assertNotLocked } from '../node/run-lock.ts';

const list = (s: string): string[] => s.split(',').filter(Boolean);
/** A parse of an option's text whose failure is the user's: a usage error, not a crash. */
function usage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

async function withEngine<R>(f: (e: Engine) => Promise<R>): Promise<R> {
  const e = await Engine.create();
  try {
    return await f(e);
  } finally {
    await e.close();
  }
}

/** How to read an h5ad: its perturbation column, control label, separator, filter, layer and values. */
const LOAD_OPTIONS = optionGroup([
  {
    name: 'perturbation-key',
    type: 'string',
    help: "obs column naming each cell's perturbation",
    default: 'condition',
  },
  { name: 'control', type: 'string', help: 'label of control cells in that column', default: 'ctrl' },
  {
    name: 'separator',
    type: 'string',
    help: 'separator of combination labels (A+B; A+ctrl is a single)',
    default: '+',
  },
  { name: 'filter', type: 'string', help: 'keep only cells with obs[key] = value, as key=value (e.g. cell_type=k562)' },
  { name: 'layer', type: 'string', help: 'read layers[<name>] instead of X (e.g. counts)' },
  {
    name: 'values',
    type: 'string',
    help: 'what X holds: auto | counts | log1p | latent (auto: counts if all non-negative integers, else log1p)',
    default: 'auto',
    choices: ['auto', 'counts', 'log1p', 'latent'],
  },
  {
    name: 'counts-from',
    type: 'string',
    help: "X holds log1p of scaled counts: recover the integer counts and fit them as counts; 'implied' (each cell's scale from its smallest value) or 'obs:<column>' (library sizes, e.g. obs:ncounts, with --target-sum)",
  },
  {
    name: 'target-sum',
    type: 'number',
    help: 'target sum the file was normalised to, for --counts-from obs:<column>',
    default: 1e4,
  },
]);
const DATA_OPTIONS = optionGroup([
  { name: 'data', type: 'string', help: 'input AnnData (.h5ad): X dense/CSR/CSC, obs perturbation column' },
  ...LOAD_OPTIONS,
]);

/** The baseline options evaluate and gi share: which baselines, PEPER's budget, their seed. */
function baselineOptions(help: string, defaults: string) {
  return optionGroup([
    { name: 'baselines', type: 'string', help, default: defaults },
    { name: 'peper-steps', type: 'number', help: 'PEPER training steps', default: 2000 },
    { name: 'seed', type: 'number', help: 'seed of the baselines', default: 0 },
  ]);
}

/** --prior-joint-steps, checked against --prior-steps (absent: every step joint, nothing recorded), and
 *  --prior-theta-init and --zero-inflation (always recorded: a model read back without them is the reference's). */
function priorJoint(o: {
  priorSteps: number;
  priorJointSteps?: number;
  priorThetaInit: string;
  zeroInflation: string;
}): {
  jointSteps?: number;
  thetaInit: NonNullable<PriorOptions['thetaInit']>;
  zeroInflation: NonNullable<PriorOptions['zeroInflation']>;
} {
  const init = {
    thetaInit: o.priorThetaInit as NonNullable<PriorOptions['thetaInit']>,
    zeroInflation: o.zeroInflation as NonNullable<PriorOptions['zeroInflation']>,
  };
  if (o.priorJointSteps === undefined) return init;
  if (o.priorJointSteps > o.priorSteps)
    throw new UsageError(
      `--prior-joint-steps ${o.priorJointSteps} is more than --prior-steps ${o.priorSteps}: the joint steps are part of the measurement model's steps`,
    );
  return { jointSteps: o.priorJointSteps, ...init };
}

function loadOptions(o: OptionValues<typeof LOAD_OPTIONS>): LoadOptions {
  let filter: LoadOptions['filter'];
  if (o.filter) {
    const [key, ...rest] = o.filter.split('=');
    if (!key || rest.length === 0) throw new UsageError(`--filter needs key=value, got '${o.filter}'`);
    filter = { key, value: rest.join('=') };
  }
  return {
    perturbationKey: o.perturbationKey,
    control: o.control,
    separator: o.separator,
    filter,
    layer: o.layer || undefined,
    values: o.values,
    countsFrom: o.countsFrom ? usage(() => parseCountsFrom(o.countsFrom!, o.targetSum)) : undefined,
  };
}

/** Preprocessing options fit and benchmark share. */
const PREPARE_OPTIONS = optionGroup([
  {
    name: 'qc',
    type: 'string',
    help: 'QC thresholds: none (the default: the file is used as it is) or norman (the reference on whole-transcriptome counts: ≥200 cells/gene, 20–6000 genes and >7500 counts per cell, <15 % MT, ≥100 cells/perturbation; count thresholds apply to counts only)',
    choices: ['norman', 'none'],
  },
  {
    name: 'genes',
    type: 'number',
    help: 'genes to keep (targeted genes first, then markers and seurat HVG)',
    default: 1000,
  },
  {
    name: 'unmeasured-targets',
    type: 'string',
    help: 'perturbations of genes outside the panel: error | drop | keep',
    default: 'error',
    choices: ['error', 'drop', 'keep'],
  },
  {
    name: 'min-cells-per-gene',
    type: 'number',
    help: 'QC: keep genes non-zero in at least this many cells (overrides --qc)',
  },
  {
    name: 'min-cells-per-perturbation',
    type: 'number',
    help: 'QC: drop perturbations with fewer cells (overrides --qc)',
  },
]);

/** The QC thresholds of --qc with the --min-cells-* overrides (undefined: the file as it is). */
function qcOptions(o: { qc?: string; minCellsPerGene?: number; minCellsPerPerturbation?: number }) {
  let qc = o.qc === 'norman' ? NORMAN_QC : o.qc === 'none' ? NO_QC : undefined;
  if (o.minCellsPerGene !== undefined) qc = { ...(qc ?? NO_QC), minCellsPerGene: o.minCellsPerGene };
  if (o.minCellsPerPerturbation !== undefined)
    qc = { ...(qc ?? NO_QC), minCellsPerPerturbation: o.minCellsPerPerturbation };
  return qc;
}

/** The sampler's integrator and step size, with the measured defaults (fit, benchmark and the main job). */
export const SAMPLER_STEP_OPTIONS = optionGroup([
  {
    name: 'integrator',
    type: 'string',
    help: 'sampler integrator: lm (Leimkuhler–Matthews) or em (Euler–Maruyama, the reference)',
    default: MEASURED_SAMPLER.integrator,
    choices: ['lm', 'em'],
  },
  {
    name: 'step-scale',
    type: 'number',
    help: 'Langevin step α = step-scale·σ² (the reference: 0.01)',
    default: MEASURED_SAMPLER.stepScale,
  },
]);

/** The noise levels DSM trains (fit, benchmark and the main job); unset, the levels the sampler visits. */
export const TRAIN_LEVELS_OPTIONS = optionGroup([
  {
    name: 'train-levels',
    type: 'number',
    help: `noise levels DSM trains, 0 … n − 1 (default: the sampler's, --last-level + 1; ${N_LEVELS} = every level, the reference)`,
  },
]);
/** The hyperparameter an unset --train-levels leaves to its default. */
export const trainLevelsOf = (o: { trainLevels?: number }) =>
  o.trainLevels === undefined ? {} : { trainLevels: o.trainLevels };

/** The model and measurement options fit and benchmark share. */
const MODEL_OPTIONS = optionGroup([
  { name: 'steps', type: 'number', help: 'DSM training steps', default: LCD_DEFAULTS.steps },
  { name: 'hidden', type: 'number', help: 'hidden width of the score network', default: LCD_DEFAULTS.hidden },
  {
    name: 'steps-per-level',
    type: 'number',
    help: 'Langevin steps per noise level when predicting',
    default: MEASURED_SAMPLER.stepsPerLevel,
  },
  ...SAMPLER_STEP_OPTIONS,
  ...TRAIN_LEVELS_OPTIONS,
  {
    name: 'measurement',
    type: 'string',
    help: 'for counts: zip (the zero-inflated Poisson prior, stage 1) or none (LCD on CP10k-log1p)',
    default: 'zip',
    choices: ['zip', 'none'],
  },
  { name: 'prior-steps', type: 'number', help: 'measurement-model training steps', default: PRIOR_DEFAULTS.steps },
  {
    name: 'prior-joint-steps',
    type: 'number',
    help: 'of those, the steps that fit every environment and the zero-inflation together; the rest go to each environment alone (what fit --queue spreads) (default: all)',
  },
  {
    name: 'prior-theta-init',
    type: 'string',
    help: "the measurement model's zero-inflation logits start at: normal (N(0, 1), the reference) or control (the control's excess zeros)",
    default: PRIOR_DEFAULTS.thetaInit!,
    choices: ['normal', 'control'],
  },
  {
    name: 'zero-inflation',
    type: 'string',
    help: "the measurement model's zero inflation: gene (one probability per gene, the reference), state (its logit also moves with the state's log rate by one slope for every gene, for dropout that falls with expression) or state-gene (a slope per gene)",
    default: PRIOR_DEFAULTS.zeroInflation!,
    choices: ['gene', 'state', 'state-gene'],
  },
  { name: 'batch', type: 'number', help: 'cells per training step', default: LCD_DEFAULTS.batchSize },
  {
    name: 'envs-per-batch',
    type: 'number',
    help: 'environments per training step (1 = the reference)',
    default: LCD_DEFAULTS.envsPerBatch,
  },
  { name: 'lr', type: 'number', help: 'peak learning rate', default: LCD_DEFAULTS.learningRate },
  {
    name: 'weight-decay',
    type: 'number',
    help: 'AdamW weight decay (1 with --envs-per-batch 4 on screens like Norman\'s: few doubles, close to additive; README "Real data")',
    default: LCD_DEFAULTS.weightDecay,
  },
  {
    name: 'ema',
    type: 'number',
    help: 'decay of an exponential moving average of the weights, kept as the model (0 = the last iterate)',
    default: 0,
  },
  {
    name: 'lr-floor',
    type: 'number',
    help: 'where the cosine learning-rate schedule ends, as a fraction of the peak (0 = at zero, the reference; with --ema, README "A shorter budget that holds")',
    default: 0,
  },
]);

/** fit's progress bars, through which the fault-injection tests fail at a chosen step (LCD_WEBGPU_FAILPOINT). */
const fitProgress = (label: string, total: number): ProgressSink => {
  const bar = new ProgressBar(label, total),
    site = label === 'training' ? 'fit.step' : label === 'measurement model' ? 'prior.step' : null;
  return {
    update(done, extra, etaS) {
      bar.update(done, extra, etaS);
      if (site) failpoint(site, done);
    },
    done: (message) => bar.done(message),
  };
};

/** Whether `dir` holds a run.json this fit wrote (or, on --resume, the one it continues). */
function runFolderOfThisFit(dir: string, startedMs: number, resume: boolean): boolean {
  const runJson = runPaths(dir).runJson;
  return existsSync(runJson) && (resume || statSync(runJson).mtimeMs >= startedMs - 1000);
}

/** evaluate's `--json` result: the tested perturbations, mean and median per method and metric, every value. */
const evaluationResult = (r: Awaited<ReturnType<typeof evaluateRun>>) => ({
  tests: r.tests,
  summary: r.summary,
  rows: r.rows,
});

export const PIPELINE_COMMANDS: Record<string, Command> = {
  simulate: defineCommand({
    summary:
      'write a synthetic screen with ground truth (screen.h5ad, truth.json): nonlinear or linear SDE, optionally as counts',
    options: [
      { name: 'out', type: 'string', help: 'output folder', required: 'dir' },
      { name: 'force', type: 'boolean', help: 'overwrite a non-empty output folder', default: false },
      { name: 'seed', type: 'number', help: 'seed', default: 0 },
      {
        name: 'kind',
        type: 'string',
        help: 'nonlinear (Hopfield gradient system) | linear (linear SDE) | grn (directed gene network with Hill kinetics, chains and feed-forward loops; truth.json holds the signed adjacency, the direct and the total effects) | cascade (the gene network in layers: chains of six, CRISPRi knock-downs of per-cell efficiency, a confounding program, negative-binomial counts) | modules (the gene network with planted modules: 4 modules of 15 genes linked in a cascade; genes.gmt names them)',
        default: 'nonlinear',
        choices: ['nonlinear', 'linear', 'grn', 'cascade', 'modules'],
      },
      { name: 'genes', type: 'number', help: 'number of genes d (default 24 nonlinear, 30 linear)' },
      { name: 'perturbed', type: 'number', help: 'number of perturbed genes (singles)' },
      { name: 'doubles', type: 'number', help: 'number of double perturbations' },
      { name: 'cells', type: 'number', help: 'cells per environment' },
      {
        name: 'counts',
        type: 'boolean',
        help: 'measure counts instead of writing latent states (zero-inflated Poisson; grn and cascade: their own library sizes and expression-dependent dropout)',
        default: false,
      },
      {
        name: 'latent-cells',
        type: 'boolean',
        help: 'with --counts on grn, cascade or modules: also write latent.h5ad, the same cells before counts as log1p CP10k (what a perfect measurement model would leave; fit it to compare)',
        default: false,
      },
      {
        name: 'nb-size',
        type: 'number',
        help: "with --counts on grn, cascade or modules: the counts' negative-binomial size θ (variance μ + μ²/θ; 0 for Poisson counts; default the family's: 5 for cascade, Poisson otherwise)",
      },
      { name: 'unit-scale', type: 'number', help: 'Poisson rate scale u_g for --counts (not grn)', default: 10 },
      { name: 'zero-prob', type: 'number', help: 'zero-inflation probability for --counts (not grn)', default: 0.1 },
    ],
    async run(o) {
      const options: SimulateOptions = {
        out: o.out,
        force: o.force,
        seed: o.seed,
        kind: o.kind,
        d: o.genes,
        perturbed: o.perturbed,
        doubles: o.doubles,
        cells: o.cells,
        counts: o.counts ? { unitScale: o.unitScale, zeroProb: o.zeroProb } : null,
        latentCells: o.latentCells,
        nbSize: o.nbSize,
      };
      checkSimulateOptions(options); // refused before the GPU starts
      return withEngine(async (e) => {
        const s = await simulate(new WebGPUBackend(e), options);
        const screen = join(o.out, 'screen.h5ad');
        printLine(
          `wrote ${screen} (${s.envs.length - 1} perturbations, ${s.genes.length} genes, ${s.kind})${o.latentCells ? ', latent.h5ad' : ''} and truth.json`,
        );
        return {
          screen,
          truth: join(o.out, 'truth.json'),
          perturbations: s.envs.length - 1,
          genes: s.genes.length,
          cells: s.envs.reduce((a, env) => a + env.cells, 0),
          values: s.kind,
          ...(o.latentCells ? { latent: join(o.out, 'latent.h5ad') } : {}),
        };
      });
    },
  }),
  fit: defineCommand({
    summary:
      'preprocess an h5ad (QC, normalisation, gene selection, markers), split it and train LCD into a run folder; --resume --out <dir> continues an interrupted fit',
    options: [
      ...DATA_OPTIONS,
      { name: 'out', type: 'string', help: 'run folder', required: 'run dir' },
      { name: 'force', type: 'boolean', help: 'overwrite a non-empty run folder', default: false },
      {
        name: 'resume',
        type: 'boolean',
        help: "continue an interrupted fit from the run folder's checkpoint",
        default: false,
      },
      { name: 'seed', type: 'number', help: 'seed of the split and the model', default: 0 },
      {
        name: 'split',
        type: 'string',
        help: "fold:<k> (the reference's 10 folds + 20 validation doubles), val, or seen2",
        default: 'fold:0',
      },
      {
        name: 'split-file',
        type: 'string',
        help: 'JSON {"train": [...], "test": [...], "val": [...]} of condition names as in the data (GEARS/PerturBench splits; train and val optional)',
      },
      {
        name: 'test',
        type: 'string',
        help: 'hold out exactly these conditions, comma-separated (e.g. KLF1+MAP2K6,CEBPE+KLF1); everything else trains',
      },
      { name: 'val-doubles', type: 'number', help: 'validation doubles held back from the folds', default: 20 },
      ...PREPARE_OPTIONS,
      ...MODEL_OPTIONS,
      {
        name: 'last-level',
        type: 'number',
        help: 'last noise level of the annealing (29 = σ 0.01)',
        default: MEASURED_SAMPLER.lastLevel,
      },
      { name: 'checkpoint-every', type: 'number', help: 'steps between checkpoints', default: 500 },
      {
        name: 'early-stopping',
        type: 'number',
        help: 'hold out this many training combinations and keep the step that predicts them best (0 = off)',
        default: 0,
      },
      {
        name: 'val-every',
        type: 'number',
        help: 'with --early-stopping: steps between validation scores',
        default: VALIDATION_EVERY,
      },
      {
        name: 'mc-samples',
        type: 'number',
        help: 'Monte-Carlo states per measurement-model step (reference 20000)',
        default: PRIOR_DEFAULTS.mcSamples,
      },
      {
        name: 'queue',
        type: 'string',
        help: "redis://[user:password@]host:port[/db]: fit the measurement model's environments on the workers serving it (lcd-webgpu worker), after its joint steps here; needs --prior-joint-steps; --out must be on storage every worker reaches, at the same path",
      },
    ],
    async run(o, given) {
      if (!o.resume && !o.data) throw new UsageError('fit needs --data <file.h5ad>');
      if (o.queue && !o.resume && !(o.priorJointSteps !== undefined && o.priorJointSteps < o.priorSteps))
        throw new UsageError(
          "--queue spreads the measurement model's environments over the workers after its joint steps: give --prior-joint-steps J (J < --prior-steps; the zero-inflation logits need about 2000 of the default 3000)",
        );
      if (o.ema && o.earlyStopping)
        throw new UsageError(
          '--ema and --early-stopping cannot be combined yet: choose one (each picks the model kept)',
        );
      if (o.resume) {
        // Resume continues with what run.json recorded; an option that would silently be ignored is an error.
        const ignored = [...given].filter((k) => !['out', 'resume', 'checkpoint-every', 'queue'].includes(k));
        if (ignored.length)
          throw new UsageError(
            `--resume continues with the data, split, seed and hyperparameters recorded in ${o.out}/run.json; drop ${ignored.map((k) => `--${k}`).join(', ')}`,
          );
      }
      const qc = qcOptions(o);
      const split = ((): SplitSpec => {
        const chosen = (['split', 'split-file', 'test'] as const).filter((k) => given.has(k));
        if (chosen.length > 1)
          throw new UsageError(`choose one of ${chosen.map((k) => `--${k}`).join(', ')}: each defines the split`);
        if (o.splitFile) {
          if (!existsSync(o.splitFile)) throw new UsageError(`--split-file ${o.splitFile}: file not found`);
          return parseSplitFile(readFileSync(o.splitFile, 'utf8'), o.splitFile);
        }
        if (o.test !== undefined) {
          const test = list(o.test).map((t) => t.trim());
          if (!test.length) throw new UsageError('--test needs at least one condition, e.g. --test KLF1+MAP2K6');
          return { mode: 'explicit', source: '--test', test };
        }
        const s = usage(() => parseSplit(o.split));
        return s.mode === 'fold' || s.mode === 'val' ? { ...s, nVal: o.valDoubles } : s;
      })();
      const stop = interruptOnSignals(printNote),
        startedMs = Date.now();
      return withEngine(async (e) => {
        const t0 = performance.now();
        const fitted = await fitRun(new WebGPUBackend(e), {
          engine: e,
          ...(o.earlyStopping ? { earlyStopping: { doubles: o.earlyStopping, every: o.valEvery } } : {}),
          signal: stop.signal,
          log: printLine,
          data: o.data ?? '',
          out: o.out,
          force: o.force,
          resume: o.resume,
          seed: o.seed,
          split,
          load: loadOptions(o),
          qc,
          nGenes: o.genes,
          unmeasuredTargets: o.unmeasuredTargets,
          checkpointEvery: o.checkpointEvery,
          lcd: {
            steps: o.steps,
            hidden: o.hidden,
            batchSize: o.batch,
            envsPerBatch: o.envsPerBatch,
            learningRate: o.lr,
            weightDecay: o.weightDecay,
            ...(o.ema ? { emaDecay: o.ema } : {}),
            ...(o.lrFloor ? { learningRateFloor: o.lrFloor } : {}),
            ...trainLevelsOf(o),
            stepsPerLevel: o.stepsPerLevel,
            lastLevel: o.lastLevel,
            integrator: o.integrator,
            stepScale: o.stepScale,
          },
          measurement: o.measurement,
          prior: { steps: o.priorSteps, mcSamples: o.mcSamples, ...priorJoint(o) },
          ...(o.queue ? { queue: o.queue } : {}),
          progress: fitProgress,
        });
        const seconds = (performance.now() - t0) / 1e3;
        const r = fitted.run;
        return {
          run: o.out,
          model: runPaths(o.out).model,
          seconds,
          split: r.split.mode,
          train: r.split.train,
          test: r.split.test,
          genes: r.genes.length,
          steps: fitted.lcd.losses.at(-1)?.step ?? null,
          final_loss: fitted.lcd.losses.at(-1)?.loss ?? null,
        };
      })
        .catch((err: unknown) => {
          // resume works from a checkpoint, and from an interrupted measurement model (refitted from run.json)
          if (err instanceof InterruptedError && (err.checkpoint || err.stage))
            err.message += `\nresume with: lcd-webgpu fit --resume --out ${o.out}`;
          // A failure after preprocessing (a full disk, a lost device) leaves a run folder that resume continues:
          // run.json (written by this fit, or the one it resumed) is its mark; a failure before it removes the folder.
          else if (
            err instanceof Error &&
            !(err instanceof UsageError || err instanceof InputError) &&
            runFolderOfThisFit(o.out, startedMs, o.resume)
          )
            err.message += `\nthe run folder keeps the work done; once the cause is fixed, resume with: lcd-webgpu fit --resume --out ${o.out}`;
          throw err;
        })
        .finally(stop.release);
    },
  }),
  predict: defineCommand({
    summary: "sample cells for the run's test perturbations (or --perturbations) into predictions.h5ad",
    options: [
      { name: 'run', type: 'string', help: 'run folder made by fit', required: 'run dir' },
      {
        name: 'perturbations',
        type: 'string',
        help: "comma-separated target sets, e.g. KLF1+MAP2K6,SET (default: the split's test perturbations)",
      },
      { name: 'cells', type: 'number', help: 'cells per perturbation', default: 200 },
      { name: 'steps-per-level', type: 'number', help: "Langevin steps per noise level (default: the model's)" },
      { name: 'last-level', type: 'number', help: "last noise level of the annealing (default: the model's)" },
      {
        name: 'integrator',
        type: 'string',
        help: "lm (Leimkuhler–Matthews) or em (Euler–Maruyama) (default: the model's)",
        choices: ['lm', 'em'],
      },
      { name: 'step-scale', type: 'number', help: "Langevin step α = step-scale·σ² (default: the model's)" },
      {
        name: 'sampler-kernel',
        type: 'string',
        help: 'auto (the faster on this adapter, measured once and remembered) | layers (3 matmuls + update per step) | fused (a whole level per dispatch, network in workgroup memory)',
        default: 'auto',
        choices: [...SAMPLER_KERNELS],
      },
      {
        name: 'compose',
        type: 'string',
        help: "how a set of several targets is sampled: embedding (its embeddings summed, LCD's own) | experts (the product of its singles' laws over the control's: an additive composition in the model's latent space)",
        default: 'embedding',
        choices: [...SAMPLER_COMPOSE],
      },
      {
        name: 'output',
        type: 'string',
        help: 'normalized (log1p CP10k, what evaluate reads) | counts | latent (models with a measurement model)',
        default: 'normalized',
        choices: ['normalized', 'counts', 'latent'],
      },
      { name: 'out', type: 'string', help: 'output file (default <run>/predictions.h5ad)' },
      { name: 'force', type: 'boolean', help: 'overwrite an existing output file', default: false },
      { name: 'seed', type: 'number', help: 'seed of the Langevin noise', default: 0 },
      {
        name: 'queue',
        type: 'string',
        help: 'redis://[user:password@]host:port[/db]: sample the batches of perturbations on the workers serving it (lcd-webgpu worker); --run must be on storage every worker reaches, at the same path',
      },
      {
        name: 'ensemble',
        type: 'string',
        help: "other run folders (comma-separated) fitted on the same data, e.g. with other --seed: each model samples an equal share of every perturbation's cells, and the file holds their mixture",
      },
    ],
    async run(o) {
      const perturbations = o.perturbations?.split(',').map((s) =>
        s
          .split('+')
          .map((t) => t.trim())
          .filter(Boolean),
      );
      const out = o.out || runPaths(o.run).predictions(o.output);
      // Only a queued predict waits on something a signal should stop (the workers' jobs); a local one is left alone.
      const stop = o.queue ? interruptOnSignals(printNote) : null;
      assertNotLocked(o.run, 'predict'); // before a device is made: a refusal costs no adapter
      const p = await withEngine((e) =>
        predictRun(new WebGPUBackend(e), {
          log: printLine,
          progress: (label, total) => new ProgressBar(label, total),
          run: o.run,
          engine: e,
          stepsPerLevel: o.stepsPerLevel,
          lastLevel: o.lastLevel,
          integrator: o.integrator,
          stepScale: o.stepScale,
          samplerKernel: o.samplerKernel as SamplerKernel,
          compose: o.compose as SamplerCompose,
          output: o.output,
          perturbations,
          cells: o.cells,
          seed: o.seed,
          out,
          force: o.force,
          ensemble: o.ensemble
            ?.split(',')
            .map((r) => r.trim())
            .filter(Boolean),
          ...(o.queue ? { queue: o.queue, signal: stop?.signal } : {}),
        }),
      ).finally(() => stop?.release());
      return { predictions: out, perturbations: p.names, cells: o.cells, output: o.output };
    },
  }),
  evaluate: defineCommand({
    summary:
      "metrics of LCD and the baselines (control, perturbed, additive/SALT, PEPER) on a run's test perturbations (--run), or of any predictions h5ad against any truth h5ad (--truth --predictions)",
    options: [
      { name: 'run', type: 'string', help: 'run folder (with predictions.h5ad from predict)' },
      {
        name: 'predictions',
        type: 'string',
        help: "predictions h5ad (default <run>/predictions.h5ad); with --truth, any tool's predictions with the same condition column",
      },
      {
        name: 'truth',
        type: 'string',
        help: 'truth h5ad to score --predictions against (genes matched by name; read with the options below)',
      },
      ...LOAD_OPTIONS,
      {
        name: 'prediction-values',
        type: 'string',
        help: 'what the predictions X holds (auto as --values)',
        default: 'auto',
        choices: ['auto', 'counts', 'log1p', 'latent'],
      },
      {
        name: 'perturbations',
        type: 'string',
        help: 'with --truth: only these conditions, comma-separated (default: every predicted condition in the truth)',
      },
      { name: 'name', type: 'string', help: "with --truth: the predictions' name in the tables", default: 'predicted' },
      {
        name: 'out',
        type: 'string',
        help: "output folder (default: with --truth, or --run and a predictions file other than the run's own, <predictions folder>/evaluation; else the run folder)",
      },
      ...baselineOptions(
        "comma-separated baselines (default with --truth: control,perturbed,additive, learnt from the truth's other conditions; with --queue: without peper)",
        'control,perturbed,additive,peper',
      ),
      {
        name: 'queue',
        type: 'string',
        help: "redis://[user:password@]host:port[/db]: score the run's test perturbations in chunks on the workers serving it (lcd-webgpu worker); --run must be on storage every worker reaches, at the same path",
      },
      { name: 'job-size', type: 'number', help: 'with --queue: test perturbations per queued job', default: 8 },
    ],
    async run(o, given) {
      if (o.queue && o.truth) throw new UsageError('--queue scores a run folder (--run), not --truth files');
      if (o.queue && given.has('baselines') && list(o.baselines).includes('peper'))
        throw new UsageError(
          '--queue scores the test perturbations on the workers, and PEPER is trained once, on one device: leave it out of --baselines, or evaluate without --queue',
        );
      if (o.truth) {
        if (o.run) throw new UsageError('evaluate takes --run <dir> or --truth <file> --predictions <file>, not both');
        if (!o.predictions) throw new UsageError('evaluate --truth needs --predictions <file.h5ad>');
        const truth = o.truth,
          predictions = o.predictions;
        const r = await withEngine((e) =>
          evaluateFiles(e, {
            log: printLine,
            truth,
            predictions,
            out: o.out || undefined,
            load: loadOptions(o),
            predictionValues: o.predictionValues,
            perturbations: o.perturbations ? list(o.perturbations).map((s) => s.trim()) : undefined,
            name: o.name,
            baselines: given.has('baselines') ? list(o.baselines) : undefined,
            peper: { steps: o.peperSteps },
            seed: o.seed,
            progress: (label, total) => new ProgressBar(label, total),
          }),
        );
        return evaluationResult(r);
      }
      if (!o.run) throw new UsageError('evaluate needs --run <dir>, or --truth <file> --predictions <file>');
      const fileOnly = (['perturbations', 'name', 'counts-from', 'filter', 'layer'] as const).filter((k) =>
        given.has(k),
      );
      if (fileOnly.length)
        throw new UsageError(
          `${fileOnly.map((k) => `--${k}`).join(', ')} apply with --truth only; a run folder records how its data were read`,
        );
      const run = o.run;
      // Only a queued evaluate waits on something a signal should stop (the workers' jobs).
      const stop = o.queue ? interruptOnSignals(printNote) : null;
      const r = await withEngine((e) =>
        evaluateRun(e, {
          ...(stop ? { signal: stop.signal } : {}),
          log: printLine,
          run,
          predictions: o.predictions || undefined,
          out: o.out || undefined,
          // queued: PEPER (trained once, on one device) is not among the default baselines
          baselines: list(o.baselines).filter((b) => !o.queue || given.has('baselines') || b !== 'peper'),
          peper: { steps: o.peperSteps },
          ...(o.queue ? { queue: o.queue, jobSize: o.jobSize } : {}),
          seed: o.seed,
          progress: (label, total) => new ProgressBar(label, total),
        }),
      ).finally(() => stop?.release());
      return evaluationResult(r);
    },
  }),
  benchmark: defineCommand({
    summary:
      'LCD against the baselines over folds and seeds of one screen (fit → predict → evaluate per fold): mean ± sd over runs, paired wins and a signed-rank test; rerun the same command to continue',
    options: [
      ...DATA_OPTIONS,
      {
        name: 'out',
        type: 'string',
        help: 'benchmark folder (one run folder per fold and seed inside)',
        required: 'dir',
      },
      { name: 'folds', type: 'string', help: 'comma-separated fold indices', default: '0,1,2' },
      { name: 'n-folds', type: 'number', help: 'folds the non-validation doubles are split into', default: 4 },
      { name: 'val-doubles', type: 'number', help: 'validation doubles held back from every fold', default: 0 },
      { name: 'seeds', type: 'string', help: 'comma-separated seeds (split order and model)', default: '0' },
      ...PREPARE_OPTIONS,
      ...MODEL_OPTIONS,
      { name: 'cells', type: 'number', help: 'predicted cells per test perturbation', default: 200 },
      ...baselineOptions('comma-separated baselines', 'control,perturbed,additive,peper').filter(
        (x) => x.name !== 'seed',
      ),
      {
        name: 'queue',
        type: 'string',
        help: 'redis://[user:password@]host:port[/db]: queue the runs for the workers serving it (lcd-webgpu worker) instead of running them here; --out and --data must be on storage every worker reaches, at the same path',
      },
    ],
    async run(o) {
      const ints = (flag: string, s: string) =>
        usage(() =>
          list(s).map((x) => {
            const v = Number(x);
            if (!Number.isInteger(v) || v < 0) throw new Error(`--${flag}: '${x}' is not a non-negative integer`);
            return v;
          }),
        );
      const stop = interruptOnSignals(printNote);
      return withEngine((e) =>
        benchmarkRun(e, {
          data: o.data,
          out: o.out,
          folds: ints('folds', o.folds),
          nFolds: o.nFolds,
          valDoubles: o.valDoubles,
          seeds: ints('seeds', o.seeds),
          load: loadOptions(o),
          qc: qcOptions(o),
          nGenes: o.genes,
          unmeasuredTargets: o.unmeasuredTargets,
          lcd: {
            steps: o.steps,
            hidden: o.hidden,
            stepsPerLevel: o.stepsPerLevel,
            integrator: o.integrator,
            stepScale: o.stepScale,
            batchSize: o.batch,
            envsPerBatch: o.envsPerBatch,
            learningRate: o.lr,
            weightDecay: o.weightDecay,
            ...(o.ema ? { emaDecay: o.ema } : {}),
            ...(o.lrFloor ? { learningRateFloor: o.lrFloor } : {}),
            ...trainLevelsOf(o),
          },
          measurement: o.measurement,
          prior: { steps: o.priorSteps, ...priorJoint(o) },
          cells: o.cells,
          baselines: list(o.baselines),
          peperSteps: o.peperSteps,
          ...(o.queue ? { queue: o.queue } : {}),
          signal: stop.signal,
          log: printLine,
          progress: (label, total) => new ProgressBar(label, total),
        }),
      )
        .catch((err: unknown) => {
          if (err instanceof InterruptedError)
            err.message += `\ncontinue with the same command: finished folds are read back, the interrupted fit resumes`;
          throw err;
        })
        .then((r) => ({ out: o.out, ...r }))
        .finally(stop.release);
    },
  }),
  worker: defineCommand({
    summary:
      "serve a job queue on Redis: take queued jobs (fit, predict, evaluate, benchmark and clipr-benchmark with --queue) one at a time on this machine's device until stopped (SIGINT/SIGTERM: the running fit writes its checkpoint and another worker resumes it)",
    options: [
      {
        name: 'queue',
        type: 'string',
        help: 'redis://[user:password@]host:port[/db] of the queue to serve',
        required: 'redis URL',
      },
      {
        name: 'lock-seconds',
        type: 'number',
        help: "a job's lock lifetime: a worker that stops renewing it (killed, frozen) loses the job to another worker after about this long",
        default: 30,
      },
      { name: 'max-jobs', type: 'number', help: 'stop after this many jobs (default: serve until stopped)' },
      {
        name: 'store',
        type: 'string',
        help: 'the shared folder this worker reads and writes under; jobs whose folders or files lie outside it are refused (default: the working directory)',
      },
      {
        name: 'seed',
        type: 'number',
        help: 'unused (each job carries its own seed); accepted for uniformity',
        default: 0,
      },
    ],
    async run(o) {
      const { serveQueue } = await import('../jobs/queue/worker.ts');
      const stop = interruptOnSignals(printNote);
      return withEngine((e) =>
        serveQueue(e, {
          queue: o.queue,
          lockSeconds: o.lockSeconds,
          ...(o.maxJobs !== undefined ? { maxJobs: o.maxJobs } : {}),
          ...(o.store ? { store: o.store } : {}),
          signal: stop.signal,
          log: printNote,
        }),
      )
        .then((r) => ({ queue: redactedUrl(o.queue), ...r }))
        .finally(stop.release);
    },
  }),
  gi: defineCommand({
    summary:
      'genetic-interaction scores and types (synergy, suppression, additive, epistasis, neomorphism, redundancy) of the test doubles, observed and predicted',
    options: [
      {
        name: 'run',
        type: 'string',
        help: 'run folder (predictions.h5ad from predict is used when present); output in <run>/gi/',
        required: 'run dir',
      },
      {
        name: 'thresholds',
        type: 'string',
        help: 'JSON file of type thresholds, e.g. {"synergy": {"min": 1.6}} (defaults: src/metrics/gi.ts)',
      },
      ...baselineOptions('comma-separated baselines to score beside LCD (additive, peper)', 'additive'),
    ],
    async run(o) {
      const r = await withEngine((e) =>
        giRun(e, {
          log: printLine,
          run: o.run,
          thresholds: o.thresholds || undefined,
          baselines: list(o.baselines),
          peperSteps: o.peperSteps,
          seed: o.seed,
        }),
      );
      return { out: runPaths(o.run).gi, ...r };
    },
  }),
  modules: defineCommand({
    summary:
      "gene modules of the run's causal matrix (clustered heatmap order), their enrichment in your gene sets, and the implication test on held-out singles",
    options: [
      {
        name: 'run',
        type: 'string',
        help: 'run folder with a causal matrix (clipr --run); output in <run>/modules/',
        required: 'run dir',
      },
      { name: 'out', type: 'string', help: 'output folder (default <run>/modules)' },
      { name: 'force', type: 'boolean', help: 'overwrite a non-empty output folder', default: false },
      { name: 'causal', type: 'string', help: 'causal_matrix.json to read (default <run>/clipr/causal_matrix.json)' },
      {
        name: 'gene-sets',
        type: 'string',
        help: 'comma-separated GMT files to test each module against (e.g. MSigDB c5.go.bp and c2.cp); nothing is downloaded',
      },
      {
        name: 'cut-height',
        type: 'number',
        help: `cut the dendrogram at this distance (the reference uses ${REFERENCE_CUT_HEIGHT} on its matrices' scale); default: the cut with the largest mean silhouette`,
      },
      { name: 'min-size', type: 'number', help: 'smallest module (genes)', default: DEFAULT_MIN_MODULE_SIZE },
      {
        name: 'place',
        type: 'string',
        help: "genes the cut leaves outside every module: 'nearest' joins each to the module nearest on mean distance (marked joined_by=nearest in modules.csv), 'none' leaves them in no module",
        default: DEFAULT_PLACEMENT,
        choices: ['nearest', 'none'],
      },
      { name: 'fdr', type: 'number', help: 'FDR at which a term counts as enriched', default: DEFAULT_ENRICHMENT_FDR },
      {
        name: 'quantiles',
        type: 'string',
        help: 'quantiles of |effect| that call a predicted effect in the implication test',
        default: '0.5,0.75,0.9,0.95',
      },
      { name: 'seed', type: 'number', help: "seed of the implication test's bootstrap", default: 0 },
    ],
    async run(o) {
      const quantiles = usage(() =>
        list(o.quantiles).map((x) => {
          const v = Number(x);
          if (!(v >= 0 && v < 1)) throw new Error(`--quantiles: '${x}' is not a number in [0, 1)`);
          return v;
        }),
      );
      const r = await modulesRun({
        run: o.run,
        out: o.out || undefined,
        force: o.force,
        causal: o.causal || undefined,
        geneSets: o.geneSets ? list(o.geneSets) : [],
        cutHeight: o.cutHeight,
        minSize: o.minSize,
        place: o.place,
        fdr: o.fdr,
        quantiles,
        seed: o.seed,
        log: printLine,
      });
      const m = r.analysis.modules;
      return {
        out: r.out,
        files: r.files,
        modules: Math.max(0, ...Array.from(m.labels)) + 1,
        cut_height: m.cutHeight,
        placed_nearest: Array.from(m.placed).filter(Boolean).length,
        silhouette: m.silhouette,
        enriched_terms: r.analysis.enrichment.filter((x) => x.fdr <= r.analysis.fdr).length,
        implication: r.implication
          ? { testable: r.implication.testable, note: r.implication.note, rows: r.implication.rows }
          : null,
      };
    },
  }),
  report: defineCommand({
    summary:
      'write <run>/report.html: metrics against baselines, loss curves, mean shifts, causal matrix, interactions',
    options: [
      { name: 'run', type: 'string', help: 'run folder', required: 'run dir' },
      { name: 'out', type: 'string', help: 'output file (default <run>/report.html)' },
      {
        name: 'seed',
        type: 'number',
        help: 'unused (the report draws nothing at random); accepted for uniformity',
        default: 0,
      },
    ],
    async run(o) {
      const stale = await staleOutputs(o.run);
      const report = await writeReport(o.run, o.out || undefined, stale);
      for (const st of stale)
        printLine(
          `warning: ${st.file} was made by model ${st.recorded}, not the current ${st.current}; the report flags it (redo: ${st.redo})`,
        );
      printLine(`wrote ${report}`);
      return { report, stale_outputs: stale };
    },
  }),
};
