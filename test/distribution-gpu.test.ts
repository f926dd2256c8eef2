import { describe, it, expect } from 'vitest';
import { testEngine } from './helpers/gpu.ts';
import { distancesGpu } from '../src/metrics/distribution-gpu.ts';
import { energyDistance, energyDistanceAllPairs, mmd } from '../src/metrics/distribution.ts';
import { scratchRng } from '../src/reference/rng.ts';

const engine = await testEngine();
describe.skipIf(!engine)('energy distance and MMD on the GPU vs the Float64 reference', () => {
  it.each([
    [120, 90, 20, 0.7],
    [64, 64, 50, 0],
    [200, 30, 7, 2],
  ])('n=%i m=%i d=%i shift=%s', async (n, m, d, shift) => {
    const rng = scratchRng(n + m + d);
    const X = Float32Array.from({ length: n * d }, () => rng.normal());
    const Y = Float32Array.from({ length: m * d }, (_, i) => rng.normal() * 1.2 + (i % d === 0 ? shift : 0));
    const got = await distancesGpu(engine!, X, n, Y, m, d);
    const ed = energyDistance({ values: X, n }, { values: Y, n: m }, d),
      mm = mmd({ values: X, n }, { values: Y, n: m }, d);
    expect(Math.abs(got.ed - ed)).toBeLessThan(1e-4 * Math.max(1, Math.sqrt(d)));
    expect(Math.abs(got.mmd - mm)).toBeLessThan(2e-5);
    // cell-eval's form (all-pair within means, diagonal included) against its Float64 twin
    const edAll = energyDistanceAllPairs({ values: X, n }, { values: Y, n: m }, d);
    expect(Math.abs(got.edAllPairs - edAll)).toBeLessThan(1e-4 * Math.max(1, Math.sqrt(d)));
    expect(got.edAllPairs).toBeGreaterThan(got.ed); // the zero diagonal lowers both within means
    if (shift === 0 && n === m) {
      expect(Math.abs(got.ed)).toBeLessThan(0.3);
    }
  });

  it('a pairwise matrix over the block budget is made in blocks of rows: the same distances', async () => {
    const rng = scratchRng(11),
      [n, m, d] = [150, 110, 6];
    const X = Float32Array.from({ length: n * d }, () => rng.normal());
    const Y = Float32Array.from({ length: m * d }, (_, i) => rng.normal() + (i % d === 1 ? 0.4 : 0));
    const whole = await distancesGpu(engine!, X, n, Y, m, d);
    // 4 kB: 6 (of 110 or 150) columns a block against 150 rows, 9 against 110
    const blocks = await distancesGpu(engine!, X, n, Y, m, d, 4096);
    const ed = energyDistance({ values: X, n }, { values: Y, n: m }, d),
      mm = mmd({ values: X, n }, { values: Y, n: m }, d);
    expect(Math.abs(blocks.ed - ed)).toBeLessThan(1e-4 * Math.sqrt(d));
    expect(Math.abs(blocks.mmd - mm)).toBeLessThan(2e-5);
    expect(Math.abs(blocks.ed - whole.ed)).toBeLessThan(1e-5);
    expect(Math.abs(blocks.edAllPairs - whole.edAllPairs)).toBeLessThan(1e-5);
  });

  it('two samples of one distribution give ≈ 0 (possibly slightly negative), a shifted one does not', async () => {
    const rng = scratchRng(3),
      d = 10,
      n = 300;
    const draw = (mu: number) => Float32Array.from({ length: n * d }, () => rng.normal() + mu);
    const same = await distancesGpu(engine!, draw(0), n, draw(0), n, d);
    const diff = await distancesGpu(engine!, draw(0), n, draw(0.5), n, d);
    expect(Math.abs(same.ed)).toBeLessThan(0.05);
    expect(diff.ed).toBeGreaterThan(10 * Math.abs(same.ed));
    expect(diff.mmd).toBeGreaterThan(10 * Math.abs(same.mmd));
  });
});
