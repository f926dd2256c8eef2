// Metrics and data benchmarks: energy distance + MMD on the GPU beside the Float64 CPU reference in the same run,
// and the h5ad load time of the shared file.
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Engine } from '../src/gpu/engine.ts';
import { distancesGpu } from '../src/metrics/distribution-gpu.ts';
import { energyDistance, mmd } from '../src/metrics/distribution.ts';
import { readH5ad } from '../src/node/h5ad.ts';
import { scratchRng } from '../src/reference/rng.ts';
import { record, median } from './harness.ts';

export async function metricsBenchmarks(e: Engine, quick: boolean): Promise<void> {
  const dev = { adapter: e.info.description || e.info.architecture, backend: e.info.backend };
  const [n, d] = quick ? [300, 300] : [1000, 1000];
  const rng = scratchRng(0);
  const X = Float32Array.from({ length: n * d }, () => rng.normal()),
    Y = Float32Array.from({ length: n * d }, () => rng.normal() + 0.1);
  await distancesGpu(e, X.subarray(0, 64 * d), 64, Y.subarray(0, 64 * d), 64, d); // warm-up: pipeline compiles
  let t0 = performance.now();
  const gpu = await distancesGpu(e, X, n, Y, n, d);
  const gpuS = (performance.now() - t0) / 1e3;
  t0 = performance.now();
  const ref = {
    ed: energyDistance({ values: X, n }, { values: Y, n }, d),
    mmd: mmd({ values: X, n }, { values: Y, n }, d),
  };
  const cpuS = (performance.now() - t0) / 1e3;
  record({ name: 'ed_mmd_gpu', value: gpuS, unit: 's', cells: n, genes: d, ...dev });
  record({ name: 'ed_mmd_f64_cpu', value: cpuS, unit: 's', cells: n, genes: d });
  record({ name: 'ed_mmd_gpu_speedup', value: cpuS / gpuS, unit: 'x', cells: n, genes: d, ...dev });
  record({ name: 'ed_gpu_abs_error', value: Math.abs(gpu.ed - ref.ed), unit: 'abs', cells: n, genes: d, ed: ref.ed });
  record({
    name: 'mmd_gpu_abs_error',
    value: Math.abs(gpu.mmd - ref.mmd),
    unit: 'abs',
    cells: n,
    genes: d,
    mmd: ref.mmd,
  });
  const shared = join(
    dirname(fileURLToPath(import.meta.url)),
    '..',
    '..',
    'shared',
    'data',
    'norman19_mcfaline23_devel.h5ad',
  );
  if (existsSync(shared)) {
    const times: number[] = [];
    for (let r = 0; r < 3; r++) {
      t0 = performance.now();
      await readH5ad(shared);
      times.push((performance.now() - t0) / 1e3);
    }
    record({
      name: 'h5ad_load',
      value: median(times),
      unit: 's',
      file: 'norman19_mcfaline23_devel.h5ad',
      cells: 5961,
      genes: 500,
    });
  }
}
