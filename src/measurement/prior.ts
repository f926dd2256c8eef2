// Stage 1 of LCD (spec §3): a generative prior per training environment fitted to raw counts under the ZIP
// measurement, by the tempered Monte-Carlo marginal likelihood (§3.3):
//   each step: one environment e (uniform), B count vectors of it, M states s_m = G_e(ε_m), rates R = u·softplus(S),
//   ℓ [B×M] in the GEMM form, loss = −(1/|T|) Σ_T mean_i T·(logsumexp_m(ℓ/T) − log M);
// AdamW with β₁ = 0, β₂ = 0.99, global-norm clipping 1.0, warmup-cosine learning rate (§3.4). The zero-inflation
// logits θ are shared by all environments. With `jointSteps` J < steps only the first J steps are joint; then θ is
// fixed and each environment's generator goes on alone (fitEnvironment), which makes the environments independent
// jobs for a queue. Afterwards `states(e, n)` draws latent states, LCD's training data.
import { trainLoop } from '../nn/train-loop.ts';
import * as ad from '../ops/autodiff.ts';
import type { Backend, TensorLike } from '../ops/backend.ts';
import type { Screen } from '../data/dataset.ts';
import { Tape } from '../ops/tape.ts';
import { AdamW } from '../nn/adamw.ts';
import { warmupCosineSchedule } from '../gpu/kernels/schedules.ts';
import { Rng } from '../reference/rng.ts';
import { normalStream } from '../reference/philox.ts';
import { randomStream } from '../core/random-streams.ts';
import {
  unitScaling,
  excessZeroLogits,
  excessZeroSlope,
  countBatchConstants,
  zipLossFromStates,
  softplus,
} from './likelihood.ts';
import { initPackedGenerator, generatorForward, GENERATOR_REFERENCE, type GeneratorShape } from './generator.ts';
import { InputError, InterruptedError } from '../core/errors.ts';
import type { RandomStream } from '../core/random-streams.ts';
import type { Var } from '../ops/tape.ts';
import type { MeasurementDecoder } from './decode.ts';

export interface PriorOptions {
  steps: number; // reference 250,000 (Norman)
  mcSamples: number; // M, reference 20,000
  batchSize: number; // B, reference 64
  temperatures: number[]; // reference (1, 20) for Norman
  learningRate: number; // peak of the warmup-cosine schedule, reference 3e-4
  warmupSteps: number; // reference 5,000
  maxGradNorm: number; // reference 1.0
  generator: Omit<GeneratorShape, 'd'>;
  seed: number;
  /** Steps in which θ and every generator are fitted together (one environment per step); the rest of `steps` is
   *  spent per environment with θ fixed (CountPrior.fitEnvironment), so that the environments are independent jobs
   *  (fit --queue). Absent: every step joint. */
  jointSteps?: number;
  /** θ's starting point: 'normal' (N(0, 1), as the reference) or 'control' (the control's excess zeros,
   *  likelihood.ts excessZeroLogits). Absent in a saved model: 'normal' (io.ts). */
  thetaInit?: 'normal' | 'control';
  /** 'gene': one zero-inflation probability per gene, π_g = σ(θ_g), as the reference (absent in a saved model).
   *  'state': the logit also moves with the state's log rate, θ_g + β·(log ρ − log u_g), one slope β for every gene
   *  (fitted with θ and shared by all environments; it starts at the control's slope of excess zeros across genes,
   *  likelihood.ts excessZeroSlope, since from 0 the fit does not find it), for dropout that falls with expression;
   *  'state-gene': a slope β_g per gene, each starting there. */
  zeroInflation?: 'gene' | 'state' | 'state-gene';
}

