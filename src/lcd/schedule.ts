// Level indices and the sinusoidal level embedding; σ, s and α of every level come from the NoiseSchedule in
// src/core/noise-schedule.ts (re-exported here for LCD's callers).
import { N_LEVELS } from '../core/noise-schedule.ts';

export {
  N_LEVELS,
  SIGMA_MAX,
  SIGMA_MIN,
  noiseLevels,
  stepSize,
  songScale,
  NoiseSchedule,
  type NoiseLevel,
} from '../core/noise-schedule.ts';
/** Whether `t` is a noise-level index 0 … N_LEVELS − 1 (0 = σ_max, N_LEVELS − 1 = σ_min). */
export const isLevelIndex = (t: number): boolean => Number.isInteger(t) && t >= 0 && t < N_LEVELS;

/** Sinusoidal level embedding: half = H/2, k = ln(L)/(half − 1), features [sin(t·e^{−jk}), cos(t·e^{−jk})] (+0 if H odd). */
export function sinusoidalTable(H: number, L = N_LEVELS): Float64Array {
  const half = Math.floor(H / 2);
  const k = Math.log(L) / Math.max(1, half - 1);
  const out = new Float64Array(L * H);
  for (let t = 0; t < L; t++)
    for (let j = 0; j < half; j++) {
      const a = t * Math.exp(-j * k);
      out[t * H + j] = Math.sin(a);
      out[t * H + half + j] = Math.cos(a);
    }
  return out;
}
