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

async function blockSums(
  e: Engine,
  x: GpuTensor,
  y: GpuTensor,
  nx: GpuTensor,
  ny: GpuTensor,
  gammas: number[],
): Promise<Float64Array> {
  const [n, m] = [x.shape[0]!, y.shape[0]!];
  const out = pairwiseStats(e, matmul(e, x, y, { transB: true }), nx, ny, gammas);
  const rows = await e.read(out);
  const sums = new Float64Array(11);
  for (let i = 0; i < n; i++) for (let k = 0; k < 11; k++) sums[k]! += rows[i * 11 + k]!;
  return sums;
}

export interface DistanceResult {
  ed: number;
  mmd: number;
  /** The energy distance with within-sample means over all pairs, diagonal included (cell-eval's form). */
  edAllPairs: number;
}

/** Energy distance and MMD between X [n×d] and Y [m×d] (row-major host arrays). */
export async function distancesGpu(
  e: Engine,
  X: ArrayLike<number>,
  n: number,
  Y: ArrayLike<number>,
  m: number,
  d: number,
): Promise<DistanceResult> {
  return e.scope(async () => {
    const x = e.upload(X, [n, d]),
      y = e.upload(Y, [m, d]);
    const nx = reduce(e, 'sumsq', x, 1),
      ny = reduce(e, 'sumsq', y, 1);
    const gammas = mmdBandwidths(d).map((l) => 1 / (2 * l * l));
    const xy = await blockSums(e, x, y, nx, ny, gammas),
      xx = await blockSums(e, x, x, nx, nx, gammas),
      yy = await blockSums(e, y, y, ny, ny, gammas);
    const ed = (2 * xy[0]!) / (n * m) - xx[0]! / (n * (n - 1)) - yy[0]! / (m * (m - 1));
    let mmd = 0;
    for (let k = 1; k <= 10; k++)
      mmd += (xx[k]! - n) / (n * (n - 1)) + (yy[k]! - m) / (m * (m - 1)) - (2 * xy[k]!) / (n * m);
    const edAllPairs = (2 * xy[0]!) / (n * m) - xx[0]! / (n * n) - yy[0]! / (m * m);
    return { ed, mmd: mmd / 10, edAllPairs };
  });
}
