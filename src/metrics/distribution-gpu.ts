// Energy distance and MMD on the GPU (definitions in distribution.ts, the Float64 reference): the pairwise dot
// products are one matmul per sample pair, the fused kernel pairwise_stats (kernels/pairwise-stats.ts) turns them into per-row sums, and the host adds
// the rows in f64 and removes the diagonal of the within-sample blocks exactly (d = 0 contributes √0 = 0 to the
// energy sum and exp(0) = 1 to every kernel sum).
import type { Engine } from '../gpu/engine.ts';
import type { GpuTensor } from '../gpu/tensor.ts';
import { matmul } from '../gpu/kernels/matmul.ts';
import { reduce } from '../gpu/kernels/reduce.ts';
import { mmdBandwidths } from './distribution.ts';
import { pairwiseStats } from './kernels/pairwise-stats.ts';

/** Sums over the pairs of rows of X and Y (the 11 statistics of pairwise_stats). The [n×m] dot-product matrix is
 *  made a block of Y's rows at a time, as many as keep it within `maxBlockBytes`: one block when it fits (then the
 *  sums are those of the whole matrix), several for large samples, whose per-row partial sums the host adds in f64. */
async function blockSums(
  e: Engine,
  x: GpuTensor,
  Y: Float32Array,
  m: number,
  d: number,
  nx: GpuTensor,
  gammas: number[],
  maxBlockBytes: number,
): Promise<Float64Array> {
  const n = x.shape[0]!,
    cols = Math.max(1, Math.min(m, Math.floor(maxBlockBytes / (4 * n))));
  const sums = new Float64Array(11);
  for (let j = 0; j < m; j += cols) {
    const k = Math.min(cols, m - j);
    await e.scope(async () => {
      const y = e.upload(Y.subarray(j * d, (j + k) * d), [k, d]),
        ny = reduce(e, 'sumsq', y, 1);
      const rows = await e.read(pairwiseStats(e, matmul(e, x, y, { transB: true }), nx, ny, gammas));
      for (let i = 0; i < n; i++) for (let s = 0; s < 11; s++) sums[s]! += rows[i * 11 + s]!;
    });
  }
  return sums;
}

export interface DistanceResult {
  ed: number;
  mmd: number;
  /** The energy distance with within-sample means over all pairs, diagonal included (cell-eval's form). */
  edAllPairs: number;
}

/** Energy distance and MMD between X [n×d] and Y [m×d] (row-major host arrays). `maxBlockBytes` bounds one block of
 *  the pairwise matrix (default: half the device's largest storage binding). */
export async function distancesGpu(
  e: Engine,
  X: ArrayLike<number>,
  n: number,
  Y: ArrayLike<number>,
  m: number,
  d: number,
  maxBlockBytes = e.limits.maxStorageBufferBindingSize / 2,
): Promise<DistanceResult> {
  const Xf = X instanceof Float32Array ? X : Float32Array.from(X),
    Yf = Y instanceof Float32Array ? Y : Float32Array.from(Y);
  return e.scope(async () => {
    const x = e.upload(Xf.subarray(0, n * d), [n, d]),
      y = e.upload(Yf.subarray(0, m * d), [m, d]);
    const nx = reduce(e, 'sumsq', x, 1),
      ny = reduce(e, 'sumsq', y, 1);
    const gammas = mmdBandwidths(d).map((l) => 1 / (2 * l * l));
    const xy = await blockSums(e, x, Yf, m, d, nx, gammas, maxBlockBytes),
      xx = await blockSums(e, x, Xf, n, d, nx, gammas, maxBlockBytes),
      yy = await blockSums(e, y, Yf, m, d, ny, gammas, maxBlockBytes);
    const ed = (2 * xy[0]!) / (n * m) - xx[0]! / (n * (n - 1)) - yy[0]! / (m * (m - 1));
    let mmd = 0;
    for (let k = 1; k <= 10; k++)
      mmd += (xx[k]! - n) / (n * (n - 1)) + (yy[k]! - m) / (m * (m - 1)) - (2 * xy[k]!) / (n * m);
    const edAllPairs = (2 * xy[0]!) / (n * m) - xx[0]! / (n * n) - yy[0]! / (m * m);
    return { ed, mmd: mmd / 10, edAllPairs };
  });
}
