// Annealed Langevin sampling (spec §5): levels t = 0..last, N Euler–Maruyama steps each with α_t = 0.01·σ_t²,
// particles × environments batched (environment-major rows), one submit per step. With `noise: false` this is
// the probability flow (deterministic annealed ascent on log p_σ), which CLIPR uses for fixed points.
import type { Backend, TensorLike } from '../ops/backend.ts';
import type { ScoreNet } from './score-net.ts';
import { noiseLevels, stepSize } from './schedule.ts';

export interface SamplerOptions {
  stepsPerLevel: number;
  /** Last level index to run (29 = down to σ = 0.01). */
  lastLevel?: number;
  seed: number;
  noise?: boolean;
  /** 'normal': z₀ ~ N(0, I) (Philox stream (seed, 0, 99)); 'zero': z₀ = 0. */
  init?: 'normal' | 'zero';
  annealDt?: number;
  /** Philox stream id of the noise (c2); distinct calls with the same seed should use distinct streams. */
  stream?: number;
  onLevel?: (level: number) => void;
}

/** Run the sampler for environments with weight rows [E×G]; returns z [E·particles × d] (standardised). */
export function annealedSample<T extends TensorLike>(B: Backend<T>, net: ScoreNet<T>, envWeights: Float64Array[], particles: number, o: SamplerOptions): T {
  const { d, L, G } = net.shape;
  const E = envWeights.length;
  const W = new Float64Array(E * Math.max(G, 1));
  envWeights.forEach((w, e) => W.set(w, e * Math.max(G, 1)));
  const Wt = B.fromArray(W, [E, Math.max(G, 1)]);
  const { inj1, bias2 } = net.envBiases(Wt);
  const levelTable = net.levelBiasTable();
  const sig = noiseLevels(L);
  const last = o.lastLevel ?? L - 1;
  const n = E * particles;
  const z = (o.init ?? 'normal') === 'zero' ? B.full([n, d], 0) : B.randomNormal([n, d], o.seed, 0, 99);
  let step = 0;
  for (let t = 0; t <= last; t++) {
    const onehot = new Float64Array(L); onehot[t] = 1;
    const oh = B.fromArray(onehot, [1, L]);
    const row = B.matmul(oh, levelTable);                          // temb[t] + b1, [1×H]
    const bias1 = B.binary('add', inj1, row);                      // [E×H]
    const sigma = sig[t]!, alpha = stepSize(sigma, o.annealDt), s = 1 / Math.sqrt(1 + sigma * sigma);
    for (let k = 0; k < o.stepsPerLevel; k++) {
      const g = net.outputAt(z, s, bias1, bias2, particles);
      B.emUpdate(z, g, { sigma, alpha, noise: o.noise ?? true, seed: o.seed, step: 1 + step++, stream: o.stream ?? 1 });
      B.dispose(g);
      B.flush();
    }
    [oh, row, bias1].forEach((x) => B.dispose(x));
    o.onLevel?.(t);
  }
  [Wt, inj1, bias2, levelTable].forEach((x) => B.dispose(x));
  return z;
}
