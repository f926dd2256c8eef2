// The LCD estimator, scikit-learn style: hyperparameters in the constructor, fit(screen) returns the model,
// sample(targets, nCells, seed) draws cells for any target set, including combinations never seen in training.
import { etaSeconds } from '../core/format.ts';
import type { Backend, TensorLike } from '../ops/backend.ts';
import type { Screen } from '../data/dataset.ts';
import { validateScreen, geneMeans } from '../data/dataset.ts';
import { AdamW } from '../nn/adamw.ts';
import { WeightAverage } from '../nn/ema.ts';
import { trainLoop } from '../nn/train-loop.ts';
import { cosineSchedule } from '../gpu/kernels/schedules.ts';
import { TargetVocab } from './embedding.ts';
import { fitStandardization, standardize, unstandardize, type Standardization } from './standardize.ts';
import { ScoreNet, PARAM_NAMES, type ScoreNetShape, type ParamName } from './score-net.ts';
import { dsmStep, type TrainEnv } from './dsm.ts';
import {
  annealedSample,
  annealedSampleExperts,
  type SamplerCompose,
  type SamplerIntegrator,
  type SamplerKernel,
  type SamplerOptions,
} from './sampler.ts';
import { N_LEVELS, NoiseSchedule } from './schedule.ts';
import { songDrift } from './kernels/lcd-em-update.ts';
import { LIBRARY_SAMPLER, type SamplerSettings } from './sampler-settings.ts';
import { saveModel, loadCheckpoint, type SavedModel, type ValidationRecord } from './io.ts';
import { resolveHyperparameters, type LcdHyperparameters } from './hyperparameters.ts';
import type { FileStore } from '../io/file-store.ts';
import { InterruptedError, InputError } from '../core/errors.ts';

export { LCD_DEFAULTS, resolveHyperparameters, type LcdHyperparameters } from './hyperparameters.ts';

export interface Progress {
  step: number;
  steps: number;
  loss: number;
  elapsedS: number;
  etaS: number;
}

export interface FitOptions<T extends TensorLike> {
  backend: Backend<T>;
  onProgress?: (p: Progress) => void;
  /** Steps between progress reports (each costs one readback). */
  progressEvery?: number;
  /** Write a checkpoint (the saved-model files plus optimiser state) here every `checkpointEvery` steps; in Node
   *  `folderStore(dir)` writes each file atomically, so the checkpoint is always whole and resumable. */
  checkpoint?: FileStore;
  checkpointEvery?: number;
  /** Continue from `checkpoint` when it holds one (same data, hyperparameters and seed). */
  resume?: boolean;
  /** Where a resume reads the checkpoint, when not from `checkpoint` (e.g. the previous one, when the last is
   *  damaged); new checkpoints still go to `checkpoint`. */
  resumeFrom?: FileStore;
  /** Called before each checkpoint is written (e.g. to keep the previous one aside). */
  beforeCheckpoint?: () => void;
  /** Stop after this step (for tests of resume); the model is left as at that step. */
  stopAfter?: number;
  /** Stop at the next step boundary once aborted: a checkpoint is written (when `checkpoint` is set) and fit
   *  rejects with an InterruptedError naming the step. */
  signal?: AbortSignal;
  /** Early stopping: every `every` steps (and at the last) `score` rates the model as it stands (lower is better,
   *  e.g. the energy distance of predictions for held-out training doubles); the parameters of the best score are
   *  the fitted model. Checkpoints carry the best so far, so a resumed fit chooses as an uninterrupted one. */
  validation?: { every: number; score: (lcd: LCD<T>) => Promise<number> };
}

export interface SampleOptions {
  seed?: number;
  stepsPerLevel?: number;
  lastLevel?: number;
  integrator?: SamplerIntegrator;
  stepScale?: number;
  noise?: boolean;
  init?: 'normal' | 'zero';
  /** Which kernels run the sampler: 'auto' (measured per adapter; the default), 'layers' or 'fused'. */
  kernel?: SamplerKernel;
  /** How a set of several targets is sampled: 'embedding' (the sum of its embeddings; the reference) or 'experts'
   *  (the product of its singles' laws over the control's: sampler.ts, annealedSampleExperts). */
  compose?: SamplerCompose;
  /** Levels done of all levels (every chunk of environments runs every level), with an ETA from the rate so far. */
  onProgress?: (p: SampleProgress) => void;
}

