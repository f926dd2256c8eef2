// The CLIPR benchmark: causal structure read from trained LCDs against what needs no training, on two kinds of screen
// with a known truth, over seeds and two training budgets.
//   linear   the spec's linear-SDE screens (§7.3, Fig. 3) on ER / scale-free-outgoing graphs, LCD on the states
//   grn      the directed gene-network screens (sim/grn.ts, `simulate --kind grn --counts`): Hill kinetics, counts,
//            16 perturbed regulators, fitted like `fit --split seen2 --hidden 128` (measurement model on the counts)
//   cascade  the layered CRISPRi gene networks (`simulate --kind cascade --counts`): 24 knock-downs in chains of six
//            with feed-forward loops, a confounding program, per-cell efficiency, NB counts; fitted the same way
// Readings per screen: the mean-shift matrix (DE: each perturbation's shift, signed by its target's own shift), the
// response reading on the data's sample means (no training), the empirical-Gaussian drift reading (sample means and
// pooled covariance as the score), the exact-score oracle where one exists (linear), and per trained LCD the response
// reading (the default, on sample means), the response reading on the flow's fixed points, the direct effects of the
// model's linear response (small scaled embeddings, common random numbers), the drift reading at level 19 and the
// reference's (level 29, origin). Metrics: OVO-AUROC, Pearson and AUPRC on the perturbed × perturbed block and on
// perturbed → all genes, and the indirect-pair false-positive rate on the block (metrics/causal.ts).
// Trained models are kept under <out>/models and reused, so an interrupted benchmark continues where it stopped.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../gpu/engine.ts';
import { WebGPUBackend } from '../ops/webgpu-backend.ts';
import { linearScreen } from '../sim/linear.ts';
import type { GraphKind } from '../sim/graphs.ts';
import { LCD, type LcdHyperparameters } from '../lcd/model.ts';
import { MODEL_FILES } from '../lcd/io.ts';
import {
  cliprFromLcd,
  cliprQueryGenes,
  DEFAULT_DRIFT_LEVEL,
  linearResponseStates,
  readsLinearInstead,
} from '../clipr/from-lcd.ts';
import { clipr, cliprByResponses, cliprFromPoints } from '../clipr/clipr.ts';
import { EmpiricalGaussianModel, GaussianScoreOracle, LcdDriftModel, type DriftModel } from '../clipr/drift-models.ts';
import {
  blockEntries,
  causalMetricsOf,
  indirectFalsePositiveRate,
  indirectPairs,
  type CausalMetrics,
} from '../metrics/causal.ts';
import { pooledCovariance } from '../stats/covariance.ts';
import { signedResponses, type ResponseReadingResult } from '../clipr/responses.ts';
import { dataShiftGate } from '../clipr/data-gate.ts';
import type { Screen } from '../data/dataset.ts';
import { writeFileAtomic } from '../node/atomic.ts';
import { folderStore } from '../node/folder-store.ts';
import { formatDuration } from '../core/format.ts';
import { REFERENCE_SAMPLER, CLIPR_FLOW_STEPS_PER_LEVEL } from '../lcd/sampler-settings.ts';
import { N_LEVELS } from '../lcd/schedule.ts';
import { simulate } from './simulate.ts';
import { fitRun } from './fit-run.ts';
import { cliprBenchmarkPaths, RunFolder, runPaths, simulationPaths } from './run-folder.ts';
import { jobLog, jobPayload, type JobContext } from './job-context.ts';
import { queueConnection, redactedUrl } from './queue/connection.ts';
import type { QueuedPiece } from './queue/submit.ts';
import type { GpuTensor } from '../gpu/tensor.ts';
import type { PriorOptions } from '../measurement/prior.ts';
import { meanSd } from '../stats/summary.ts';

export interface GridPoint {
  graph: GraphKind;
  d: number;
  p: number;
}

