// The sampler step written op by op (no fused epilogues, no fused update): the comparison point for the fused
// path in benchmarks, and a consistency check of it in tests. Same maths, same Philox noise stream.
import type { Backend, TensorLike } from '../ops/backend.ts';
import type { ScoreNet } from './score-net.ts';
import type { EmStep } from '../core/noise-schedule.ts';
import type { OutputAt } from './sampler.ts';

/** g(z) for environment-major rows with per-environment biases bias1, bias2 [E×H], as separate primitives. */
export function outputAtUnfused<T extends TensorLike>(
  B: Backend<T>,
  net: ScoreNet<T>,
  z: T,
  s: number,
  bias1: T,
  bias2: T,
  particles: number,
): T {
  const p = net.params,
    { H } = net.shape;
  const n = z.shape[0]!,
    E = n / particles;
  const perEnv = (x: T, bias: T) =>
    B.reshape(B.binary('add', B.reshape(x, [E, particles, H]), B.reshape(bias, [E, 1, H])), [n, H]);
  const h1 = B.unary('tanh', perEnv(B.unary('affine', B.matmul(z, p['mlp.w1']), s), bias1));
  const h2 = B.unary('tanh', perEnv(B.matmul(h1, p['mlp.w2']), bias2));
  return B.binary('add', B.matmul(h2, p['mlp.w3']), p['mlp.b3']);
}

/** z ← z + α((s−1)z − σg)/σ² + √(2α)ξ as separate primitives; returns the new z (the old one is disposed by the caller). */
export function emUpdateUnfused<T extends TensorLike>(B: Backend<T>, z: T, g: T, o: EmStep): T {
  const { sigma, s, alpha } = o.level;
  const drift = B.binary('sub', B.unary('affine', z, (s - 1) / (sigma * sigma)), B.unary('affine', g, 1 / sigma));
  let next = B.binary('add', z, B.unary('affine', drift, alpha));
  if (o.noise) next = B.binary('add', next, B.randomNormal(z.shape, o.stream, Math.sqrt(2 * alpha)));
  return next;
}

export type { OutputAt };
