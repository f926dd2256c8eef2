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

/** The default everywhere (`new LCD()`, `fit`, the main job, the web app), measured (README, "Sampler"):
 *  Leimkuhler–Matthews, 20 steps per level with α = 0.1·σ², stopping at level 22 (σ ≈ 0.05): 460 drift evaluations
 *  per cell, 1/10 of the former default (Euler–Maruyama, 200 steps, α = 0.01·σ²). Both give each level the same
 *  Langevin time N·α/σ² = 2, which mattered more than the step count: on a simulated count screen a time of 4 per
 *  level (20 × 0.2, 40 × 0.1, 80 × 0.05) raised the held-out distance 1.7×. Held-out energy distance against the
 *  former default: built-in screen 0.86× (0.68–1.10, 3 screens × 2 sampler seeds), count screen 1.05×. */
export const MEASURED_SAMPLER: SamplerSettings = { stepsPerLevel: 20, lastLevel: 22, integrator: 'lm', stepScale: 0.1 };

/** The former default, kept selectable: Euler–Maruyama, 200 steps per level at α = 0.01·σ² down to level 22. */
export const PREVIOUS_SAMPLER: SamplerSettings = {
  stepsPerLevel: 200,
  lastLevel: 22,
  integrator: 'em',
  stepScale: 0.01,
};

/** The library's default (`new LCD()`): the measured one. */
export const LIBRARY_SAMPLER: SamplerSettings = MEASURED_SAMPLER;

/** How a setting reads in logs: integrator, steps × levels, σ range, step size and the drift evaluations per cell. */
export function describeSampler(s: SamplerSettings): string {
  const name = s.integrator === 'lm' ? 'Leimkuhler–Matthews' : 'Euler–Maruyama';
  return `${name}, ${s.stepsPerLevel} steps × ${s.lastLevel + 1} levels (σ 10 → ${noiseLevels()[s.lastLevel]!.toPrecision(2)}), α = ${s.stepScale}·σ², ${s.stepsPerLevel * (s.lastLevel + 1)} drift evaluations per cell`;
}

export const CLIPR_FLOW_STEPS_PER_LEVEL = 500;
export const DEFAULT_DRIFT_LEVEL = 19;
/** Cells sampled per environment for CLIPR's response reading (each environment's state is their mean). */
export const CLIPR_RESPONSE_CELLS = 300;
