// The pipeline verbs of the command line: simulate → fit → predict → evaluate → (clipr, gi) → report, all working on
// a run folder (src/jobs/run-folder.ts). Each has --help, --seed and an output folder.
import { MEASURED_SAMPLER } from '../lcd/sampler-settings.ts';
import { join } from 'node:path';
import { Engine } from '../gpu/engine.ts';
import { WebGPUBackend } from '../ops/webgpu-backend.ts';
import { UsageError, choice, type Command, type OptionSpec } from './args.ts';
import { ProgressBar, formatDuration, printLine } from './progress.ts';
import { parseSplit } from '../data/splits.ts';
import { NORMAN_QC, NO_QC } from '../data/qc.ts';
import { fitRun } from '../jobs/fit-run.ts';
import { predictRun } from '../jobs/predict-run.ts';
import { evaluateRun } from '../jobs/evaluate-run.ts';
import { simulate } from '../jobs/simulate.ts';
import { writeReport } from '../report/report.ts';
import { giRun } from '../jobs/gi-run.ts';
import { LCD_DEFAULTS } from '../lcd/model.ts';
import { PRIOR_DEFAULTS } from '../measurement/prior.ts';
import type { LoadOptions } from '../jobs/run-folder.ts';

type Opts = Record<string, string | number | boolean>;
const need = (o: Opts, k: string, cmd: string, what: string): string => {
  if (!o[k]) throw new UsageError(`${cmd} needs --${k} <${what}>`);
  return String(o[k]);
};
const optStr = (o: Opts, k: string): string | undefined => (o[k] ? String(o[k]) : undefined);
const optNum = (o: Opts, k: string): number | undefined => (o[k] === undefined ? undefined : Number(o[k]));
const list = (o: Opts, k: string): string[] => String(o[k]).split(',').filter(Boolean);

async function withEngine<R>(f: (e: Engine) => Promise<R>): Promise<R> {
  const e = await Engine.create();
  try {
    return await f(e);
  } finally {
    e.destroy();
  }
}

const DATA_OPTIONS: OptionSpec[] = [
  { name: 'data', type: 'string', help: 'input AnnData (.h5ad): X dense/CSR/CSC, obs perturbation column' },
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
  },
];

/** The baseline options evaluate and gi share: which baselines, PEPER's budget, their seed. */
function baselineOptions(help: string, defaults: string): OptionSpec[] {
  return [
    { name: 'baselines', type: 'string', help, default: defaults },
    { name: 'peper-steps', type: 'number', help: 'PEPER training steps', default: 2000 },
    { name: 'seed', type: 'number', help: 'seed of the baselines', default: 0 },
  ];
}

function loadOptions(o: Opts): LoadOptions {
  let filter: LoadOptions['filter'];
  if (o.filter) {
    const [key, ...rest] = String(o.filter).split('=');
    if (!key || rest.length === 0) throw new UsageError(`--filter needs key=value, got '${o.filter}'`);
    filter = { key, value: rest.join('=') };
  }
  const values = choice(o, 'values', ['auto', 'counts', 'log1p', 'latent'] as const);
  return {
    perturbationKey: String(o['perturbation-key']),
    control: String(o.control),
    separator: String(o.separator),
    filter,
    layer: optStr(o, 'layer'),
    values,
  };
}