/** The sampler's progress: levels done of all levels, and an ETA from the rate so far. */
export interface SampleProgress {
  done: number;
  total: number;
  etaS: number;
}

/** A level counter across sampler runs, reporting done/total and an ETA from the elapsed time. */
function levelProgress(total: number, report?: SampleOptions['onProgress']): (() => void) | undefined {
  if (!report) return undefined;
  const t0 = performance.now();
  let done = 0;
  return () => {
    done++;
    const elapsed = (performance.now() - t0) / 1e3;
    report({ done, total, etaS: etaSeconds(elapsed, done, total) });
  };
}

/** Tensors in PARAM_NAMES order as host arrays by name. */
async function arraysOf<T extends TensorLike>(
  B: Backend<T>,
  ts: readonly T[],
): Promise<Record<ParamName, Float32Array>> {
  const out = {} as Record<ParamName, Float32Array>;
  for (let i = 0; i < PARAM_NAMES.length; i++) out[PARAM_NAMES[i]!] = Float32Array.from(await B.toArray(ts[i]!));
  return out;
}

/** Per gene, the standard error of the mean of the paired differences x_c − y_c over n cells (row-major n×d). */
function pairedStandardErrors(x: Float32Array, y: Float32Array, n: number, d: number): Float64Array {
  const se = new Float64Array(d);
  const mean = new Float64Array(d);
  for (let c = 0; c < n; c++) for (let g = 0; g < d; g++) mean[g]! += (x[c * d + g]! - y[c * d + g]!) / n;
  for (let c = 0; c < n; c++) for (let g = 0; g < d; g++) se[g]! += (x[c * d + g]! - y[c * d + g]! - mean[g]!) ** 2;
  for (let g = 0; g < d; g++) se[g] = Math.sqrt(se[g]! / Math.max(n - 1, 1) / n);
  return se;
}

/** The hyperparameters resolved against the defaults and checked as a model needs them (the trained levels' count;
 *  the sampler's last level among them): what the constructor does, callable before any work (fit-run.ts). */
export function checkedHyperparameters(hp: Partial<LcdHyperparameters>): LcdHyperparameters {
  const r = resolveHyperparameters(hp);
  const t = r.trainLevels;
  if (!Number.isInteger(t) || t < 1 || t > N_LEVELS)
    throw new InputError(`LCD: trainLevels ${t} is not a number of noise levels 1–${N_LEVELS} (--train-levels)`);
  assertLevelTrained(r, r.lastLevel, 'the sampler (lastLevel)');
  const floor = r.learningRateFloor ?? 0;
  if (!(floor >= 0 && floor <= 1))
    throw new InputError(
      `LCD: learningRateFloor ${floor} is not a fraction of the peak learning rate in [0, 1] (--lr-floor)`,
    );
  return r;
}

/** The learning rate of step t (0-based) a fit uses: cosine from the peak to learningRateFloor × peak over the steps. */
export function learningRateSchedule(hp: LcdHyperparameters): (t: number) => number {
  return cosineSchedule(hp.learningRate, hp.steps, hp.learningRateFloor ?? 0);
}

function assertLevelTrained(hp: LcdHyperparameters, t: number, reader: string): void {
  const T = hp.trainLevels;
  if (t >= T)
    throw new InputError(
      `LCD: ${reader} reads noise level ${t}, but the model trained levels 0–${T - 1} (trainLevels ${T}); ` +
        `read at level ${T - 1} or below, or fit with --train-levels ${t + 1} or more (${N_LEVELS} trains every level, as the reference)`,
    );
}

export class LCD<T extends TensorLike = TensorLike> {
  readonly hp: LcdHyperparameters;
  // Fitted state, sealed: callers read it through the getters and methods below.
  private genes_: string[] = [];
  private vocab_: TargetVocab | null = null;
  private standardization_: Standardization | null = null;
  private net_: ScoreNet<T> | null = null;
  private step_ = 0;
  private losses_: { step: number; loss: number }[] = [];
  private validation_: ValidationRecord | undefined;
  /** The parameters of the best validation score so far (during a fit with a validation hook). */
  private best_: Record<ParamName, Float32Array> | null = null;
  private backend_: Backend<T> | null = null;

