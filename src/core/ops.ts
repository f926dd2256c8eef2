// Engine-neutral vocabulary shared by the GPU kernels, the Float64 reference and the autodiff tape: operation
// names (their numeric codes are the `OP`/`ACT` override constants of the WGSL files) and NumPy shape broadcasting.
// Imports nothing, so src/reference and src/gpu can both build on it.
import { ShapeError } from './errors.ts';

export const UNARY_OPS = {
  affine: 0,
  neg: 1,
  exp: 2,
  log: 3,
  tanh: 4,
  silu: 5,
  square: 6,
  sqrt: 7,
  relu: 8,
  abs: 9,
  sigmoid: 10,
  softplus: 11,
  sin: 12,
  cos: 13,
  recip: 14,
} as const;
export type UnaryOp = keyof typeof UNARY_OPS;

export const BINARY_OPS = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  max: 4,
  min: 5,
  tanhGrad: 6,
  siluGrad: 7,
  reluGrad: 8,
  greater: 9,
} as const;
export type BinaryOp = keyof typeof BINARY_OPS;

export const REDUCE_OPS = { sum: 0, mean: 1, max: 2, logsumexp: 3, sumsq: 4 } as const;
export type ReduceOp = keyof typeof REDUCE_OPS;

export const ACTIVATIONS = { identity: 0, tanh: 1, silu: 2, relu: 3 } as const;
export type Activation = keyof typeof ACTIVATIONS;

/** NumPy broadcasting of two shapes; throws naming both shapes. */
export function broadcastShapes(a: readonly number[], b: readonly number[], what = 'broadcast'): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1,
      y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1)
      throw new ShapeError(
        `${what}: shapes [${a.join('×')}] and [${b.join('×')}] are not broadcast-compatible (dim ${i}: ${x} vs ${y})`,
      );
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Element strides of `shape` when broadcast to `out` (stride 0 on broadcast dims), right-aligned. */
export function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const strides = new Array<number>(out.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const o = out.length - shape.length + i;
    strides[o] = shape[i] === 1 ? 0 : s;
    s *= shape[i]!;
  }
  return strides;
}