export const PRIOR_REFERENCE: PriorOptions = {
  steps: 250_000,
  mcSamples: 20_000,
  batchSize: 64,
  temperatures: [1, 20],
  learningRate: 3e-4,
  warmupSteps: 5000,
  maxGradNorm: 1,
  generator: GENERATOR_REFERENCE,
  seed: 0,
  thetaInit: 'normal',
  zeroInflation: 'gene',
};
/** Defaults that train in minutes on a CPU adapter (the reference's are above). Temperature 1 alone: with the
 *  reference's (1, 20) and short training the T = 20 term (a Jensen lower bound) collapsed the latent variance
 *  (rate variance 0.003 fitted vs 0.175 true after 1,500 steps; 0.169 with T = 1 alone, scratch measurement).
 *  Peak learning rate 3e-3: on the 31-environment count screen (3,000 steps, ~100 per generator) decoded prior states
 *  were at energy distance 0.035 from the training cells with 3e-3 against 0.099 with 1e-2. A single environment fitted
 *  for 1,000 steps needs more: at 3e-3 it stopped short of the true parameters' objective (−17.13 vs −16.76 per cell,
 *  π overestimated), at 1e-2 it reached −16.74 (the recovery test uses 1e-2).
 *  Zero inflation 'state' with θ from the control (not the reference's per-gene π from N(0, 1)): on the gene-network
 *  and cascade count screens, whose dropout falls with expression, the held-out doubles' mean ED fell from 0.573 to
 *  0.228 and from 0.633 to 0.356 (fit seeds 0–2), on the nonlinear count screen (constant dropout) from 0.036 to
 *  0.031, on Norman's doubles from 0.220 to 0.172 (still above SALT's 0.121); README "Zero inflation that moves
 *  with the state". */
export const PRIOR_DEFAULTS: PriorOptions = {
  steps: 3000,
  mcSamples: 1024,
  batchSize: 64,
  temperatures: [1],
  learningRate: 3e-3,
  warmupSteps: 200,
  maxGradNorm: 1,
  generator: { latent: 16, layers: 2, wide: 64, wideLayers: 1 },
  seed: 0,
  thetaInit: 'control',
  zeroInflation: 'state',
};

/** `o` with the two choices whose defaults left the reference's (θ's start, `thetaInit`; the zero inflation,
 *  `zeroInflation`) filled in from `fallback` where it lacks them. A saved model (measurement.json) or a run record
 *  (run.json) without them was written before they existed, when every fit made the reference's model, so reading
 *  one takes the reference's (the default fallback); a new run record takes the defaults it runs with, so that a
 *  resumed fit refits the model it started with even after a default changes. */
export function withPriorChoices(
  o: Partial<PriorOptions>,
  fallback: PriorOptions = PRIOR_REFERENCE,
): Partial<PriorOptions> {
  return { thetaInit: fallback.thetaInit, zeroInflation: fallback.zeroInflation, ...o };
}

export interface PriorFitOptions {
  onProgress?: (p: PriorProgress) => void;
  progressEvery?: number;
  signal?: AbortSignal;
}

export interface PriorProgress {
  step: number;
  steps: number;
  loss: number;
  elapsedS: number;
  etaS: number;
}

export class CountPrior<T extends TensorLike> {
  readonly o: PriorOptions;
  shape!: GeneratorShape;
  envNames: string[] = [];
  unitScale!: Float64Array;
  generators: T[][] = [];
  /** While fitting: the buffer each environment's generator parameters are slices of (one AdamW dispatch each). */
  private packedGenerators: (T | undefined)[] = [];
  theta!: T; // [1×d] zero-inflation logits
  beta?: T; // their slopes on the log rate: [1×1] (zeroInflation 'state') or [1×d] ('state-gene')
  losses: { step: number; loss: number }[] = [];

  constructor(
    private readonly B: Backend<T>,
    o: Partial<PriorOptions> = {},
  ) {
    this.o = { ...PRIOR_DEFAULTS, ...o, generator: { ...PRIOR_DEFAULTS.generator, ...o.generator } };
  }

  async fit(counts: Screen, opts: PriorFitOptions = {}): Promise<this> {
    this.begin(counts);
    const o = this.o,
      joint = o.jointSteps ?? o.steps;
    await this.fitJoint(counts, joint, opts);
    if (joint < o.steps && !opts.signal?.aborted)
      for (let e = 0; e < counts.envs.length && !opts.signal?.aborted; e++)
        await this.fitEnvironment(counts, e, {
          ...opts,
          onProgress: opts.onProgress && ((p) => opts.onProgress!(this.overallProgress(e, p))),
        });
    return this;
  }