  /** The gene panel, in the model's order. */
  get genes(): readonly string[] {
    return this.genes_;
  }
  /** The perturbation targets seen in training (an unseen target gets the mean of their embeddings). */
  get targets(): readonly string[] {
    return this.vocab_?.names ?? [];
  }
  /** Training steps taken so far. */
  get step(): number {
    return this.step_;
  }
  /** The validation scores of an early-stopped fit and the step the model was taken at (undefined without). */
  get validation(): Readonly<ValidationRecord> | undefined {
    return this.validation_;
  }
  /** Mean DSM loss per progress interval, as { step, loss }. */
  get losses(): readonly { step: number; loss: number }[] {
    return this.losses_;
  }

  constructor(hp: Partial<LcdHyperparameters> = {}) {
    this.hp = checkedHyperparameters(hp);
  }

  /** A noise level the network was never trained at returns an untrained output: refuse to read it (a reader that
   *  will read level t later calls this first, before work that would be wasted). */
  assertTrainedLevel(t: number, reader: string): void {
    assertLevelTrained(this.hp, t, reader);
  }

  get shape(): ScoreNetShape {
    return {
      d: this.genes_.length,
      H: this.hp.hidden,
      De: this.hp.embedDim || this.hp.hidden,
      G: this.vocab_!.size,
      L: N_LEVELS,
    };
  }

  async fit(screen: Screen, opts: FitOptions<T>): Promise<this> {
    validateScreen(screen);
    if (screen.envs.length < 2)
      throw new Error('LCD.fit: the screen needs at least one perturbed environment besides the control');
    const B = (this.backend_ = opts.backend);
    this.genes_ = [...screen.genes];
    this.vocab_ = TargetVocab.fromTrainingTargets(screen.envs.map((e) => e.targets));
    this.standardization_ = fitStandardization(screen, this.hp.scaleFloor ?? 0);
    const d = this.genes_.length;
    const envs: TrainEnv[] = screen.envs.map((e) => ({
      values: standardize(e.values, this.standardization_!),
      cells: e.cells,
      weights: this.vocab_!.weights(e.targets),
    }));
    const hp = this.hp;
    this.net_ = ScoreNet.create(B, this.shape, hp.seed);
    const opt = new AdamW(B, this.net_.list(), {
      schedule: learningRateSchedule(hp),
      weightDecay: hp.weightDecay,
      packed: this.net_.packed,
    });
    if (hp.emaDecay && opts.validation)
      throw new Error('LCD.fit: a weight average (emaDecay) and early stopping (validation) cannot be combined yet');
    const ema = hp.emaDecay ? new WeightAverage(B, this.net_.list(), hp.emaDecay, this.net_.packed) : null;
    this.step_ = 0;
    this.losses_ = [];
    this.validation_ = opts.validation ? { scores: [], bestStep: 0 } : undefined;
    this.best_ = null;
    const resumeFrom = opts.resume ? (opts.resumeFrom ?? opts.checkpoint) : undefined;
    if (resumeFrom) {
      const ck = loadCheckpoint(resumeFrom);
      if (ck) this.restore(ck, opt, ema);
    }
    await trainLoop(B, {
      steps: hp.steps,
      from: this.step_,
      until: opts.stopAfter,
      step: (i, lossInto) => {
        const loss = dsmStep(
          B,
          this.net_!,
          opt,
          envs,
          hp.batchSize,
          hp.seed,
          i,
          hp.envsPerBatch,
          lossInto,
          hp.trainLevels,
        );
        ema?.update(i + 1);
        this.step_ = i + 1;
        return loss;
      },
      readback: { mode: 'interval-mean', every: opts.progressEvery ?? 100 },
      onLoss: (step, loss) => this.losses_.push({ step, loss }),
      onProgress: opts.onProgress,
      afterStep: async (done) => {
        const v = opts.validation;
        if (v && (done % v.every === 0 || done === hp.steps)) await this.validate(v.score, done);
        if (opts.checkpoint && opts.checkpointEvery && done % opts.checkpointEvery === 0)
          await this.writeCheckpoint(opts.checkpoint, opt, opts.beforeCheckpoint, ema);
      },
      signal: opts.signal,
    });
    const stoppedEarly = this.step_ < (opts.stopAfter ?? hp.steps);
    if (opts.signal?.aborted && stoppedEarly) {
      if (opts.checkpoint) await this.writeCheckpoint(opts.checkpoint, opt, opts.beforeCheckpoint, ema);
      opt.dispose();
      ema?.dispose();
      throw new InterruptedError(String(opts.signal.reason ?? 'aborted'), this.step_, opts.checkpoint?.label);
    }
    opt.dispose();
    // With a weight average, the model is the average (a stopAfter too: what a finished fit would save at that step).
    if (ema) {
      this.setParams(await arraysOf(B, ema.averages));
      ema.dispose();
    }
    // Early stopping: the model is the best-scoring parameters (a stopAfter leaves the model as at that step).
    if (this.best_ && this.validation_ && this.step_ === hp.steps && this.validation_.bestStep < this.step_)
      this.setParams(this.best_);
    this.best_ = null;
    return this;
  }

