// PCA by power iteration (src/stats/pca.ts) against a closed form: rows drawn along two known orthogonal axes with
// variances 9 and 1 (plus small isotropic noise) must give those axes and variances back.
import { describe, it, expect } from 'vitest';
import { pca2, projectPca } from '../src/stats/pca.ts';
import { scratchRng } from '../src/reference/rng.ts';

describe('pca2', () => {
  it('recovers two known axes and their variances', () => {
    const d = 6,
      n = 4000,
      rng = scratchRng(3);
    const a = Float64Array.from([1, 1, 0, 0, 0, 0].map((v) => v / Math.SQRT2));
    const b = Float64Array.from([0, 0, 1, -1, 1, 0].map((v) => v / Math.sqrt(3)));
    const x = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      const u = 3 * rng.normal(),
        w = rng.normal();
      for (let g = 0; g < d; g++) x[i * d + g] = 5 + u * a[g]! + w * b[g]! + 0.05 * rng.normal();
    }
    const p = pca2(x, n, d);
    const dot = (p: Float64Array, q: Float64Array) => p.reduce((s, v, g) => s + v * q[g]!, 0);
    expect(Math.abs(dot(p.axes[0], a))).toBeGreaterThan(0.999);
    expect(Math.abs(dot(p.axes[1], b))).toBeGreaterThan(0.999);
    expect(Math.abs(dot(p.axes[0], p.axes[1]))).toBeLessThan(1e-6);
    expect(p.variance[0]).toBeGreaterThan(9 * 0.93);
    expect(p.variance[0]).toBeLessThan(9 * 1.07);
    expect(p.variance[1]).toBeGreaterThan(0.93);
    expect(p.variance[1]).toBeLessThan(1.07);
    const xy = projectPca(p, x, n);
    const m = xy.reduce((s, [u]) => s + u, 0) / n;
    expect(Math.abs(m)).toBeLessThan(1e-9); // centred on the fitted mean
  });
});