export const PIPELINE_COMMANDS: Record<string, Command> = {
  simulate: {
    summary:
      'write a synthetic screen with ground truth (screen.h5ad, truth.json): nonlinear or linear SDE, optionally as counts',
    options: [
      { name: 'out', type: 'string', help: 'output folder' },
      { name: 'force', type: 'boolean', help: 'overwrite a non-empty output folder', default: false },
      { name: 'seed', type: 'number', help: 'seed', default: 0 },
      { name: 'kind', type: 'string', help: 'nonlinear | linear', default: 'nonlinear' },
      { name: 'genes', type: 'number', help: 'number of genes d (default 24 nonlinear, 30 linear)' },
      { name: 'perturbed', type: 'number', help: 'number of perturbed genes (singles)' },
      { name: 'doubles', type: 'number', help: 'number of double perturbations' },
      { name: 'cells', type: 'number', help: 'cells per environment' },
      {
        name: 'counts',
        type: 'boolean',
        help: 'measure counts (zero-inflated Poisson) instead of writing latent states',
        default: false,
      },
      { name: 'unit-scale', type: 'number', help: 'Poisson rate scale u_g for --counts', default: 10 },
      { name: 'zero-prob', type: 'number', help: 'zero-inflation probability for --counts', default: 0.1 },
    ],
    async run(o) {
      const out = need(o, 'out', 'simulate', 'dir'),
        kind = choice(o, 'kind', ['nonlinear', 'linear'] as const);
      await withEngine(async (e) => {
        const s = await simulate(new WebGPUBackend(e), {
          out,
          force: Boolean(o.force),
          seed: Number(o.seed),
          kind,
          d: optNum(o, 'genes'),
          perturbed: optNum(o, 'perturbed'),
          doubles: optNum(o, 'doubles'),
          cells: optNum(o, 'cells'),
          counts: o.counts ? { unitScale: Number(o['unit-scale']), zeroProb: Number(o['zero-prob']) } : null,
        });
        console.log(
          `wrote ${join(out, 'screen.h5ad')} (${s.envs.length - 1} perturbations, ${s.genes.length} genes, ${s.kind}) and truth.json`,
        );
      });
    },
  },
  fit: {
    summary:
      'preprocess an h5ad (QC, normalisation, gene selection, markers), split it and train LCD into a run folder',
    options: [
      ...DATA_OPTIONS,
      { name: 'out', type: 'string', help: 'run folder' },
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
      { name: 'val-doubles', type: 'number', help: 'validation doubles held back from the folds', default: 20 },
      {
        name: 'qc',
        type: 'string',
        help: 'QC thresholds: norman (the reference: ≥200 cells/gene, 20–6000 genes, >7500 counts, <15 % MT, ≥100 cells/perturbation) or none (default: norman for counts, none for log1p)',
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
      },
      { name: 'steps', type: 'number', help: 'DSM training steps', default: LCD_DEFAULTS.steps },
      { name: 'hidden', type: 'number', help: 'hidden width of the score network', default: LCD_DEFAULTS.hidden },
      { name: 'batch', type: 'number', help: 'cells per training step', default: LCD_DEFAULTS.batchSize },
      {
        name: 'envs-per-batch',
        type: 'number',
        help: 'environments per training step (1 = the reference)',
        default: LCD_DEFAULTS.envsPerBatch,
      },
      { name: 'lr', type: 'number', help: 'peak learning rate', default: LCD_DEFAULTS.learningRate },
      { name: 'weight-decay', type: 'number', help: 'AdamW weight decay', default: LCD_DEFAULTS.weightDecay },
      {
        name: 'steps-per-level',
        type: 'number',
        help: 'Langevin steps per noise level when predicting',
        default: MEASURED_SAMPLER.stepsPerLevel,
      },
      {
        name: 'last-level',
        type: 'number',
        help: 'last noise level of the annealing (29 = σ 0.01)',
        default: MEASURED_SAMPLER.lastLevel,
      },
      { name: 'checkpoint-every', type: 'number', help: 'steps between checkpoints', default: 500 },
      {
        name: 'measurement',
        type: 'string',
        help: 'for counts: zip (the zero-inflated Poisson prior, stage 1) or none (LCD on CP10k-log1p)',
        default: 'zip',
      },
      { name: 'prior-steps', type: 'number', help: 'measurement-model training steps', default: PRIOR_DEFAULTS.steps },
      {
        name: 'mc-samples',
        type: 'number',
        help: 'Monte-Carlo states per measurement-model step (reference 20000)',
        default: PRIOR_DEFAULTS.mcSamples,
      },
    ],
    async run(o) {
      const out = need(o, 'out', 'fit', 'run dir');
      if (!o.resume) need(o, 'data', 'fit', 'file.h5ad');
      let qc =
        o.qc === undefined
          ? undefined
          : o.qc === 'norman'
            ? NORMAN_QC
            : o.qc === 'none'
              ? NO_QC
              : (() => {
                  throw new UsageError(`--qc must be norman or none (got '${o.qc}')`);
                })();
      if (o['min-cells-per-gene'] !== undefined)
        qc = { ...(qc ?? NO_QC), minCellsPerGene: Number(o['min-cells-per-gene']) };
      if (o['min-cells-per-perturbation'] !== undefined)
        qc = { ...(qc ?? NO_QC), minCellsPerPerturbation: Number(o['min-cells-per-perturbation']) };
      const um = choice(o, 'unmeasured-targets', ['error', 'drop', 'keep'] as const);
      const split = (() => {
        try {
          const s = parseSplit(String(o.split));
          return s.mode === 'seen2' ? s : { ...s, nVal: Number(o['val-doubles']) };
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
      })();
      const measurement = choice(o, 'measurement', ['zip', 'none'] as const);
      await withEngine(async (e) => {
        const bar = new ProgressBar('training', Number(o.steps)),
          priorBar = new ProgressBar('measurement model', Number(o['prior-steps']));
        const t0 = performance.now();
        await fitRun(new WebGPUBackend(e), {
          log: printLine,
          data: String(o.data ?? ''),
          out,
          force: Boolean(o.force),
          resume: Boolean(o.resume),
          seed: Number(o.seed),
          split,
          load: loadOptions(o),
          qc: qc ?? undefined,
          nGenes: Number(o.genes),
          unmeasuredTargets: um,
          checkpointEvery: Number(o['checkpoint-every']),
          lcd: {
            steps: Number(o.steps),
            hidden: Number(o.hidden),
            batchSize: Number(o.batch),
            envsPerBatch: Number(o['envs-per-batch']),
            learningRate: Number(o.lr),
            weightDecay: Number(o['weight-decay']),
            stepsPerLevel: Number(o['steps-per-level']),
            lastLevel: Number(o['last-level']),
          },
          onProgress: (p) => bar.update(p.step, `loss ${p.loss.toFixed(4)}`, p.etaS),
          measurement,
          prior: { steps: Number(o['prior-steps']), mcSamples: Number(o['mc-samples']) },
          onPriorProgress: (p) => priorBar.update(p.step, `loss ${p.loss.toFixed(3)}`, p.etaS),
        });
        bar.done(`done in ${formatDuration((performance.now() - t0) / 1e3)}`);
      });
    },
  },
  predict: {
    summary: "sample cells for the run's test perturbations (or --perturbations) into predictions.h5ad",
    options: [
      { name: 'run', type: 'string', help: 'run folder made by fit' },
      {
        name: 'perturbations',
        type: 'string',
        help: "comma-separated target sets, e.g. KLF1+MAP2K6,SET (default: the split's test perturbations)",
      },
      { name: 'cells', type: 'number', help: 'cells per perturbation', default: 200 },
      { name: 'steps-per-level', type: 'number', help: "Langevin steps per noise level (default: the model's)" },
      { name: 'last-level', type: 'number', help: "last noise level of the annealing (default: the model's)" },
      {
        name: 'output',
        type: 'string',
        help: 'normalized (log1p CP10k, what evaluate reads) | counts | latent (models with a measurement model)',
        default: 'normalized',
      },
      { name: 'out', type: 'string', help: 'output file (default <run>/predictions.h5ad)' },
      { name: 'force', type: 'boolean', help: 'overwrite an existing output file', default: false },
      { name: 'seed', type: 'number', help: 'seed of the Langevin noise', default: 0 },
    ],
    async run(o) {
      const run = need(o, 'run', 'predict', 'run dir');
      const perturbations = o.perturbations
        ? String(o.perturbations)
            .split(',')
            .map((s) =>
              s
                .split('+')
                .map((t) => t.trim())
                .filter(Boolean),
            )
        : undefined;
      const output = choice(o, 'output', ['normalized', 'counts', 'latent'] as const);
      await withEngine((e) =>
        predictRun(new WebGPUBackend(e), {
          log: printLine,
          run,
          engine: e,
          stepsPerLevel: optNum(o, 'steps-per-level'),
          lastLevel: optNum(o, 'last-level'),
          output,
          perturbations,
          cells: Number(o.cells),
          seed: Number(o.seed),
          out: optStr(o, 'out'),
          force: Boolean(o.force),
        }),
      );
    },
  },
  evaluate: {
    summary: 'metrics of LCD and the baselines (control, perturbed, additive/SALT, PEPER) on the test perturbations',
    options: [
      { name: 'run', type: 'string', help: 'run folder (with predictions.h5ad from predict)' },
      { name: 'predictions', type: 'string', help: 'predictions file (default <run>/predictions.h5ad)' },
      ...baselineOptions('comma-separated baselines', 'control,perturbed,additive,peper'),
    ],
    async run(o) {
      const run = need(o, 'run', 'evaluate', 'run dir');
      await withEngine((e) =>
        evaluateRun(e, {
          log: printLine,
          run,
          predictions: optStr(o, 'predictions'),
          baselines: list(o, 'baselines'),
          peper: { steps: Number(o['peper-steps']) },
          seed: Number(o.seed),
        }),
      );
    },
  },
  gi: {
    summary:
      'genetic-interaction scores and types (synergy, suppression, additive, epistasis, neomorphism, redundancy) of the test doubles, observed and predicted',
    options: [
      {
        name: 'run',
        type: 'string',
        help: 'run folder (predictions.h5ad from predict is used when present); output in <run>/gi/',
      },
      {
        name: 'thresholds',
        type: 'string',
        help: 'JSON file of type thresholds, e.g. {"synergy": {"min": 1.6}} (defaults: src/metrics/gi.ts)',
      },
      ...baselineOptions('comma-separated baselines to score beside LCD (additive, peper)', 'additive'),
    ],
    async run(o) {
      const run = need(o, 'run', 'gi', 'run dir');
      await withEngine((e) =>
        giRun(e, {
          log: printLine,
          run,
          thresholds: optStr(o, 'thresholds'),
          baselines: list(o, 'baselines'),
          peperSteps: Number(o['peper-steps']),
          seed: Number(o.seed),
        }),
      );
    },
  },
  report: {
    summary:
      'write <run>/report.html: metrics against baselines, loss curves, mean shifts, causal matrix, interactions',
    options: [
      { name: 'run', type: 'string', help: 'run folder' },
      { name: 'out', type: 'string', help: 'output file (default <run>/report.html)' },
      {
        name: 'seed',
        type: 'number',
        help: 'unused (the report draws nothing at random); accepted for uniformity',
        default: 0,
      },
    ],
    async run(o) {
      const run = need(o, 'run', 'report', 'run dir');
      console.log(`wrote ${await writeReport(run, optStr(o, 'out'))}`);
    },
  },
};
