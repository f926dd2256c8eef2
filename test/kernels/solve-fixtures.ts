// Batches of test matrices for the solver kernels (seeded, Float64).
import { scratchRng } from '../../src/reference/rng.ts';

/** A = M Mᵀ + n·I per matrix: symmetric positive definite and diagonally dominant. */
export function spdBatch(batch: number, n: number, seed: number): Float64Array {
  const rng = scratchRng(seed, 7),
    out = new Float64Array(batch * n * n);
  for (let b = 0; b < batch; b++) {
    const M = Float64Array.from({ length: n * n }, () => rng.normal());
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = i === j ? n : 0;
        for (let k = 0; k < n; k++) s += M[i * n + k]! * M[j * n + k]!;
        out[b * n * n + i * n + j] = s;
      }
  }
  return out;
}

/** General matrices whose diagonal is small, so partial pivoting has to swap rows. */
export function generalBatch(batch: number, n: number, seed: number): Float64Array {
  const rng = scratchRng(seed, 8);
  return Float64Array.from({ length: batch * n * n }, (_, k) => {
    const i = Math.floor(k / n) % n,
      j = k % n;
    return i === j ? 0.01 * rng.normal() : rng.normal();
  });
}

export function rhsBatch(batch: number, n: number, m: number, seed: number): Float64Array {
  const rng = scratchRng(seed, 9);
  return Float64Array.from({ length: batch * n * m }, () => rng.normal());
}
