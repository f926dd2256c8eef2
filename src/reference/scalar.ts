// Scalar Float64 functions shared by the references, the simulators and the measurement model.

/** softplus(x) = log(1 + eˣ), stable for large |x|. */
export const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
/** The logistic function, with exp's argument ≤ 0 in both branches. */
export const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** log k! for a non-negative integer k, as an exact sum of logs (counts are integers; lgamma(k + 1)). */
export function logFactorial(k: number): number {
  let s = 0;
  for (let j = 2; j <= k; j++) s += Math.log(j);
  return s;
}

/**
 * One try of Hörmann's PTRS transformed-rejection Poisson sampler (1993; exact for λ ≥ 10) with uniforms u0, v:
 * the draw, or −1 when rejected. `logFact` is log k! (exact in the simulators, Stirling's series in the GPU twin).
 */
export function ptrsTry(lam: number, u0: number, v: number, logFact: (k: number) => number): number {
  const slam = Math.sqrt(lam),
    loglam = Math.log(lam);
  const b = 0.931 + 2.53 * slam,
    a = -0.059 + 0.02483 * b,
    invalpha = 1.1239 + 1.1328 / (b - 3.4),
    vr = 0.9277 - 3.6224 / (b - 2);
  const u = u0 - 0.5,
    us = 0.5 - Math.abs(u);
  const k = Math.floor(((2 * a) / us + b) * u + lam + 0.43);
  if (us >= 0.07 && v <= vr) return k;
  if (k < 0 || (us < 0.013 && v > us)) return -1;
  return Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -lam + k * loglam - logFact(k) ? k : -1;
}
