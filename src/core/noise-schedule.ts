// The noise schedule of LCD's score model (spec §4.1, §5), defined once: every level's σ, the "song" input scale
// s = 1/√(1+σ²) and the annealed Langevin step α. DSM, both samplers, CLIPR, the fused GPU step and its Float64
// twin all take a level from here, so no file recomputes them. Engine-free: plain numbers.
import type { RandomStream } from './random-streams.ts';

export const N_LEVELS = 30;
export const SIGMA_MAX = 10;
export const SIGMA_MIN = 0.01;
/** The reference's anneal_dt: α_t = anneal_dt · (σ_t/σ_min)² = 0.01·σ_t² at the default σ_min. */
export const ANNEAL_DT = 1e-6;

/** One noise level: index t (0 = σ_max), σ_t, the song scale s_t = 1/√(1+σ_t²) and the Langevin step α_t. */
export interface NoiseLevel {
  readonly index: number;
  readonly sigma: number;
  readonly s: number;
  readonly alpha: number;
}

/** σ_t = geomspace(σ_max, σ_min, L): t = 0 is σ = 10, t = L−1 is σ = 0.01 (adjacent ratio 1000^(1/29) ≈ 1.269). */
export function noiseLevels(L = N_LEVELS, max = SIGMA_MAX, min = SIGMA_MIN): Float64Array {
  return Float64Array.from({ length: L }, (_, t) => max * Math.pow(min / max, t / (L - 1)));
}

/** Annealed Langevin step α = anneal_dt · (σ/σ_min)². */
export const stepSize = (sigma: number, annealDt = ANNEAL_DT, sigmaMin = SIGMA_MIN): number =>
  annealDt * (sigma / sigmaMin) ** 2;

/** The song wrapper's input scale s = 1/√(1+σ²): the noisy data x + σε has variance 1+σ² for unit data. */
export const songScale = (sigma: number): number => 1 / Math.sqrt(1 + sigma * sigma);

export class NoiseSchedule {
  readonly sigmas: Float64Array;
  readonly levels: readonly NoiseLevel[];

  constructor(
    readonly L = N_LEVELS,
    readonly annealDt = ANNEAL_DT,
    readonly sigmaMax = SIGMA_MAX,
    readonly sigmaMin = SIGMA_MIN,
  ) {
    this.sigmas = noiseLevels(L, sigmaMax, sigmaMin);
    this.levels = Array.from(this.sigmas, (sigma, index) => ({
      index,
      sigma,
      s: songScale(sigma),
      alpha: stepSize(sigma, annealDt, sigmaMin),
    }));
  }

  /** The reference schedule: 30 levels from σ = 10 to σ = 0.01, anneal_dt = 1e-6. */
  static readonly reference = new NoiseSchedule();

  level(t: number): NoiseLevel {
    const l = this.levels[t];
    if (!l) throw new RangeError(`noise level ${t} is outside 0 … ${this.L - 1}`);
    return l;
  }
}

/** One fused sampler step (shaders/lcd_em_update.wgsl and its Float64 twin): the level, and the stream of its
 *  Langevin noise ('sampler.noise' at (step, chunk)); `noise: false` is the probability-flow step. With `prev`
 *  (the previous step's stream) the step is Leimkuhler–Matthews, noise √(α/2)(ξ_prev + ξ), else Euler–Maruyama,
 *  noise √(2α)ξ. */
export interface EmStep {
  level: Pick<NoiseLevel, 'sigma' | 's' | 'alpha'>;
  noise: boolean;
  stream: RandomStream;
  prev?: RandomStream;
}

/** The noise scales of one sampler step: of this step's normals and of the previous step's (0 = not drawn). */
export function noiseScales(o: EmStep): { noiseScale: number; prevScale: number } {
  if (!o.noise) return { noiseScale: 0, prevScale: 0 };
  if (o.prev) return { noiseScale: Math.sqrt(o.level.alpha / 2), prevScale: Math.sqrt(o.level.alpha / 2) };
  return { noiseScale: Math.sqrt(2 * o.level.alpha), prevScale: 0 };
}
