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
import { lcdEmUpdateKernel } from './kernels/lcd-em-update.ts';
import type { Backend, TensorLike } from '../ops/backend.ts';
import type { ScoreNet } from './score-net.ts';
import { NoiseSchedule, SIGMA_MIN } from '../core/noise-schedule.ts';
import { randomStream } from '../core/random-streams.ts';

export type SamplerIntegrator = 'em' | 'lm';

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
}

/** g(z) at noise level `level` (s = 1/√(1+σ²)) for the whole batch of rows. */
export type OutputAt<T> = (z: T, level: number, s: number) => T;

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
  let step = 0;
  for (let t = 0; t <= last; t++) {
    const level = schedule.level(t);
    for (let k = 0; k < o.stepsPerLevel; k++) {
      const g = outputAt(z, t, level.s);
      B.fused(lcdEmUpdateKernel, [z, g], {
        level,
        noise: o.noise ?? true,
        // EM step k draws counter k + 1; LM step k reuses counter k (the previous step's noise, fresh at k = 0).
        stream: noiseStream(1 + step),
        ...(lm ? { prev: noiseStream(step) } : {}),
      });
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
  const { inj1, bias2 } = net.envBiases(envWeights);
  const levelTable = net.levelBiasTable();
  // Per-(level, environment) first-layer bias: temb[t] + b1 + U1ē + u1, built once per level.
  let cached: { level: number; bias1: T } | null = null;
  const outputAt: OutputAt<T> = (z, level, s) => {
    if (!cached || cached.level !== level) {
      if (cached) B.dispose(cached.bias1);
      cached = { level, bias1: net.firstLayerBias(inj1, level, levelTable) };
    }
    return net.outputAt(z, s, cached.bias1, bias2, particles);
  };
  const z = await annealedSampleWith(B, envWeights.length * particles, d, L, outputAt, o);
  if (cached) B.dispose((cached as { bias1: T }).bias1);
  [inj1, bias2, levelTable].forEach((x) => B.dispose(x));
  return z;
}