export const FULL_GRID: GridPoint[] = [
  ...(['er', 'sfo'] as const).flatMap((graph) => [30, 50, 70, 100].map((p) => ({ graph, d: 100, p }))),
  { graph: 'er', d: 300, p: 300 },
];
export const QUICK_GRID: GridPoint[] = [
  { graph: 'er', d: 30, p: 30 },
  { graph: 'sfo', d: 30, p: 30 },
];

/** 'er:100:30,sfo:100:100' → grid points (graph:d:p); a usage-style error names the bad entry. */
export function parseGridPoints(spec: string): GridPoint[] {
  return spec
    .split(',')
    .filter(Boolean)
    .map((item) => {
      const [graph, d, p] = item.split(':');
      const dn = Number(d),
        pn = Number(p);
      if ((graph !== 'er' && graph !== 'sfo') || !Number.isInteger(dn) || !Number.isInteger(pn) || pn < 1 || pn > dn)
        throw new Error(`grid point '${item}': expected graph:d:p with graph er or sfo and 1 ≤ p ≤ d, e.g. er:100:30`);
      return { graph, d: dn, p: pn };
    });
}

/** Reference λ per d (spec §6.1): 1e-3 at d = 100, 3e-4 at d = 300, 1e-4 at d = 1000. */
export const lambdaFor = (d: number) => (d <= 100 ? 1e-3 : d <= 300 ? 3e-4 : 1e-4);

/** The readings of a trained LCD: the default ('auto': the response reading of the sampled means when they pass the
 *  criterion, else the linear response's direct effects), the response reading of the sample means, the same on the
 *  flow's fixed points, the linear response's direct effects gated by the screen's cells (clipr/data-gate.ts) and the
 *  same without the gate, and two drift readings. */
export const LCD_READINGS = [
  'auto',
  'response',
  'response-flow',
  'linear-direct',
  'linear-ungated',
  `drift-level${DEFAULT_DRIFT_LEVEL}`,
  'reference',
] as const;
export type LcdReading = (typeof LCD_READINGS)[number];
/** Readings that need no training. */
export const DATA_READINGS = ['de', 'data-response', 'data-direct', 'empirical-gaussian', 'score-oracle'] as const;

/** OVO-AUROC, Pearson, AUPRC and the indirect-pair false-positive rate (NaN where the block has no indirect pair). */
export type BlockMetrics = Omit<CausalMetrics, 'f1'> & { indirectFpr: number };
export interface ReadingResult {
  /** perturbed × perturbed, and perturbed → all genes (the same block when every gene is perturbed) */
  block: BlockMetrics;
  all: BlockMetrics;
  /** Response reading: which effects it returned and its held-out R² criterion. */
  effects?: 'direct' | 'total';
  heldOutR2?: number;
}
export type ScreenKind = 'linear' | 'grn' | 'cascade';
export interface ScreenResult {
  screen: string;
  kind: ScreenKind;
  seed: number;
  d: number;
  perturbed: number;
  /** Readings without training (DE, data responses, empirical Gaussian, oracle). */
  data: Record<string, ReadingResult>;
  /** Per training budget (steps): the LCD readings and the training time. */
  lcd: { steps: number; trainS: number; readings: Record<string, ReadingResult> }[];
}

export interface CliprBenchmarkOptions extends JobContext {
  grid: GridPoint[];
  linearSeeds: number[];
  grnSeeds: number[];
  /** Seeds of the cascade family (layered CRISPRi networks); fitted with grnSteps like the gene networks. */
  cascadeSeeds?: number[];
  /** The LCD readings to compute (default: all of LCD_READINGS); the flow and drift readings are the slow ones. */
  lcdReadings?: readonly LcdReading[];
  /** Linear screens' LCD hyperparameters (steps = the first budget). */
  lcd: Partial<LcdHyperparameters>;
  grnSteps: number;
  /** Also train every screen with twice the steps. */
  double: boolean;
  outDir: string;
  /** redis://… : the fits (gene networks and linear screens) go to the workers serving this queue (lcd-webgpu worker). */
  queue?: string;
  /** The gene-network fits' measurement model (default: the library's settings). */
  prior?: Partial<PriorOptions>;
}

