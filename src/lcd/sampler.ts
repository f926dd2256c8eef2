// Annealed Langevin sampling (spec §5): levels t = 0..last, N steps each with α_t = stepScale·σ_t² (the reference:
// Euler–Maruyama, stepScale 0.01), particles × environments batched (environment-major rows), one submit per step.
// With `noise: false` this is the probability flow (deterministic annealed ascent on log p_σ), which CLIPR uses for
// fixed points.
//
// Integrators. Euler–Maruyama, z ← z + α f(z) + √(2α) ξ_k, has a stationary law biased by O(α): on a Gaussian of
// variance v its variance is v/(1 − α/(2v)), so the reference keeps α at 1 % of σ² and needs hundreds of steps per
// level to mix. Leimkuhler–Matthews (2013), z ← z + α f(z) + √(α/2)(ξ_{k−1} + ξ_k), costs the same one drift
// evaluation per step, has O(α²) bias in general and none on Gaussians (with w_k = z_k − √(α/2) ξ_k,
// w_{k+1} = (1 − α/v) w_k + √(α/2)(2 − α/v) ξ_k, whose stationary variance plus α/2 is exactly v for any
// α < 2v), so it takes steps several times longer for the same accuracy. The previous step's ξ is not stored: the
// kernel draws it again from its Philox counter.
//
// Kernels. 'layers': per step three matmuls with fused epilogues and the fused update (4 dispatches). 'fused': the
// whole level's steps in one dispatch of lcd_langevin_mlp.wgsl (network in workgroup memory), where the network fits
// (d, H divisible by 4, workgroup memory 16·(d + 2H) bytes). Neither wins everywhere: on lavapipe 'fused' measured
// 1.07–2.9× the layer path at 64 particles and 0.70–0.84× at 1,024 (README, "Kernel choices"), so 'auto' times both
// on the adapter for the run's shape, once, and remembers the answer (src/gpu/tuning.ts). Both paths compute the same steps with the same noise.
import { lcdEmUpdateKernel } from './kernels/lcd-em-update.ts';
import { lcdLangevinMlpKernel, langevinMlpFits } from './kernels/lcd-langevin-mlp.ts';
import { WebGPUBackend } from '../ops/webgpu-backend.ts';
import type { EmStep, NoiseLevel } from '../core/noise-schedule.ts';
import type { Backend, TensorLike } from '../ops/backend.ts';
import type { ScoreNet } from './score-net.ts';
import { NoiseSchedule, SIGMA_MIN } from '../core/noise-schedule.ts';
import { randomStream } from '../core/random-streams.ts';

export type SamplerIntegrator = 'em' | 'lm';
/** 'layers', 'fused' (one dispatch per level, network inside) or 'auto' (the faster on this adapter, measured). */
export type SamplerKernel = 'auto' | 'layers' | 'fused';
export const SAMPLER_KERNELS: readonly SamplerKernel[] = ['auto', 'layers', 'fused'];
/** How a set of several targets is sampled: the sum of its embeddings (the reference) or a product of experts. */
export type SamplerCompose = 'embedding' | 'experts';
export const SAMPLER_COMPOSE: readonly SamplerCompose[] = ['embedding', 'experts'];
/** At most this many steps per fused dispatch (bounds a dispatch's run time on hardware with a watchdog). */
export const MAX_STEPS_PER_DISPATCH = 32;

export interface SamplerOptions {
  stepsPerLevel: number;
  /** Last level index to run (29 = down to σ = 0.01). */
  lastLevel?: number;
  seed: number;
  noise?: boolean;
  /** 'normal': z₀ ~ N(0, I) (stream 'sampler.init' at the chunk); 'zero': z₀ = 0. */
  init?: 'normal' | 'zero';
  annealDt?: number;
  /** 'em' (Euler–Maruyama, the reference) or 'lm' (Leimkuhler–Matthews); default 'em'. */
  integrator?: SamplerIntegrator;
  /** α_t = stepScale·σ_t² (overrides annealDt; the reference's anneal_dt 1e-6 is stepScale 0.01). */
  stepScale?: number;
  /** Which batch of environments this is (coordinate of the 'sampler.init' and 'sampler.noise' streams): calls with
   *  the same seed and different chunks draw independent noise. Default 0. */
  chunk?: number;
  /** Called after each level once its work has run on the device (the sampler then waits for the device at each
   *  level boundary, 30 waits per run; without a callback it never waits). */
  onLevel?: (level: number) => void;
  /** Which kernels run the steps (annealedSample only); default 'auto'. */
  kernel?: SamplerKernel;
}