  /** Score the model as it stands after `done` steps; keep its parameters when the score is the best so far. */
  private async validate(score: (lcd: LCD<T>) => Promise<number>, done: number): Promise<void> {
    const r = this.validation_!;
    const s = await score(this);
    if (!Number.isFinite(s)) throw new Error(`LCD.fit: the validation score at step ${done} is not finite (${s})`);
    const best = r.scores.find((x) => x.step === r.bestStep);
    r.scores.push({ step: done, score: s });
    if (!best || s < best.score) {
      r.bestStep = done;
      this.best_ = await this.parameterArrays();
    }
  }

  private setParams(arrays: Record<ParamName, ArrayLike<number>>): void {
    this.net_!.setParams(arrays);
  }

  private requireFitted(): { B: Backend<T>; net: ScoreNet<T>; vocab: TargetVocab; st: Standardization } {
    if (!this.net_ || !this.backend_ || !this.vocab_ || !this.standardization_)
      throw new Error('LCD: call fit() (or LCD.load()) before sampling');
    return { B: this.backend_, net: this.net_, vocab: this.vocab_, st: this.standardization_ };
  }

  /** Environments per sampler batch for `nCells` cells each: one batch stays within ~64k rows. Batch c of a call
   *  holds sets [c·k, (c + 1)·k) and draws its noise from chunk c of the sampler's streams, so any batch can be
   *  sampled alone (`sampleBatch`, a queued predict's job) and gives the cells the whole call gives it. */
  static setsPerBatch(nCells: number): number {
    return Math.max(1, Math.floor(65536 / nCells));
  }

  /** Cells in state units (un-standardised) for each target set; sets are batched into sampler runs. */
  async sampleMany(
    targetSets: readonly (readonly string[])[],
    nCells: number,
    o: SampleOptions = {},
  ): Promise<Float32Array[]> {
    const perBatch = LCD.setsPerBatch(nCells),
      batches = Math.ceil(targetSets.length / perBatch);
    const onLevel = levelProgress(batches * ((o.lastLevel ?? this.hp.lastLevel) + 1), o.onProgress);
    const out: Float32Array[] = [];
    for (let c = 0; c < batches; c++)
      out.push(...(await this.sampleBatch(targetSets.slice(c * perBatch, (c + 1) * perBatch), nCells, c, o, onLevel)));
    return out;
  }

  /** Batch `batch` of `sampleMany` (its sets, at most `setsPerBatch(nCells)` of them): the same cells. */
  async sampleBatch(
    targetSets: readonly (readonly string[])[],
    nCells: number,
    batch: number,
    o: SampleOptions = {},
    onLevel = levelProgress((o.lastLevel ?? this.hp.lastLevel) + 1, o.onProgress),
  ): Promise<Float32Array[]> {
    const { B, net, vocab, st } = this.requireFitted();
    const d = this.genes_.length;
    if (targetSets.length > LCD.setsPerBatch(nCells))
      throw new Error(`sampleBatch: ${targetSets.length} sets exceed one batch of ${LCD.setsPerBatch(nCells)}`);
    const opts = this.samplerOptions(o, batch, onLevel);
    const z =
      o.compose === 'experts'
        ? await annealedSampleExperts(
            B,
            net,
            targetSets.map((t) => t.map((g) => vocab.weights([g]))),
            vocab.weights([]),
            nCells,
            opts,
          )
        : await annealedSample(
            B,
            net,
            targetSets.map((t) => vocab.weights(t)),
            nCells,
            opts,
          );
    const zs = await B.toArray(z);
    B.dispose(z);
    return targetSets.map((_, e) => unstandardize(zs.subarray(e * nCells * d, (e + 1) * nCells * d), st));
  }

