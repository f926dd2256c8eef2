// Every sampler setting and its default, in one place; the estimator, the jobs and the CLI's defaults and help
// text read them from here. Level indices count from 0 (σ = 10) to 29 (σ = 0.01), see core/noise-schedule.ts.
import { N_LEVELS, noiseLevels } from '../core/noise-schedule.ts';
import type { SamplerIntegrator } from './sampler.ts';

export interface SamplerSettings {
  /** Langevin steps at each noise level. */
  stepsPerLevel: number;
  /** Last noise level annealed through (29 = σ 0.01). */
  lastLevel: number;
  /** 'em' (Euler–Maruyama) or 'lm' (Leimkuhler–Matthews). */
  integrator: SamplerIntegrator;
  /** Step α = stepScale·σ² at each level. */
  stepScale: number;
}

/** The reference implementation's prediction sampler: 500 steps at each of the 30 levels (15,000 evaluations). */
export const REFERENCE_SAMPLER: SamplerSettings = {
  stepsPerLevel: 500,
  lastLevel: N_LEVELS - 1,
  integrator: 'em',
  stepScale: 0.01,
};

/** The library's default (`new LCD()`): 100 steps per level down to σ = 0.01. */
export const LIBRARY_SAMPLER: SamplerSettings = {
  stepsPerLevel: 100,
  lastLevel: N_LEVELS - 1,
  integrator: 'em',
  stepScale: 0.01,
};

/** What `fit` and the main job use: measured on the built-in screen (README, "Built-in screen"), 200 steps per level
 *  stopping at level 22 (σ ≈ 0.05) gave held-out ED 0.066 against 0.113 for 100 steps to σ = 0.01. */
export const MEASURED_SAMPLER: SamplerSettings = {
  stepsPerLevel: 200,
  lastLevel: 22,
  integrator: 'em',
  stepScale: 0.01,
};

/** CLIPR's reading of a trained LCD: probability-flow steps per level for the fixed points, and the level at which
 *  the drift is evaluated (19 = σ ≈ 0.11, measured more accurate than the reference's level 29 over 9 trained models). */
/** How a setting reads in logs: integrator, steps × levels, σ range, step size and the drift evaluations per cell. */
export function describeSampler(s: SamplerSettings): string {
  const name = s.integrator === 'lm' ? 'Leimkuhler–Matthews' : 'Euler–Maruyama';
  return `${name}, ${s.stepsPerLevel} steps × ${s.lastLevel + 1} levels (σ 10 → ${noiseLevels()[s.lastLevel]!.toPrecision(2)}), α = ${s.stepScale}·σ², ${s.stepsPerLevel * (s.lastLevel + 1)} drift evaluations per cell`;
}

export const CLIPR_FLOW_STEPS_PER_LEVEL = 500;
export const DEFAULT_DRIFT_LEVEL = 19;
