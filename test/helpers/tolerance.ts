// float32-vs-float64 tolerances, in one place. `close` checks |gpu − ref| ≤ atol + rtol·|ref| elementwise.
import { expect } from 'vitest';

export const TOL = {
  /** elementwise f32 ops (one rounding per op, transcendental ulp errors of lavapipe/SwiftShader included) */
  elementwise: { atol: 1e-6, rtol: 1e-5 },
  transcendental: { atol: 1e-5, rtol: 1e-4 },
  /** dot products of length K accumulate ~√K·ε relative error */
  matmul: { atol: 1e-5, rtol: 1e-4 },
  /** gradients through several f32 ops */
  grad: { atol: 1e-4, rtol: 2e-3 },
  /** f64 finite differences against f64 reverse mode */
  vjpF64: { rtol: 1e-6 },
} as const;

export function maxViolation(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: { atol: number; rtol: number },
): { index: number; actual: number; expected: number; excess: number } | null {
  expect(actual.length).toBe(expected.length);
  let worst: { index: number; actual: number; expected: number; excess: number } | null = null;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!,
      e = expected[i]!;
    const excess = Math.abs(a - e) - (tol.atol + tol.rtol * Math.abs(e));
    if (!(excess <= 0) && (!worst || excess > worst.excess || Number.isNaN(excess)))
      worst = { index: i, actual: a, expected: e, excess };
  }
  return worst;
}

export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: { atol: number; rtol: number },
  what = '',
): void {
  const v = maxViolation(actual, expected, tol);
  if (v)
    expect.fail(
      `${what}: element ${v.index} is ${v.actual}, expected ${v.expected} (atol ${tol.atol}, rtol ${tol.rtol})`,
    );
}

/** Deterministic test data in [lo, hi) from a small LCG (no Math.random in tests). */
export function testData(n: number, seed = 1, lo = -1, hi = 1): Float64Array {
  let s = seed >>> 0 || 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((s >>> 8) / 16777216) * (hi - lo);
  }
  return out;
}
