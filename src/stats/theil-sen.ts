// Theil–Sen regression without intercept for two regressors, y ≈ c₁x₁ + c₂x₂, as scikit-learn's TheilSenRegressor
// (fit_intercept=False) computes it: the exact solution on every pair of observations (subsets of size
// n_features = 2), then the spatial median of those coefficient vectors (Weiszfeld iterations as in sklearn's
// _spatial_median, modified at data points; started at the mean; iterated to a step < 1e-9, tighter than
// sklearn's squared step < 1e-3). When there are more than `maxSubpopulation` pairs (default 1e5,
// the reference's setting), that many pairs are drawn at random from an explicit seed (Philox) instead of all.
// The estimate has a breakdown point of ≈ 29 %: it ignores gross outliers that drag least squares away.
import { Rng } from '../reference/rng.ts';
import { randomStream } from '../core/random-streams.ts';

export interface TheilSenOptions {
  maxSubpopulation?: number;
  seed?: number;
  maxIter?: number;
  tol?: number;
}

/** Spatial (geometric) median of points in 2-D, sklearn's modified Weiszfeld. */
export function spatialMedian2(pts: Float64Array, o: { maxIter?: number; tol?: number } = {}): [number, number] {
  const n = pts.length / 2,
    maxIter = o.maxIter ?? 1000,
    tol = o.tol ?? 1e-9;
  let mx = 0,
    my = 0;
  for (let i = 0; i < n; i++) {
    mx += pts[2 * i]!;
    my += pts[2 * i + 1]!;
  }
  mx /= n;
  my /= n;
  for (let it = 0; it < maxIter; it++) {
    let wx = 0,
      wy = 0,
      w = 0,
      zeros = 0,
      rx = 0,
      ry = 0;
    for (let i = 0; i < n; i++) {
      const dx = pts[2 * i]! - mx,
        dy = pts[2 * i + 1]! - my,
        dist = Math.hypot(dx, dy);
      if (dist === 0) {
        zeros++;
        continue;
      }
      wx += pts[2 * i]! / dist;
      wy += pts[2 * i + 1]! / dist;
      w += 1 / dist;
      rx += dx / dist;
      ry += dy / dist;
    }
    let nx: number, ny: number;
    if (w === 0) break;
    const tx = wx / w,
      ty = wy / w;
    if (zeros === 0) {
      nx = tx;
      ny = ty;
    } else {
      // Vardi–Zhang modification: the current point is itself a data point
      const r = Math.hypot(rx, ry),
        eta = r === 0 ? 1 : Math.min(1, 1 / r);
      nx = (1 - eta) * tx + eta * mx;
      ny = (1 - eta) * ty + eta * my;
    }
    const step = Math.hypot(nx - mx, ny - my);
    mx = nx;
    my = ny;
    if (step < tol) break;
  }
  return [mx, my];
}

export function theilSen2(
  x1: ArrayLike<number>,
  x2: ArrayLike<number>,
  y: ArrayLike<number>,
  o: TheilSenOptions = {},
): [number, number] {
  const n = y.length,
    total = (n * (n - 1)) / 2,
    maxSub = o.maxSubpopulation ?? 1e5;
  const coefs: number[] = [];
  const solve = (i: number, j: number) => {
    const a = x1[i]!,
      b = x2[i]!,
      c = x1[j]!,
      d = x2[j]!,
      det = a * d - b * c;
    if (Math.abs(det) < 1e-12 * (Math.abs(a * d) + Math.abs(b * c) + 1e-300)) return; // collinear pair: no exact solution
    coefs.push((y[i]! * d - b * y[j]!) / det, (a * y[j]! - c * y[i]!) / det);
  };
  if (total <= maxSub) {
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) solve(i, j);
  } else {
    const rng = new Rng(randomStream(o.seed ?? 1000, 'stats.theilSen'));
    for (let k = 0; k < maxSub; k++) {
      const i = rng.int(n);
      let j = rng.int(n - 1);
      if (j >= i) j++;
      solve(i, j);
    }
  }
  if (coefs.length === 0) throw new Error('theilSen2: the regressors are collinear on every pair of observations');
  return spatialMedian2(Float64Array.from(coefs), o);
}
