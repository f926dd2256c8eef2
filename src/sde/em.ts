// Generic Euler–Maruyama for diagonal-noise SDEs dX = a(X, t) dt + b(X, t) ⊙ dW on any Backend, in the shape of
// diffrax: terms (drift, diffusion) and the solver are separate from the Brownian path, which is passed in, so
// several step sizes can be run on one shared path (strong-order tests).
import type { Backend, TensorLike } from '../ops/backend.ts';

export interface SdeTerms<T> {
  drift: (x: T, t: number) => T;
  /** Diagonal diffusion b(x, t), elementwise with dW; omitted for additive noise (b = 1: the increments are
   *  added as they come, already scaled, as the simulators' Philox increments √(2h)·ξ are). */
  diffusion?: (x: T, t: number) => T;
}

/** Brownian increments for step k of a run with `steps` steps over [t0, t1], shape like the state. */
export type BrownianPath<T> = (k: number, steps: number) => T;

export const eulerMaruyama = { name: 'Euler–Maruyama', order: 1, strongOrder: 0.5 } as const;

/** X_{k+1} = X_k + a(X_k, t_k) h + b(X_k, t_k) ⊙ ΔW_k. Returns X(t1). `h` may be given exactly (a simulator's
 *  dt) instead of being derived as (t1 − t0)/steps, which can differ from it in the last bit. */
export function simulateSde<T extends TensorLike>(
  B: Backend<T>,
  terms: SdeTerms<T>,
  y0: T,
  t0: number,
  t1: number,
  steps: number,
  dW: BrownianPath<T>,
  h = (t1 - t0) / steps,
): T {
  let x = y0;
  for (let k = 0; k < steps; k++) {
    const t = t0 + k * h;
    const next = B.scope(() => {
      const moved = B.binary('add', x, B.unary('affine', terms.drift(x, t), h));
      const inc = dW(k, steps);
      return B.binary('add', moved, terms.diffusion ? B.binary('mul', terms.diffusion(x, t), inc) : inc);
    });
    if (x !== y0) B.dispose(x);
    x = next;
    B.flush(); // one submit per step, so released buffers recycle
  }
  return x;
}

/**
 * A Brownian path on a dyadic grid of 2^levels fine steps (paths × dims values per step, from the host Rng):
 * the increment of coarse step k out of `steps` is the sum of its fine increments, so all grids share the path.
 */
export function dyadicBrownian(fine: Float64Array[], shape: readonly number[]) {
  const nFine = fine.length;
  return <T extends TensorLike>(B: Backend<T>): BrownianPath<T> =>
    (k, steps) => {
      const r = nFine / steps;
      const inc = new Float64Array(fine[0]!.length);
      for (let j = k * r; j < (k + 1) * r; j++) {
        const f = fine[j]!;
        for (let i = 0; i < inc.length; i++) inc[i]! += f[i]!;
      }
      return B.fromArray(inc, shape);
    };
}