/** g(z) at noise level `level` (s = 1/√(1+σ²)) for the whole batch of rows. */
export type OutputAt<T> = (z: T, level: number, s: number) => T;
/** Runs `count` whole steps (network and update) at level index t in place, the first being `first`; step k of them
 *  draws noise stream a + k of first's (and LM's a + k − 1), as the step-by-step loop would. */
export type StepsAt<T> = (z: T, t: number, count: number, first: EmStep) => void;

/**
 * Annealed Langevin dynamics for n rows of dimension d with any network output g (the drift is the song
 * wrapper f = ((s−1)z − σg)/σ², applied by the fused update kernel). Returns the final z [n × d].
 */
export async function annealedSampleWith<T extends TensorLike>(
  B: Backend<T>,
  n: number,
  d: number,
  L: number,
  outputAt: OutputAt<T>,
  o: SamplerOptions,
  stepsAt?: StepsAt<T>,
): Promise<T> {
  const annealDt = o.stepScale !== undefined ? o.stepScale * SIGMA_MIN * SIGMA_MIN : o.annealDt;
  const schedule = new NoiseSchedule(L, annealDt);
  const lm = (o.integrator ?? 'em') === 'lm';
  const noiseStream = (k: number) => randomStream(o.seed, 'sampler.noise', k, o.chunk ?? 0);
  const last = o.lastLevel ?? L - 1;
  const z =
    (o.init ?? 'normal') === 'zero'
      ? B.full([n, d], 0)
      : B.randomNormal([n, d], randomStream(o.seed, 'sampler.init', o.chunk ?? 0));
  // EM step k draws counter k + 1; LM step k reuses counter k (the previous step's noise, fresh at k = 0).
  const stepAt = (level: NoiseLevel, k: number): EmStep => ({
    level,
    noise: o.noise ?? true,
    stream: noiseStream(1 + k),
    ...(lm ? { prev: noiseStream(k) } : {}),
  });
  let step = 0;
  for (let t = 0; t <= last; t++) {
    const level = schedule.level(t);
    if (stepsAt)
      for (let k = 0; k < o.stepsPerLevel; k += MAX_STEPS_PER_DISPATCH) {
        const count = Math.min(MAX_STEPS_PER_DISPATCH, o.stepsPerLevel - k);
        stepsAt(z, t, count, stepAt(level, step));
        step += count;
        B.flush();
      }
    else
      for (let k = 0; k < o.stepsPerLevel; k++) {
        const g = outputAt(z, t, level.s);
        B.fused(lcdEmUpdateKernel, [z, g], stepAt(level, step));
        step++;
        B.dispose(g);
        B.flush(); // one submit per step: released buffers recycle at once
      }
    if (o.onLevel) {
      await B.settle();
      o.onLevel(t);
    }
  }
  return z;
}

