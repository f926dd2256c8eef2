// Scalar Float64 functions shared by the references, the simulators and the measurement model.

/** softplus(x) = log(1 + eˣ), stable for large |x|. */
export const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

/** log k! for a non-negative integer k, as an exact sum of logs (counts are integers; lgamma(k + 1)). */
export function logFactorial(k: number): number {
  let s = 0;
  for (let j = 2; j <= k; j++) s += Math.log(j);
  return s;
}
