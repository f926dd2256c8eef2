// Fused kernel `pairwise_stats` (shaders/pairwise_stats.wgsl): per-row sums over a block of pairwise distances for
// energy distance and RBF-MMD, from the Gram block G = X·Yᵀ and the squared row norms:
//   d²_ij = max(‖x_i‖² + ‖y_j‖² − 2 G_ij, 0),  out[i, 0] = Σ_j √d²_ij,  out[i, 1 + k] = Σ_j exp(−γ_k d²_ij).
// Diagonal terms of a within-sample block are included; distribution-gpu.ts removes them exactly.
// Test: test/kernels/pairwise_stats.test.ts.
import type { Engine } from '../../gpu/engine.ts';
import { foldGrid } from '../../gpu/grid.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import { ShapeError } from '../../core/errors.ts';
import { refArray, type RefArray } from '../../reference/kernels.ts';
import { input, type FusedKernel } from '../../ops/fused-kernel.ts';

const WG = 64;

/** The ten RBF bandwidth parameters γ_k of the MMD (one per kernel). */
export interface PairwiseAttrs {
  gammas: readonly number[];
}

export function pairwiseStats(
  e: Engine,
  G: GpuTensor,
  nx: GpuTensor,
  ny: GpuTensor,
  gammas: readonly number[],
): GpuTensor {
  const [n, m] = [G.shape[0]!, G.shape[1]!];
  if (nx.size !== n || ny.size !== m || gammas.length !== 10)
    throw new ShapeError(
      `pairwise_stats: Gram block [${G.shape.join('×')}] needs ${n} and ${m} row norms (got ${nx.size}, ${ny.size}) and 10 bandwidths (got ${gammas.length})`,
    );
  const out = e.empty([n, 11], 'pairwise-stats');
  const g = Object.fromEntries(gammas.map((v, k) => [`g${k}`, v]));
  e.dispatch('pairwise_stats', { WG }, [G, nx, ny, out], { n, m, ...g }, foldGrid(Math.ceil(n / WG)));
  return out;
}

export function pairwiseStatsReference(G: RefArray, nx: RefArray, ny: RefArray, gammas: readonly number[]): RefArray {
  const [n, m] = [G.shape[0]!, G.shape[1]!];
  const out = new Float64Array(n * 11);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      const d2 = Math.max(nx.data[i]! + ny.data[j]! - 2 * G.data[i * m + j]!, 0);
      out[i * 11] += Math.sqrt(d2);
      for (let k = 0; k < 10; k++) out[i * 11 + 1 + k] += Math.exp(-gammas[k]! * d2);
    }
  return refArray(out, [n, 11]);
}

export const pairwiseStatsKernel: FusedKernel<PairwiseAttrs> = {
  name: 'pairwise_stats',
  inputs: ['G [n × m] = X·Yᵀ', 'nx [n] = ‖x_i‖²', 'ny [m] = ‖y_j‖²'],
  outputs: ['sums [n × 11]: Σ_j d_ij, then Σ_j exp(−γ_k d²_ij) for the 10 bandwidths'],
  summary: 'per-row sums of distances and RBF kernels over a Gram block (energy distance and MMD)',
  tolerance: { atol: 1e-4, rtol: 1e-4 },
  gpu(e, xs, a) {
    return [pairwiseStats(e, input(this, xs, 0), input(this, xs, 1), input(this, xs, 2), a.gammas)];
  },
  reference(xs, a) {
    return [pairwiseStatsReference(input(this, xs, 0), input(this, xs, 1), input(this, xs, 2), a.gammas)];
  },
};