/** Run the sampler with the score network for environments with weight rows [E×G]; rows are environment-major. */
export async function annealedSample<T extends TensorLike>(
  B: Backend<T>,
  net: ScoreNet<T>,
  envWeights: Float64Array[],
  particles: number,
  o: SamplerOptions,
): Promise<T> {
  const { d, L } = net.shape;
  const n = envWeights.length * particles;
  const { inj1, bias2 } = net.envBiases(envWeights);
  const levelTable = net.levelBiasTable();
  // Per-(level, environment) first-layer bias: temb[t] + b1 + U1ē + u1, built once per level.
  let cached: { level: number; bias1: T } | null = null;
  const bias1At = (level: number): T => {
    if (!cached || cached.level !== level) {
      if (cached) B.dispose(cached.bias1);
      cached = { level, bias1: net.firstLayerBias(inj1, level, levelTable) };
    }
    return cached.bias1;
  };
  const outputAt: OutputAt<T> = (z, level, s) => net.outputAt(z, s, bias1At(level), bias2, particles);
  const p = net.params;
  const stepsAt: StepsAt<T> = (z, t, count, first) =>
    void B.fused(lcdLangevinMlpKernel, [z, p['mlp.w1'], bias1At(t), p['mlp.w2'], bias2, p['mlp.w3'], p['mlp.b3']], {
      ...first,
      steps: count,
      particles,
    });
  const kernel = await samplerKernelFor(B, net, n, particles, o, { inj1, bias2 });
  const z = await annealedSampleWith(B, n, d, L, outputAt, o, kernel === 'fused' ? stepsAt : undefined);
  if (cached) B.dispose((cached as { bias1: T }).bias1);
  [inj1, bias2, levelTable].forEach((x) => B.dispose(x));
  return z;
}

/**
 * Annealed sampling of target sets composed as a product of experts: the network output (a score, up to the level's
 * affine map) of a set T is Σ_{k∈T} g(z; ē_k) − (|T| − 1)·g(z; 0), the score of p_T ∝ Π_k p_k / p_0^{|T|−1}. When each
 * single perturbation tilts the control's law (p_k ∝ p_0·exp(h_kᵀz)), that is the tilt by Σ_k h_k, and on a
 * Gaussian control its mean shift is the sum of the singles' shifts: an additive composition in the model's own
 * latent space, in place of the summed embedding. Sets of one target (and the control) sample exactly as
 * `annealedSample` on the layer path. `sets[e]` holds the embedding-weight vector of each target of environment e
 * (none for the control); `control` the control's (zeros). The layer kernels run (one network pass per expert).
 */
export async function annealedSampleExperts<T extends TensorLike>(
  B: Backend<T>,
  net: ScoreNet<T>,
  sets: readonly (readonly Float64Array[])[],
  control: Float64Array,
  particles: number,
  o: SamplerOptions,
): Promise<T> {
  const { d, L } = net.shape;
  const E = sets.length,
    n = E * particles,
    K = Math.max(1, ...sets.map((s) => s.length));
  // Expert c < K is each environment's c-th target (its own weights; the control's where it has fewer), weighted 1
  // where the target exists; expert K is the control, weighted 1 − |T| (1 for the control, 0 for a single).
  const experts = Array.from({ length: K + 1 }, (_, c) => {
    const weights = sets.map((s) => (c < K ? (s[c] ?? control) : control));
    const coef = sets.map((s) => (c < K ? (c < s.length ? 1 : 0) : s.length === 0 ? 1 : 1 - s.length));
    return { weights, coef };
  }).filter((x) => x.coef.some((a) => a !== 0));
  const levelTable = net.levelBiasTable();
  const parts = experts.map(({ weights, coef }) => {
    const { inj1, bias2 } = net.envBiases(weights);
    const col = B.fromArray(
      Float64Array.from({ length: n }, (_, r) => coef[Math.floor(r / particles)]!),
      [n, 1],
    );
    return { inj1, bias2, col, bias1: null as { level: number; t: T } | null };
  });
  const outputAt: OutputAt<T> = (z, level, s) => {
    for (const p of parts)
      if (!p.bias1 || p.bias1.level !== level) {
        if (p.bias1) B.dispose(p.bias1.t);
        p.bias1 = { level, t: net.firstLayerBias(p.inj1, level, levelTable) };
      }
    return B.scope(() =>
      parts
        .map((p) => B.binary('mul', net.outputAt(z, s, p.bias1!.t, p.bias2, particles), p.col))
        .reduce((a, b) => B.binary('add', a, b)),
    );
  };
  const z = await annealedSampleWith(B, n, d, L, outputAt, o);
  for (const p of parts) [p.inj1, p.bias2, p.col, ...(p.bias1 ? [p.bias1.t] : [])].forEach((x) => B.dispose(x));
  B.dispose(levelTable);
  return z;
}

