// The inspre-style sparse inverse behind scripts/clipr-alternatives.ts: on a linear system's exact total effects it
// returns the direct effects, and with noisy total effects its L1 penalty keeps the non-edges at zero where the plain
// inverse spreads the noise over them.
import { describe, it, expect } from 'vitest';
import * as la from '../src/reference/linalg.ts';
import { scratchRng } from '../src/reference/rng.ts';
import { inspreInverse, directFromInverse } from '../scripts/lib/inspre.ts';

describe('inspre-style inverse of total effects', () => {
  const p = 16,
    rng = scratchRng(11);
  // B_ji (j → i), j < i: a DAG with about one edge in ten, effects 0.3–0.8 in size, either sign
  const B = new Float64Array(p * p);
  for (let j = 0; j < p; j++)
    for (let i = j + 1; i < p; i++)
      if (rng.uniform() < 0.12) B[j * p + i] = (rng.uniform() < 0.5 ? -1 : 1) * (0.3 + 0.5 * rng.uniform());
  // total effects per unit of each perturbation's own target: Δ_q ∝ e_q (I − B)⁻¹, row q over its diagonal
  const T = la.inverse(
    la.eye(p).map((x, e) => x - B[e]!),
    p,
  );
  const R = T.map((x, e) => x / T[Math.floor(e / p) * (p + 1)]!);
  const W = new Float64Array(p * p).map((_, e) => (e % (p + 1) === 0 ? 1e3 : 1));
  const err = (A: Float64Array) => Math.sqrt(A.reduce((s, v, e) => s + (v - B[e]!) ** 2, 0) / (p * p - p));
  const falseEdges = (A: Float64Array) =>
    A.filter((v, e) => e % (p + 1) !== 0 && B[e] === 0 && Math.abs(v) > 0.05).length;

  it('recovers the direct effects of exact total effects', () => {
    expect(err(directFromInverse(inspreInverse(R, W, p, { lambda: 1e-3 }), p))).toBeLessThan(1e-3);
  });

  it('keeps non-edges at zero under noise, where the plain inverse does not', () => {
    const noisy = R.map((x, e) => (e % (p + 1) === 0 ? x : x + 0.03 * rng.normal()));
    const plain = directFromInverse(la.inverse(noisy, p), p),
      sparse = directFromInverse(inspreInverse(noisy, W, p, { lambda: 0.03 }), p);
    // measured: 34 non-edges above 0.05 against 2, RMS error 0.035 against 0.014
    expect(falseEdges(plain)).toBeGreaterThan(20);
    expect(falseEdges(sparse)).toBeLessThanOrEqual(4);
    expect(err(sparse)).toBeLessThan(0.5 * err(plain));
  });
});