  /** Before any step: the shapes, the unit scale from the control, fresh generators and θ. */
  begin(counts: Screen): void {
    if (counts.kind !== 'counts')
      throw new Error(
        `the measurement model needs raw counts, but the screen holds ${counts.kind} values; run without the noise model (--measurement none)`,
      );
    const B = this.B,
      d = counts.genes.length,
      o = this.o;
    if (o.jointSteps !== undefined && !(Number.isInteger(o.jointSteps) && o.jointSteps >= 1 && o.jointSteps <= o.steps))
      throw new InputError(
        `the measurement model's joint steps (${o.jointSteps}) must be a whole number from 1 to its ${o.steps} steps (--prior-joint-steps)`,
      );
    this.shape = { d, ...o.generator };
    this.envNames = counts.envs.map((e) => e.name);
    const ctrl = counts.envs[0]!;
    this.unitScale = unitScaling(ctrl.values, ctrl.cells, d);
    const packed = counts.envs.map((_, e) => initPackedGenerator(B, this.shape, o.seed, e));
    this.generators = packed.map((p) => p.slices);
    this.packedGenerators = packed.map((p) => p.whole);
    this.theta = B.fromArray(
      o.thetaInit === 'control'
        ? excessZeroLogits(ctrl.values, ctrl.cells, d)
        : normalStream(d, randomStream(o.seed, 'prior.theta')), // N(0, 1), as the reference
      [1, d],
    );
    if (o.zeroInflation === 'state' || o.zeroInflation === 'state-gene') {
      const k = o.zeroInflation === 'state' ? 1 : d,
        b0 = excessZeroSlope(ctrl.values, ctrl.cells, d);
      this.beta = B.fromArray(new Float32Array(k).fill(b0), [1, k]);
    }
  }

  /** Steps [0, until) of the joint fit: each step one environment (uniform), its generator and θ updated together
   *  by one optimiser under the whole fit's learning-rate schedule. */
  async fitJoint(counts: Screen, until: number, opts: PriorFitOptions = {}): Promise<void> {
    const B = this.B,
      o = this.o;
    const u = B.fromArray(this.unitScale, [1, this.shape.d]);
    const zi = this.zeroInflation();
    const opt = new AdamW(B, [...this.generators.flat(), ...zi], {
      groups: this.packedGenerators.map((whole, e) => ({ whole: whole!, count: this.generators[e]!.length })), // θ (and β), last, on their own
      ...this.optimiserHyper(),
      schedule: warmupCosineSchedule(o.learningRate, o.warmupSteps, o.steps),
    });
    const rng = new Rng(randomStream(o.seed, 'prior.batch')),
      every = opts.progressEvery ?? 50;
    const perEnv = this.generators[0]!.length;
    let done = 0; // steps completed, for the interruption message
    await trainLoop(B, {
      steps: o.steps,
      until,
      step: (step) => {
        done = step + 1;
        const e = rng.int(counts.envs.length);
        const tape = new Tape(B);
        const gen = this.generators[e]!.map((p) => tape.param(p)),
          ziVars = zi.map((p) => tape.param(p));
        const loss = this.batchLoss(tape, counts.envs[e]!, rng, gen, ziVars, u, randomStream(o.seed, 'prior.mc', step));
        tape.backward(loss);
        const grads: (T | null)[] = new Array(this.generators.length * perEnv + zi.length).fill(null);
        gen.forEach((p, i) => {
          grads[e * perEnv + i] = p.grad;
        });
        ziVars.forEach((p, i) => {
          grads[this.generators.length * perEnv + i] = p.grad;
        });
        opt.update(grads);
        return loss.value;
      },
      readback: { mode: 'point', at: (step) => step % every === 0 || step === o.steps - 1 },
      onLoss: (step, loss) => this.losses.push({ step, loss }),
      onProgress: opts.onProgress,
      signal: opts.signal,
    });
    opt.dispose();
    B.dispose(u);
    this.throwIfStopped(opts.signal, done);
  }

  /** Steps of one environment fitted on its own after the joint steps (PriorOptions.jointSteps). */
  static environmentSteps(o: PriorOptions, envs: number): number {
    return Math.ceil((o.steps - (o.jointSteps ?? o.steps)) / envs);
  }