/** LCD_WEBGPU_SAMPLER_KERNEL=auto|layers|fused: the default for runs that do not name one (checked). */
function samplerKernelFromEnv(): SamplerKernel | undefined {
  const v = typeof process !== 'undefined' ? process.env?.LCD_WEBGPU_SAMPLER_KERNEL : undefined;
  if (!v) return undefined;
  if (!(SAMPLER_KERNELS as readonly string[]).includes(v))
    throw new RangeError(`LCD_WEBGPU_SAMPLER_KERNEL='${v}': use one of ${SAMPLER_KERNELS.join(', ')}`);
  return v as SamplerKernel;
}

/**
 * Which kernel runs this sampling: the requested one, or for 'auto' the faster of the two on this adapter at this
 * size, timed on a scratch state (4 steps each, level 15) the first time and remembered. On the Float64 backend
 * 'auto' is 'layers' (nothing to time). An explicit 'fused' that cannot run here is an error saying why.
 */
export async function samplerKernelFor<T extends TensorLike>(
  B: Backend<T>,
  net: ScoreNet<T>,
  n: number,
  particles: number,
  o: Pick<SamplerOptions, 'kernel' | 'stepsPerLevel' | 'integrator'>,
  biases: { inj1: T; bias2: T },
): Promise<'layers' | 'fused'> {
  const want = o.kernel ?? samplerKernelFromEnv() ?? 'auto';
  const { d, H } = net.shape;
  if (!(B instanceof WebGPUBackend)) return want === 'fused' ? 'fused' : 'layers';
  const e = B.engine;
  const fits = langevinMlpFits(e, d, H);
  if (want === 'fused' && !fits)
    throw new RangeError(
      `sampler kernel 'fused' needs d and H divisible by 4 and ${16 * (d + 2 * H)} B of workgroup memory (d = ${d}, H = ${H}; adapter ${e.limits.maxComputeWorkgroupStorageSize} B): use --sampler-kernel layers or auto`,
    );
  const bucket = 2 ** Math.ceil(Math.log2(Math.max(1, n)));
  const question = `sampler d=${d} H=${H} rows<=${bucket}`;
  if (want !== 'auto' || !fits) {
    const choice = want === 'auto' ? 'layers' : want;
    e.tuning.used.set(question, {
      question,
      choice,
      ms: {},
      at: new Date().toISOString(),
      source: want === 'auto' ? 'default' : 'requested',
    });
    return choice;
  }
  const level = new NoiseSchedule(net.shape.L).level(15);
  const steps = Math.min(4, o.stepsPerLevel);
  // Made only if the candidates run (not when the choice is remembered).
  let inputs: { scratch: T; bias1: T } | null = null;
  const made = () =>
    (inputs ??= {
      scratch: B.randomNormal([n, d], randomStream(0, 'tuning.inputs', 7)),
      bias1: net.firstLayerBias(biases.inj1, 15),
    });
  const at = (k: number): EmStep => ({ level, noise: true, stream: randomStream(0, 'tuning.inputs', 8 + k) });
  const p = net.params;
  const choice = await e.tuning.choose(
    question,
    [
      {
        label: 'layers',
        run: () => {
          const { scratch, bias1 } = made();
          for (let k = 0; k < steps; k++) {
            const g = net.outputAt(scratch, level.s, bias1, biases.bias2, particles);
            B.fused(lcdEmUpdateKernel, [scratch, g], at(k));
            B.dispose(g);
          }
        },
      },
      {
        label: 'fused',
        run: () => {
          const { scratch, bias1 } = made();
          B.fused(
            lcdLangevinMlpKernel,
            [scratch, p['mlp.w1'], bias1, p['mlp.w2'], biases.bias2, p['mlp.w3'], p['mlp.b3']],
            { ...at(0), steps, particles },
          );
        },
      },
    ],
    { runs: 1, samples: 3 },
  );
  const used = inputs as { scratch: T; bias1: T } | null;
  if (used) [used.scratch, used.bias1].forEach((x) => B.dispose(x));
  return choice.choice as 'layers' | 'fused';
}