/** One gene-network fit of the benchmark: plain data, so that a queue can carry it to a worker. */
export interface NetworkFit {
  /** The simulated screen (screen.h5ad) and the run folder to fit into. */
  screen: string;
  out: string;
  seed: number;
  steps: number;
  /** The measurement model's settings (default: the library's). */
  prior?: Partial<PriorOptions>;
  /** Noise levels DSM trains (default: the library's, the sampler's levels). */
  trainLevels?: number;
}

/** The fit every gene-network screen gets (seen2 split, H = 128, the measurement model on the counts), the same
 *  whether the benchmark runs it or a queue worker does. */
export async function runNetworkFit(engine: Engine, f: NetworkFit, ctx: JobContext): Promise<void> {
  await fitRun(new WebGPUBackend(engine), {
    data: f.screen,
    out: f.out,
    force: true,
    seed: f.seed,
    split: { mode: 'seen2' },
    lcd: { steps: f.steps, hidden: 128, ...(f.trainLevels !== undefined ? { trainLevels: f.trainLevels } : {}) },
    ...(f.prior ? { prior: f.prior } : {}),
    log: ctx.log,
    progress: ctx.progress,
    signal: ctx.signal,
    engine,
  });
}

/** One linear-screen fit of the benchmark: the screen is simulated again from its grid point and seed wherever
 *  the fit runs (it is a pure function of them), so the payload carries no data. */
export interface LinearFit extends GridPoint {
  seed: number;
  steps: number;
  /** The linear screens' LCD hyperparameters (CliprBenchmarkOptions.lcd). */
  lcd: Partial<LcdHyperparameters>;
  /** The model folder to write. */
  out: string;
}

const linearSim = (f: GridPoint & { seed: number }) =>
  linearScreen({ d: f.d, perturbed: f.p, graph: f.graph, cellsPerEnv: 200, seed: f.seed });

/** A linear screen's LCD trained and saved into `out`: what the benchmark does here, and what a queue worker runs
 *  (a 'linear-fit' job, which frees the model after). */