  /** Each gene's scale in the training data: the standardisation the score network works in (standardize.ts). */
  get geneScales(): Float64Array {
    return Float64Array.from(this.requireFitted().st.scale);
  }

  /** The embedding weights w of a target set (ē = w·E; see embedding.ts): scale them to read a weaker perturbation. */
  embeddingWeights(targets: readonly string[]): Float64Array {
    return this.requireFitted().vocab.weights(targets);
  }

  /**
   * The mean state of `nCells` cells sampled for each embedding-weight vector, in data space, every vector sampled
   * alone with the same seed and chunk: the same initial states and the same noise for every vector (common random
   * numbers). The difference of two such means is then the average of differences along coupled paths, which for a
   * contractive drift shrinks with the perturbation itself instead of carrying the Monte-Carlo noise of two
   * independent samples: what the linear-response reading of CLIPR needs to resolve small perturbations.
   */
  async coupledMeans(weights: readonly Float64Array[], nCells: number, o: SampleOptions = {}): Promise<Float64Array[]> {
    return (await this.coupledResponses(weights, nCells, o)).means;
  }

  /**
   * coupledMeans, and for every vector the standard error of its paired difference from the first vector's cells
   * (per gene: the standard deviation over cells of x_q,c − x_0,c, over √nCells), which the coupling makes small.
   */
  async coupledResponses(
    weights: readonly Float64Array[],
    nCells: number,
    o: SampleOptions = {},
  ): Promise<{ means: Float64Array[]; se: Float64Array[] }> {
    const { B, net, st } = this.requireFitted();
    const d = this.genes_.length,
      s = { ...LIBRARY_SAMPLER, ...o };
    const onLevel = levelProgress(weights.length * (s.lastLevel + 1), o.onProgress),
      opts = this.samplerOptions(s, 0, onLevel);
    const means: Float64Array[] = [],
      se: Float64Array[] = [];
    let first: Float32Array | null = null;
    for (const w of weights) {
      const z = await annealedSample(B, net, [w], nCells, opts);
      const zs = await B.toArray(z);
      B.dispose(z);
      const x = unstandardize(zs, st);
      first ??= x;
      means.push(geneMeans(x, nCells, d));
      se.push(pairedStandardErrors(x, first, nCells, d));
    }
    return { means, se };
  }

  /** The sampler settings a prediction uses: each of `overrides` that is given, else the model's own. */
  samplerSettings(overrides: Partial<SamplerSettings> = {}): SamplerSettings {
    return {
      stepsPerLevel: overrides.stepsPerLevel ?? this.hp.stepsPerLevel,
      lastLevel: overrides.lastLevel ?? this.hp.lastLevel,
      integrator: overrides.integrator ?? this.hp.integrator,
      stepScale: overrides.stepScale ?? this.hp.stepScale,
    };
  }

  /** The sampler's options for one batch of environments: `o` over the model's hyperparameters; `chunk` is the
   *  batch's coordinate in the noise streams (equal chunks and seeds draw equal noise). */
  private samplerOptions(o: SampleOptions, chunk: number, onLevel?: () => void): SamplerOptions {
    const settings = this.samplerSettings(o);
    this.assertTrainedLevel(settings.lastLevel, 'the sampler (--last-level)');
    return {
      ...settings,
      seed: o.seed ?? this.hp.seed,
      noise: o.noise ?? true,
      init: o.init ?? 'normal',
      kernel: o.kernel,
      chunk,
      onLevel,
    };
  }

  async sample(targets: readonly string[], nCells: number, o: SampleOptions = {}): Promise<Float32Array> {
    return (await this.sampleMany([targets], nCells, o))[0]!;
  }

  /**
   * The mean state of `nCells` cells sampled for each target set (the library sampler unless `o` says otherwise), in
   * data space: the model's prediction of each environment's mean, what CLIPR's response reading reads.
   */
  async sampleMeans(
    targetSets: readonly (readonly string[])[],
    nCells: number,
    o: SampleOptions = {},
  ): Promise<Float64Array[]> {
    const d = this.genes_.length;
    const cells = await this.sampleMany(targetSets, nCells, { ...LIBRARY_SAMPLER, ...o });
    return cells.map((x) => geneMeans(x, nCells, d));
  }

