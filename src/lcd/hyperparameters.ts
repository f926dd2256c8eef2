// LCD's hyperparameters and their defaults, apart from the model so that its file format (io.ts) can name them
// without importing the model that imports it.
import type { SamplerIntegrator } from './sampler.ts';
import { LIBRARY_SAMPLER } from './sampler-settings.ts';

export interface LcdHyperparameters {
  /** Hidden width H of the score MLP (reference: 1024). */
  hidden: number;
  /** Perturbation-embedding width (reference: 1024 = H); default H. */
  embedDim: number;
  /** DSM training steps (reference: 50,000). */
  steps: number;
  /** Cells per training step (reference: 8192). */
  batchSize: number;
  /** Environments per training step, the batch split evenly between them (reference: 1). */
  envsPerBatch: number;
  /** Peak learning rate of the cosine schedule (reference: 1e-3). */
  learningRate: number;
  /** AdamW decoupled weight decay (reference: 0.3 Norman, 1.0 synthetic, over 50k steps). */
  weightDecay: number;
  /** Langevin steps per noise level at prediction (reference: 500). */
  stepsPerLevel: number;
  /** Last noise level index used when sampling (29 = σ 0.01, the reference). */
  lastLevel: number;
  /** Noise levels DSM trains: 0 … trainLevels − 1 (the reference: all 30). By default lastLevel + 1, the levels the
   *  sampler visits: a level past the sampler's last is never read when predicting, and training it costs a quarter
   *  of the steps at the defaults (levels 23–29 of 30). A model samples, flows and is read by CLIPR only at levels it
   *  trained. Models saved before this option trained every level (`loadCheckpoint` fills that in). */
  trainLevels: number;
  /** Sampler integrator: 'em' (Euler–Maruyama, the reference) or 'lm' (Leimkuhler–Matthews); see sampler.ts. */
  integrator: SamplerIntegrator;
  /** Langevin step α = stepScale·σ² (the reference: 0.01). */
  stepScale: number;
  seed: number;
  /** Lower bound of the per-gene standardisation scale (0 = the reference; see standardize.ts). */
  scaleFloor: number;
  /** Decay β of an exponential moving average of the weights, the model the fit returns (absent or 0: the last
   *  iterate, as the reference). See `emaDecayAt`. */
  emaDecay?: number;
  /** Where the cosine schedule ends, as a fraction of the peak learning rate (absent or 0: at zero, the reference's
   *  schedule). With a weight average (emaDecay) a floor keeps the last steps moving and lets the average smooth them:
   *  3,000 steps with floor 0.5 and a weight average read as 4,000 without on four screen families, the main job's
   *  budget (README, "A shorter budget that holds"). */
  learningRateFloor?: number;
}

export const LCD_DEFAULTS: LcdHyperparameters = {
  hidden: 128,
  embedDim: 0,
  steps: 3000,
  batchSize: 512,
  envsPerBatch: 1,
  learningRate: 1e-3,
  weightDecay: 0.01,
  stepsPerLevel: LIBRARY_SAMPLER.stepsPerLevel,
  lastLevel: LIBRARY_SAMPLER.lastLevel,
  trainLevels: LIBRARY_SAMPLER.lastLevel + 1,
  integrator: LIBRARY_SAMPLER.integrator,
  stepScale: LIBRARY_SAMPLER.stepScale,
  seed: 0,
  scaleFloor: 0,
};

/** Hyperparameters with the defaults filled in: the one place they are merged (the model, a checkpoint's check,
 *  the report). */
export const resolveHyperparameters = (hp: Partial<LcdHyperparameters> = {}): LcdHyperparameters => ({
  ...LCD_DEFAULTS,
  ...hp,
  // unset: the levels the sampler visits (a sampler that goes further than the default's trains them too)
  trainLevels: hp.trainLevels ?? (hp.lastLevel ?? LCD_DEFAULTS.lastLevel) + 1,
});
