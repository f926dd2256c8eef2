// The CLIPR final step on the GPU in f32: A = −F0 (X*ᵀX* + λI_k)⁻¹ X*ᵀ with a batched Cholesky solve.
// Kept beside the f64 CPU default (clipr.ts) so the two can be compared: see bench/clipr.bench.ts.
import type { Engine } from '../gpu/engine.ts';
import { matmul } from '../gpu/kernels/matmul.ts';
import { binary, transpose } from '../gpu/kernels/elementwise.ts';
import { solveSpdBatched } from './kernels/solve.ts';

/** F and X are d×k row-major (columns = queries). Returns A (d×d, row-major). */
export async function solveLinearDriftGpu(
  e: Engine,
  F: ArrayLike<number>,
  X: ArrayLike<number>,
  d: number,
  k: number,
  lambda: number,
): Promise<Float32Array> {
  return e.scope(async () => {
    const x = e.upload(X, [d, k]),
      f = e.upload(F, [d, k]);
    const reg = new Float32Array(k * k);
    for (let i = 0; i < k; i++) reg[i * k + i] = lambda;
    const G = binary(e, 'add', matmul(e, x, x, { transA: true }), e.upload(reg, [k, k])); // X*ᵀX* + λI (k×k)
    const Y = await solveSpdBatched(e, G, transpose(e, x)); // (·)⁻¹ X*ᵀ (k×d)
    return e.read(matmul(e, f, Y, { alpha: -1 }));
  });
}