  /**
   * Fixed points of the probability flow (the sampler without noise, from z = 0 through every trained level) for each
   * target set, one particle each, all sets in one batch; in data space (x = m + σ_all·z).
   */
  async flowFixedPoints(
    targetSets: readonly (readonly string[])[],
    stepsPerLevel: number,
    onProgress?: SampleOptions['onProgress'],
  ): Promise<Float64Array[]> {
    const { B, net, vocab, st } = this.requireFitted();
    const d = this.genes_.length;
    const weights = targetSets.map((t) => vocab.weights(t));
    const lastLevel = this.hp.trainLevels - 1; // every trained level (all 30 for the reference)
    const z = await annealedSample(B, net, weights, 1, {
      stepsPerLevel,
      lastLevel,
      seed: 0,
      noise: false,
      init: 'zero',
      onLevel: levelProgress(lastLevel + 1, onProgress),
    });
    const zs = await B.toArray(z);
    B.dispose(z);
    return weights.map((_, q) =>
      Float64Array.from({ length: d }, (_, g) => st.mean[g]! + st.scale[g]! * zs[q * d + g]!),
    );
  }

  /**
   * The learned drift in data space at noise level t, one state per target set: f_x(x) = f_z((x − m)/σ_all)/σ_all
   * with the song wrapper f_z = ((s−1)z − σ g(s z))/σ² (the "tfm" variant CLIPR reads).
   */
  async driftAt(
    states: readonly Float64Array[],
    targetSets: readonly (readonly string[])[],
    t: number,
  ): Promise<Float64Array[]> {
    const { B, net, vocab, st } = this.requireFitted();
    const d = this.genes_.length,
      k = targetSets.length;
    if (states.length !== k) throw new Error(`LCD.driftAt: ${states.length} states for ${k} target sets`);
    this.assertTrainedLevel(t, 'the drift reading (--drift-level)');
    const { sigma, s } = NoiseSchedule.reference.level(t);
    const z0 = new Float64Array(k * d);
    for (let q = 0; q < k; q++)
      for (let g = 0; g < d; g++) z0[q * d + g] = (states[q]![g]! - st.mean[g]!) / st.scale[g]!;
    const weights = targetSets.map((ts) => vocab.weights(ts));
    const gOut = await B.scope(async () => {
      const { inj1, bias2 } = net.envBiases(weights);
      return B.toArray(net.outputAt(B.fromArray(z0, [k, d]), s, net.firstLayerBias(inj1, t), bias2, 1));
    });
    return targetSets.map((_, q) =>
      Float64Array.from({ length: d }, (_, g) => songDrift(z0[q * d + g]!, gOut[q * d + g]!, sigma, s) / st.scale[g]!),
    );
  }

  /** Free the model's GPU memory (its parameters); the model cannot sample afterwards. */
  dispose(): void {
    this.net_?.dispose();
    this.net_ = null;
  }

  /** Fitted parameters as host arrays (PARAM_NAMES order). */
  async parameterArrays(): Promise<Record<ParamName, Float32Array>> {
    const { B, net } = this.requireFitted();
    return arraysOf(
      B,
      PARAM_NAMES.map((n) => net.params[n]),
    );
  }

  /** Save the fitted model (config.json + weights.safetensors) into a store: `folderStore(dir)` in Node,
   *  `memoryStore()` for bytes (a download, IndexedDB, a worker message). */
  async save(store: FileStore): Promise<void> {
    await saveModel(store, this.snapshot(), await this.parameterArrays());
  }

  snapshot(): Omit<SavedModel, 'params'> {
    this.requireFitted();
    return {
      format: 'lcd-webgpu/1',
      hyperparameters: this.hp,
      genes: this.genes_,
      targets: this.vocab_!.names,
      standardization: {
        mean: [...this.standardization_!.mean],
        scale: [...this.standardization_!.scale],
        ...(this.standardization_!.constant ? { constant: this.standardization_!.constant } : {}),
      },
      shape: this.shape,
      step: this.step_,
      losses: this.losses_,
      ...(this.validation_ ? { validation: this.validation_ } : {}),
    };
  }