  /** Environment e's generator fitted on its own after the joint steps: θ and the unit scale fixed, its own optimiser,
   *  batches and Monte-Carlo latents (streams 'prior.env.*' at e), so that it depends on nothing but θ, its own
   *  generator and its own cells, and a queue worker computes the same bits. It takes ⌈(steps − joint)/E⌉ steps,
   *  the share a generator gets of the joint fit's remaining steps, under the rest of the joint schedule: step k at
   *  the schedule's step joint + ⌊k·(steps − joint)/s⌋, so the learning rate decays to 0 as it would have jointly.
   *  Its losses are recorded at the whole fit's step joint + e·s + (k + 1), counted as steps done. */
  async fitEnvironment(counts: Screen, e: number, opts: PriorFitOptions = {}): Promise<void> {
    const B = this.B,
      o = this.o,
      joint = o.jointSteps ?? o.steps,
      s = CountPrior.environmentSteps(o, counts.envs.length);
    const u = B.fromArray(this.unitScale, [1, this.shape.d]);
    const whole = this.packedGenerators[e] ?? (await this.pack(e));
    const base = warmupCosineSchedule(o.learningRate, o.warmupSteps, o.steps);
    const opt = new AdamW(B, this.generators[e]!, {
      groups: [{ whole, count: this.generators[e]!.length }],
      ...this.optimiserHyper(),
      schedule: (k) => base(joint + Math.floor((k * (o.steps - joint)) / s)),
    });
    const rng = new Rng(randomStream(o.seed, 'prior.env.batch', e)),
      every = opts.progressEvery ?? 50;
    let done = 0;
    await trainLoop(B, {
      steps: s,
      step: (k) => {
        done = k + 1;
        const tape = new Tape(B);
        const gen = this.generators[e]!.map((p) => tape.param(p));
        const loss = this.batchLoss(
          tape,
          counts.envs[e]!,
          rng,
          gen,
          this.zeroInflation().map((p) => tape.constant(p)),
          u,
          randomStream(o.seed, 'prior.env.mc', e, k),
        );
        tape.backward(loss);
        opt.update(gen.map((p) => p.grad));
        return loss.value;
      },
      readback: { mode: 'point', at: (k) => k % every === 0 || k === s - 1 },
      onLoss: (k, loss) => this.losses.push({ step: joint + e * s + k, loss }),
      onProgress: opts.onProgress,
      signal: opts.signal,
    });
    opt.dispose();
    B.dispose(u);
    this.throwIfStopped(opts.signal, done);
  }

  /** The zero-inflation parameters: [θ], or [θ, β] when the zero inflation depends on the state. */
  private zeroInflation(): T[] {
    return this.beta ? [this.theta, this.beta] : [this.theta];
  }

  /** The tempered Monte-Carlo loss of one batch of environment `env`'s cells (drawn from `rng`) under generator
   *  `gen`, zero inflation `[θ]` or `[θ, β]` and Monte-Carlo latents from stream `mc`. */
  private batchLoss(
    tape: Tape<T>,
    env: Screen['envs'][number],
    rng: Rng,
    gen: Var<T>[],
    [theta, beta]: Var<T>[],
    u: T,
    mc: RandomStream,
  ): Var<T> {
    const B = this.B,
      o = this.o,
      d = this.shape.d;
    const X = new Float32Array(o.batchSize * d);
    for (let r = 0; r < o.batchSize; r++) {
      const c = rng.int(env.cells);
      X.set(env.values.subarray(c * d, (c + 1) * d), r * d);
    }
    const k = countBatchConstants(X, o.batchSize, d);
    const eps = tape.constant(B.randomNormal([o.mcSamples, o.generator.latent], mc));
    const S = generatorForward(tape, this.shape, gen, eps);
    const batch = {
      X: tape.constant(B.fromArray(X, [o.batchSize, d])),
      Z: tape.constant(B.fromArray(k.Z, [o.batchSize, d])),
      NZ: tape.constant(B.fromArray(k.NZ, [o.batchSize, d])),
      lgammaSum: tape.constant(B.fromArray(k.lgammaSum, [o.batchSize, 1])),
    };
    // β: [1×1] (one slope, read by every gene at stride 0) or [1×d]
    return zipLossFromStates(tape, batch, S, u, theta!, o.temperatures, beta);
  }

  private optimiserHyper() {
    return { b1: 0, b2: 0.99, eps: 1e-8, weightDecay: 0, maxGradNorm: this.o.maxGradNorm };
  }

  /** Environment e's generator moved into one packed buffer (a model read from files holds separate tensors). */
  private async pack(e: number): Promise<T> {
    const tensors = this.generators[e]!;
    const host = await Promise.all(tensors.map(async (t) => ({ data: await this.B.toArray(t), shape: t.shape })));
    const { whole, slices } = this.B.packed(host);
    tensors.forEach((t) => this.B.dispose(t));
    this.generators[e] = slices;
    this.packedGenerators[e] = whole;
    return whole;
  }

