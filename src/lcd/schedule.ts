// Noise levels and Langevin step sizes (spec §4.1, §5).

export const N_LEVELS = 30;
/** Whether `t` is a noise-level index 0 … N_LEVELS − 1 (0 = σ_max, N_LEVELS − 1 = σ_min). */
export const isLevelIndex = (t: number): boolean => Number.isInteger(t) && t >= 0 && t < N_LEVELS;
export const SIGMA_MAX = 10;
export const SIGMA_MIN = 0.01;

/** σ_t = geomspace(σ_max, σ_min, L): t = 0 is σ = 10, t = L−1 is σ = 0.01 (adjacent ratio 1000^(1/29) ≈ 1.269). */
export function noiseLevels(L = N_LEVELS, max = SIGMA_MAX, min = SIGMA_MIN): Float64Array {
  return Float64Array.from({ length: L }, (_, t) => max * Math.pow(min / max, t / (L - 1)));
}

/** Annealed Langevin step α_t = anneal_dt · (σ_t/σ_min)², anneal_dt = 1e-6, i.e. α_t = 0.01·σ_t². */
export const stepSize = (sigma: number, annealDt = 1e-6, sigmaMin = SIGMA_MIN): number =>
  annealDt * (sigma / sigmaMin) ** 2;

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