  private async writeCheckpoint(
    store: FileStore,
    opt: AdamW<T>,
    before?: () => void,
    ema?: WeightAverage<T> | null,
  ): Promise<void> {
    const { B } = this.requireFitted();
    before?.();
    const st = opt.state();
    const extra: Record<string, Float32Array> = {};
    for (let i = 0; i < PARAM_NAMES.length; i++) {
      extra[`adam.m.${PARAM_NAMES[i]}`] = Float32Array.from(await B.toArray(st.m[i]!));
      extra[`adam.v.${PARAM_NAMES[i]}`] = Float32Array.from(await B.toArray(st.v[i]!));
    }
    // the best parameters so far, so a resumed early-stopped fit can still return them
    if (this.best_) for (const n of PARAM_NAMES) extra[`best.${n}`] = this.best_[n];
    if (ema) Object.entries(await arraysOf(B, ema.averages)).forEach(([n, a]) => (extra[`ema.${n}`] = a));
    await saveModel(store, this.snapshot(), await this.parameterArrays(), extra);
  }

  private restore(
    ck: SavedModel & { extra: Record<string, Float32Array> },
    opt: AdamW<T>,
    ema: WeightAverage<T> | null,
  ): void {
    const same =
      // Defaults merged first, so a checkpoint from before a hyperparameter existed compares with its default.
      JSON.stringify(resolveHyperparameters(ck.hyperparameters)) === JSON.stringify(this.hp) &&
      ck.genes.join('\u0000') === this.genes_.join('\u0000') &&
      ck.targets.join('\u0000') === this.vocab_!.names.join('\u0000');
    if (!same)
      throw new Error(
        'LCD.fit(resume): the checkpoint was written for other hyperparameters, genes or targets; delete it or train without resume',
      );
    this.setParams(ck.params);
    opt.loadState(
      PARAM_NAMES.map((n) => ck.extra[`adam.m.${n}`]!),
      PARAM_NAMES.map((n) => ck.extra[`adam.v.${n}`]!),
      ck.step,
    );
    this.step_ = ck.step;
    this.losses_ = [...ck.losses];
    if (ema) {
      if (!ck.extra['ema.time.w1'])
        throw new Error('LCD.fit(resume): the checkpoint has no weight average (emaDecay); train without resume');
      ema.load(PARAM_NAMES.map((n) => ck.extra[`ema.${n}`]!));
    }
    if (this.validation_ && ck.validation) {
      this.validation_ = { scores: [...ck.validation.scores], bestStep: ck.validation.bestStep };
      this.best_ = ck.extra['best.time.w1']
        ? (Object.fromEntries(PARAM_NAMES.map((n) => [n, ck.extra[`best.${n}`]!])) as Record<ParamName, Float32Array>)
        : null;
    }
  }

  /** Load a saved model from a store onto a backend; `genes` (optional) must match the saved gene panel. */
  static load<T extends TensorLike>(store: FileStore, backend: Backend<T>, genes?: readonly string[]): LCD<T> {
    const ck = loadCheckpoint(store);
    if (!ck) throw new Error(`LCD.load: no model at '${store.label}' (expected config.json and weights.safetensors)`);
    if (genes) {
      const missing = genes.filter((g) => !ck.genes.includes(g)),
        extra = ck.genes.filter((g) => !genes.includes(g));
      if (missing.length || extra.length || genes.join() !== ck.genes.join()) {
        throw new Error(
          `LCD.load: gene panel mismatch between model '${store.label}' and data: ${missing.length} data genes not in the model (${missing.slice(0, 5).join(', ')}), ${extra.length} model genes not in the data (${extra.slice(0, 5).join(', ')})${!missing.length && !extra.length ? '; same genes in a different order' : ''}`,
        );
      }
    }
    const m = new LCD<T>(ck.hyperparameters);
    m.backend_ = backend;
    m.genes_ = ck.genes;
    m.vocab_ = new TargetVocab(ck.targets);
    m.standardization_ = {
      mean: Float64Array.from(ck.standardization.mean),
      scale: Float64Array.from(ck.standardization.scale),
      ...(ck.standardization.constant ? { constant: ck.standardization.constant } : {}),
    };
    m.net_ = ScoreNet.fromArrays(backend, ck.shape, ck.params);
    m.step_ = ck.step;
    m.losses_ = ck.losses;
    m.validation_ = ck.validation;
    return m;
  }
}