  private overallProgress(e: number, p: PriorProgress): PriorProgress {
    const o = this.o,
      joint = o.jointSteps ?? o.steps,
      E = this.envNames.length,
      s = CountPrior.environmentSteps(o, E);
    const step = joint + e * s + p.step,
      steps = joint + E * s;
    return { ...p, step, steps, etaS: p.step > 0 ? (p.elapsedS / p.step) * (steps - step) : p.etaS };
  }

  private throwIfStopped(signal: AbortSignal | undefined, done: number): void {
    if (signal?.aborted)
      throw new InterruptedError(String(signal.reason ?? 'aborted'), done, undefined, {
        name: 'the measurement model',
        steps: this.o.steps,
        unsaved: 'the measurement model keeps no checkpoint and is fitted again from its start on resume',
      });
  }

  /** n latent states of a training environment (ε from stream 'prior.states' at (env index, n)). */
  async states(env: string, n: number, seed = this.o.seed): Promise<Float32Array> {
    const e = this.envNames.indexOf(env);
    if (e < 0) throw new Error(`the measurement model has no generator for '${env}' (training environments only)`);
    return this.B.scope(async () => {
      const tape = new Tape(this.B);
      const S = generatorForward(
        tape,
        this.shape,
        this.generators[e]!.map((p) => tape.constant(p)),
        tape.constant(this.B.randomNormal([n, this.o.generator.latent], randomStream(seed, 'prior.states', e, n))),
      );
      return Float32Array.from(await this.B.toArray(S.value));
    });
  }

  /** LCD's training data: each training environment as latent states drawn from its generator, as many as it has
   *  cells within [200, 2000] (or `perEnv`), metadata kept. */
  async latentScreen(train: Screen, seed = this.o.seed, perEnv?: number): Promise<Screen> {
    const latent: Screen = { genes: train.genes, kind: 'latent', envs: [] };
    for (const e of train.envs) {
      const n = perEnv ?? Math.min(2000, Math.max(200, e.cells));
      latent.envs.push({ ...e, values: await this.states(e.name, n, seed), cells: n });
    }
    return latent;
  }

  /** The shared zero-inflation probabilities π_g. */
  async zeroProb(): Promise<Float64Array> {
    return Float64Array.from(await this.B.toArray(this.theta), (t) => 1 / (1 + Math.exp(-t)));
  }
  async logits(): Promise<Float64Array> {
    return Float64Array.from(await this.B.toArray(this.theta));
  }
  /** The zero-inflation slopes β_g, gene by gene (a shared slope repeated), or undefined for the per-gene model. */
  async slopes(): Promise<Float64Array | undefined> {
    if (!this.beta) return undefined;
    const b = await this.B.toArray(this.beta),
      d = this.shape.d;
    return Float64Array.from({ length: d }, (_, g) => b[b.length === d ? g : 0]!);
  }
  /** What decoding states into counts needs (decode.ts): unit scale, logits and slopes. */
  async decoder(): Promise<MeasurementDecoder> {
    const zeroSlope = await this.slopes();
    return { unitScale: this.unitScale, logitPi: await this.logits(), ...(zeroSlope ? { zeroSlope } : {}) };
  }

  /** Expected counts of states (u·softplus(s)·(1 − π)), for checks. */
  static expectedCounts(
    states: ArrayLike<number>,
    d: number,
    u: ArrayLike<number>,
    pi: ArrayLike<number>,
  ): Float64Array {
    return Float64Array.from(states, (s, i) => u[i % d]! * softplus(s) * (1 - pi[i % d]!));
  }

  /** Environment e's generator replaced by `tensors` (fitted elsewhere: a queue worker's), the old one freed. */
  replaceGenerator(e: number, tensors: T[]): void {
    [...this.generators[e]!, this.packedGenerators[e]].forEach((t) => t && this.B.dispose(t));
    this.generators[e] = tensors;
    this.packedGenerators[e] = undefined;
  }

  dispose(): void {
    [...this.generators.flat(), ...this.packedGenerators].forEach((t) => t && this.B.dispose(t));
    if (this.theta) this.B.dispose(this.theta); // absent when fitting failed before it began
    if (this.beta) this.B.dispose(this.beta);
    this.generators = [];
    this.packedGenerators = [];
  }
}