async function fitLinear(B: WebGPUBackend, f: LinearFit, ctx: JobContext = {}): Promise<LCD<GpuTensor>> {
  const lcd = await new LCD<GpuTensor>({ ...f.lcd, steps: f.steps, seed: f.seed }).fit(linearSim(f).screen, {
    backend: B,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  mkdirSync(f.out, { recursive: true });
  await lcd.save(folderStore(f.out));
  return lcd;
}

export async function runLinearFit(engine: Engine, f: LinearFit, ctx: JobContext): Promise<void> {
  (await fitLinear(new WebGPUBackend(engine), f, ctx)).dispose();
}

/** A screen with its truth: sign classes and effect sizes (regulator rows × all genes), perturbed genes. */
interface TruthScreen {
  name: string;
  kind: ScreenKind;
  seed: number;
  screen: Screen; // in the state space LCD models (linear states; log1p of the counts for grn)
  d: number;
  perturbed: number[];
  /** d×d, row = source gene; rows of unperturbed genes unused. */
  classes: Float64Array;
  values: Float64Array;
  /** 0/1 d×d: indirect pairs of the true graph (a path of length ≥ 2, no edge). */
  indirect: Uint8Array;
  oracle?: DriftModel;
  /** The trained LCD for a budget (trained or loaded from the cache). */
  lcd(steps: number): Promise<{ lcd: LCD; trainS: number }>;
}

export async function runCliprBenchmark(engine: Engine, o: CliprBenchmarkOptions): Promise<ScreenResult[]> {
  const log = jobLog(o);
  if (o.queue) queueConnection(o.queue); // a malformed URL is refused before anything is written
  const B = new WebGPUBackend(engine);
  const results: ScreenResult[] = [];
  const save = () =>
    writeFileAtomic(
      cliprBenchmarkPaths(o.outDir).json,
      JSON.stringify(
        {
          options: { ...jobPayload(o), queue: o.queue && redactedUrl(o.queue) },
          results,
          summary: summarize(results),
        },
        null,
        1,
      ),
    );
  mkdirSync(o.outDir, { recursive: true });
  if (o.queue) await queueFits(B, o, log);
  const screens: (() => Promise<TruthScreen>)[] = [
    ...o.grnSeeds.map((seed) => () => grnTruthScreen(B, o, 'grn', seed, log)),
    ...(o.cascadeSeeds ?? []).map((seed) => () => grnTruthScreen(B, o, 'cascade', seed, log)),
    ...o.linearSeeds.flatMap((seed) => o.grid.map((pt) => async () => linearTruthScreen(B, o, pt, seed))),
  ];
  for (const make of screens) {
    const s = await make();
    const r: ScreenResult = {
      screen: s.name,
      kind: s.kind,
      seed: s.seed,
      d: s.d,
      perturbed: s.perturbed.length,
      data: await dataReadings(s),
      lcd: [],
    };
    const budgets = s.kind === 'linear' ? [o.lcd.steps ?? 3000] : [o.grnSteps];
    if (o.double) budgets.push(budgets[0]! * 2);
    for (const steps of budgets) {
      const { lcd, trainS } = await s.lcd(steps);
      r.lcd.push({ steps, trainS, readings: await lcdReadings(s, lcd, o.lcdReadings ?? LCD_READINGS, log) });
    }
    results.push(r);
    for (const line of screenTable(r)) log(line);
    save();
  }
  for (const line of summaryTable(summarize(results))) log(line);
  return results;
}

function metricsFor(s: TruthScreen, aCausal: Float64Array): { block: BlockMetrics; all: BlockMetrics } {
  const all = Array.from({ length: s.d }, (_, i) => i);
  const at = (cols: number[]) => {
    const classes = blockEntries(s.classes, s.d, s.perturbed, cols),
      pred = blockEntries(aCausal, s.d, s.perturbed, cols);
    return {
      ...causalMetricsOf(classes, blockEntries(s.values, s.d, s.perturbed, cols), pred),
      indirectFpr: indirectFalsePositiveRate(classes, blockEntries(s.indirect, s.d, s.perturbed, cols), pred),
    };
  };
  return { block: at(s.perturbed), all: at(all) };
}

async function dataReadings(s: TruthScreen): Promise<Record<string, ReadingResult>> {
  const d = s.d;
  const byTarget = new Map(s.screen.envs.filter((e) => e.targets.length === 1).map((e) => [e.targets[0]!, e]));
  const singles = s.perturbed.map((g) => byTarget.get(s.screen.genes[g]!)!);
  const { means, cov } = pooledCovariance([s.screen.envs[0]!, ...singles], d);
  const ctrl = means[0]!;
  const meanOf = new Map(s.perturbed.map((g, q) => [g, means[q + 1]!]));
  // DE: a_causal[j][i] = shift of i under perturbing j, signed by j's own shift
  const de = signedResponses(means, s.perturbed, d);
  const empirical = new EmpiricalGaussianModel(d, ctrl, meanOf, cov);
  const out: Record<string, ReadingResult> = { de: metricsFor(s, de) };
  const dataResp = await cliprByResponses(empirical, s.perturbed);
  out['data-response'] = {
    ...metricsFor(s, dataResp.aCausal),
    effects: dataResp.reading.effects,
    heldOutR2: dataResp.reading.heldOutR2,
  };
  // The same inversion forced to direct effects (what the criterion declines on nonlinear screens).
  const dataDirect = cliprFromPoints(dataResp.responses.fixedPoints, s.perturbed, d, { effects: 'direct' });
  out['data-direct'] = {
    ...metricsFor(s, dataDirect.aCausal),
    effects: 'direct',
    heldOutR2: dataDirect.reading.heldOutR2,
  };
  out['empirical-gaussian'] = metricsFor(s, (await clipr(empirical, s.perturbed, { lambda: lambdaFor(d) })).aCausal);
  if (s.oracle)
    out['score-oracle'] = metricsFor(s, (await clipr(s.oracle, s.perturbed, { lambda: lambdaFor(d) })).aCausal);
  return out;
}

async function lcdReadings(
  s: TruthScreen,
  lcd: LCD,
  which: readonly LcdReading[],
  log: (line: string) => void,
): Promise<Record<string, ReadingResult>> {
  const { genes } = cliprQueryGenes(lcd);
  // The LCD's panel is the screen's genes in the same order (both benchmark screens keep every gene).
  if (genes.join() !== s.perturbed.join())
    throw new Error(`clipr-benchmark: the model's perturbed genes differ from the screen's (${s.name})`);
  const base = new LcdDriftModel(lcd, CLIPR_FLOW_STEPS_PER_LEVEL); // fixed points once, shared by every reading
  const byResponses = (r: { aCausal: Float64Array; reading?: ResponseReadingResult }): ReadingResult => ({
    ...metricsFor(s, r.aCausal),
    effects: r.reading!.effects,
    heldOutR2: r.reading!.heldOutR2,
  });
  const lambda = lambdaFor(s.d);
  // the means' and the linear response's readings once each: 'auto' is one of the two (the same states, seed 0)
  const once = <R>(f: () => Promise<R>) => {
    let p: Promise<R> | undefined;
    return () => (p ??= f());
  };
  const meansRead = once(() => cliprFromLcd(lcd, { points: 'means' }));
  const means = once(async () => byResponses(await meansRead()));
  const linearStates = once(() => linearResponseStates(lcd, genes));
  const linear = once(async () =>
    byResponses(
      cliprFromPoints(await linearStates(), genes, s.d, {
        effects: 'direct',
        gate: dataShiftGate(s.screen, lcd.genes, genes), // the screen's cells, as the model saw them
      }),
    ),
  );
  const ungated = once(async () =>
    byResponses(cliprFromPoints(await linearStates(), genes, s.d, { effects: 'direct' })),
  );
  const readings: Record<LcdReading, () => Promise<ReadingResult>> = {
    auto: async () =>
      readsLinearInstead((await meansRead()).reading!)
        ? { ...(await linear()), heldOutR2: (await means()).heldOutR2 }
        : means(),
    response: means,
    'response-flow': async () => byResponses(cliprFromPoints(await base.fixedPoints(genes), genes, s.d)),
    'linear-direct': linear,
    'linear-ungated': ungated,
    [`drift-level${DEFAULT_DRIFT_LEVEL}`]: async () =>
      metricsFor(s, (await clipr(base.withDrift(DEFAULT_DRIFT_LEVEL, 'origin'), genes, { lambda })).aCausal),
    reference: async () =>
      metricsFor(s, (await clipr(base.withDrift(REFERENCE_SAMPLER.lastLevel, 'origin'), genes, { lambda })).aCausal),
  } as Record<LcdReading, () => Promise<ReadingResult>>;
  // The drift readings read the network at one noise level, which the model must have trained (trainLevels).
  const driftLevel: Partial<Record<LcdReading, number>> = {
    [`drift-level${DEFAULT_DRIFT_LEVEL}`]: DEFAULT_DRIFT_LEVEL,
    reference: REFERENCE_SAMPLER.lastLevel,
  };
  const out: Record<string, ReadingResult> = {};
  for (const k of LCD_READINGS) {
    if (!which.includes(k)) continue;
    const level = driftLevel[k];
    if (level !== undefined && level >= lcd.hp.trainLevels) {
      log(
        `${s.name}: ${k} not read: it reads noise level ${level}, the model trained levels 0–${lcd.hp.trainLevels - 1} (fits with --train-levels ${N_LEVELS} train every level)`,
      );
      continue;
    }
    out[k] = await readings[k]();
  }
  return out;
}

function linearTruthScreen(B: WebGPUBackend, o: CliprBenchmarkOptions, pt: GridPoint, seed: number): TruthScreen {
  const { screen, params, perturbed } = linearSim({ ...pt, seed });
  const name = linearName(pt, seed);
  return {
    name,
    kind: 'linear',
    seed,
    screen,
    d: pt.d,
    perturbed,
    classes: params.aCausal,
    values: params.aCausal,
    indirect: indirectPairs(params.aCausal, pt.d),
    oracle: new GaussianScoreOracle(params),
    async lcd(steps) {
      const dir = cliprBenchmarkPaths(o.outDir).linearModel(name, steps);
      if (existsSync(join(dir, MODEL_FILES.config)))
        return { lcd: LCD.load(folderStore(dir), B) as unknown as LCD, trainS: NaN };
      const t0 = performance.now();
      const lcd = await fitLinear(B, linearFit(o, pt, seed, steps), { signal: o.signal });
      return { lcd: lcd as unknown as LCD, trainS: (performance.now() - t0) / 1e3 };
    },
  };
}

/** A gene-network fit of the benchmark, as run here or queued. */
const networkFit = (
  o: CliprBenchmarkOptions,
  screen: string,
  out: string,
  seed: number,
  steps: number,
): NetworkFit => ({
  screen,
  out,
  seed,
  steps,
  ...(o.prior ? { prior: o.prior } : {}),
  ...(o.lcd.trainLevels !== undefined ? { trainLevels: o.lcd.trainLevels } : {}),
});

/** A linear-screen fit of the benchmark, as run here or queued. */
const linearFit = (o: CliprBenchmarkOptions, pt: GridPoint, seed: number, steps: number): LinearFit => ({
  graph: pt.graph,
  d: pt.d,
  p: pt.p,
  seed,
  steps,
  lcd: o.lcd,
  out: cliprBenchmarkPaths(o.outDir).linearModel(linearName(pt, seed), steps),
});
const linearName = (pt: GridPoint, seed: number) => `${pt.graph}-${pt.d}-${pt.p}-s${seed}`;

/** The gene-network screen of a kind and seed, simulated into its folder unless it is there. */
async function simulateNetwork(
  B: WebGPUBackend,
  o: CliprBenchmarkOptions,
  kind: 'grn' | 'cascade',
  seed: number,
  log: (s: string) => void,
) {
  const dir = cliprBenchmarkPaths(o.outDir).networkScreen(kind, seed),
    sim = simulationPaths(dir);
  if (!existsSync(sim.truth)) {
    log(`simulating the ${kind === 'grn' ? 'gene-network' : 'cascade'} screen, seed ${seed} (counts)`);
    await simulate(B, { out: dir, force: true, kind, seed, counts: { unitScale: 1, zeroProb: 0 } });
  }
  return sim;
}

/** With a queue: every gene-network screen simulated here (seconds), then every fit not yet made (gene networks
 *  and linear screens) queued for the workers and waited for; the screens below then find their models (their
 *  training time is not known here). */
async function queueFits(B: WebGPUBackend, o: CliprBenchmarkOptions, log: (s: string) => void) {
  const layout = cliprBenchmarkPaths(o.outDir),
    budgets = o.double ? [o.grnSteps, 2 * o.grnSteps] : [o.grnSteps];
  const pieces: QueuedPiece[] = [];
  for (const [kind, seeds] of [
    ['grn', o.grnSeeds],
    ['cascade', o.cascadeSeeds ?? []],
  ] as const)
    for (const seed of seeds) {
      const sim = await simulateNetwork(B, o, kind, seed, log);
      for (const steps of budgets) {
        const out = layout.networkRun(kind, seed, steps);
        if (!existsSync(runPaths(out).modelConfig))
          pieces.push({
            kind: 'network-fit',
            label: `${kind} seed ${seed}, ${steps} steps`,
            payload: networkFit(o, sim.screen, out, seed, steps),
          });
      }
    }
  const first = o.lcd.steps ?? 3000,
    linearBudgets = o.double ? [first, 2 * first] : [first];
  for (const seed of o.linearSeeds)
    for (const pt of o.grid)
      for (const steps of linearBudgets) {
        const f = linearFit(o, pt, seed, steps);
        if (!existsSync(join(f.out, MODEL_FILES.config)))
          pieces.push({ kind: 'linear-fit', label: `${linearName(pt, seed)}, ${steps} steps`, payload: f });
      }
  if (!pieces.length) return;
  log(`${pieces.length} fit(s) to do, queued on ${redactedUrl(o.queue!)}`);
  const { runOnQueue } = await import('./queue/submit.ts'); // BullMQ is loaded by queued runs only
  await runOnQueue(o.queue!, pieces, o);
}

async function grnTruthScreen(
  B: WebGPUBackend,
  o: CliprBenchmarkOptions,
  kind: 'grn' | 'cascade',
  seed: number,
  log: (s: string) => void,
): Promise<TruthScreen> {
  const layout = cliprBenchmarkPaths(o.outDir),
    sim = await simulateNetwork(B, o, kind, seed, log);
  const truth = JSON.parse(readFileSync(sim.truth, 'utf8')) as {
    genes: string[];
    regulators: string[];
    adjacency: number[][];
    direct: number[][];
  };
  const fitDir = (steps: number) => layout.networkRun(kind, seed, steps);
  const fit = async (steps: number) => {
    const out = fitDir(steps);
    if (existsSync(runPaths(out).modelConfig)) return NaN;
    log(`fitting ${out} (${steps} steps, measurement model on the counts)`);
    const t0 = performance.now();
    await runNetworkFit(B.engine, networkFit(o, sim.screen, out, seed, steps), {
      progress: o.progress,
      signal: o.signal,
    });
    return (performance.now() - t0) / 1e3;
  };
  // The screen as LCD sees it: the first budget's run data (log1p CP10k of the counts, every gene kept).
  const firstTrainS = await fit(o.grnSteps);
  const screen = await RunFolder.open(fitDir(o.grnSteps), 'clipr-benchmark').readData();
  const d = screen.genes.length;
  const tIdx = new Map(truth.genes.map((g, i) => [g, i]));
  const col = new Map(screen.genes.map((g, i) => [g, i]));
  const classes = new Float64Array(d * d),
    values = new Float64Array(d * d);
  truth.regulators.forEach((r, ri) => {
    const i = col.get(r);
    if (i === undefined) return;
    screen.genes.forEach((g, j) => {
      classes[i * d + j] = truth.adjacency[ri]![tIdx.get(g)!]!;
      values[i * d + j] = truth.direct[ri]![tIdx.get(g)!]!;
    });
  });
  const singles = new Set(screen.envs.filter((e) => e.targets.length === 1).map((e) => e.targets[0]!));
  const perturbed = truth.regulators
    .filter((r) => singles.has(r) && col.has(r))
    .map((r) => col.get(r)!)
    .sort((a, b) => a - b);
  return {
    name: `${kind}-s${seed}`,
    kind,
    seed,
    screen,
    d,
    perturbed,
    classes,
    values,
    indirect: indirectPairs(classes, d),
    async lcd(steps) {
      const trainS = steps === o.grnSteps ? firstTrainS : await fit(steps);
      return { lcd: LCD.load(folderStore(runPaths(fitDir(steps)).model), B) as unknown as LCD, trainS };
    },
  };
}

export interface SummaryRow {
  kind: ScreenKind;
  screens: string;
  reading: string;
  /** Training budget (steps) for LCD readings; 0 for readings without training. */
  steps: number;
  n: number;
  blockAuroc: { mean: number; sd: number };
  allAuroc: { mean: number; sd: number };
  blockPearson: number;
  blockAuprc: number;
  /** Indirect-pair false-positive rate on the block, mean ± sd over the seeds that have indirect pairs. */
  indirectFpr: { mean: number; sd: number };
}

/** Mean ± sd over seeds per screen family (kind and grid point), reading and budget (budgets in order: 1×, 2×). */
export function summarize(results: ScreenResult[]): SummaryRow[] {
  const family = (r: ScreenResult) => r.screen.replace(/-s\d+$/, '');
  const rows: SummaryRow[] = [];
  for (const fam of [...new Set(results.map(family))]) {
    const rs = results.filter((r) => family(r) === fam);
    const add = (reading: string, steps: number, picks: ReadingResult[]) => {
      if (!picks.length) return;
      rows.push({
        kind: rs[0]!.kind,
        screens: fam,
        reading,
        steps,
        n: picks.length,
        blockAuroc: meanSd(picks.map((p) => p.block.auroc)),
        allAuroc: meanSd(picks.map((p) => p.all.auroc)),
        blockPearson: meanSd(picks.map((p) => p.block.pearson)).mean,
        blockAuprc: meanSd(picks.map((p) => p.block.auprc)).mean,
        indirectFpr: meanSd(picks.map((p) => p.block.indirectFpr).filter(Number.isFinite)),
      });
    };
    for (const reading of DATA_READINGS)
      add(
        reading,
        0,
        rs.flatMap((r) => (r.data[reading] ? [r.data[reading]!] : [])),
      );
    const budgets = rs[0]!.lcd.map((l) => l.steps);
    for (const reading of LCD_READINGS)
      for (const [b, steps] of budgets.entries())
        add(
          reading,
          steps,
          rs.flatMap((r) => (r.lcd[b]?.readings[reading] ? [r.lcd[b]!.readings[reading]!] : [])),
        );
  }
  return rows;
}

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '–');

function screenTable(r: ScreenResult): string[] {
  const head = `${r.screen} (d = ${r.d}, ${r.perturbed} perturbed): reading, OVO-AUROC block / all, Pearson, AUPRC, indirect-pair FPR (block)`;
  const line = (name: string, x: ReadingResult) =>
    `  ${name.padEnd(30)} ${f3(x.block.auroc)} / ${f3(x.all.auroc)}  ${f3(x.block.pearson).padStart(6)}  ${f3(x.block.auprc)}  ${f3(x.block.indirectFpr)}${x.effects ? `  (${x.effects} effects, held-out R² ${f3(x.heldOutR2!)})` : ''}`;
  return [
    head,
    ...Object.entries(r.data).map(([k, v]) => line(k, v)),
    ...r.lcd.flatMap((l) =>
      Object.entries(l.readings).map(([k, v], i) =>
        line(`LCD ${l.steps} steps: ${k}`, v).concat(
          i === 0 && Number.isFinite(l.trainS) ? `  [trained in ${formatDuration(l.trainS)}]` : '',
        ),
      ),
    ),
  ];
}

function summaryTable(rows: SummaryRow[]): string[] {
  return [
    'summary (mean ± sd over seeds): screens, reading, budget, OVO-AUROC block, OVO-AUROC perturbed → all, indirect-pair FPR (block)',
    ...rows.map(
      (r) =>
        `  ${r.screens.padEnd(14)} ${r.reading.padEnd(20)} ${(r.steps ? `${r.steps}` : '–').padStart(6)}  ${f3(r.blockAuroc.mean)} ± ${f3(r.blockAuroc.sd)}  ${f3(r.allAuroc.mean)} ± ${f3(r.allAuroc.sd)}  ${f3(r.indirectFpr.mean)} ± ${f3(r.indirectFpr.sd)}  (n = ${r.n})`,
    ),
  ];
}
