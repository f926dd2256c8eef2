// The primitive set every differentiable op is written in. Two implementations: WebGPU (f32 WGSL kernels)
// and the Float64 CPU reference. The tape and all gradient rules are written once, over this interface, so
// the reference tape is an exact f64 twin of the GPU tape.
import type { UnaryOp, BinaryOp, ReduceOp, Activation } from '../gpu/kernels/types.ts';
import type { FusedKernel } from './fused-kernel.ts';
import type { RandomStream } from '../core/random-streams.ts';

export type Shape = readonly number[];
export interface TensorLike {
  readonly shape: Shape;
}

export interface MatmulOpts<T> {
  transA?: boolean;
  transB?: boolean;
  bias?: T | null;
  act?: Activation;
  alpha?: number;
  biasRowsPerGroup?: number;
  /** A tensor of the product's shape added before the activation. */
  addend?: T | null;
  /** A tanh layer's output y (the product's shape): the product times 1 − y², instead of an addend. */
  tanhGradOf?: T | null;
  /** Row numbers [M] (integers as f32): the addend is a table [R×N] and row i adds its row addendRows[i]. */
  addendRows?: T | null;
  /** A SiLU layer's pre-activation z (the product's shape): the product times silu'(z), instead of an addend. */
  siluGradOf?: T | null;
}

export interface Backend<T extends TensorLike> {
  readonly name: 'webgpu' | 'cpu-f64';
  fromArray(data: ArrayLike<number>, shape: Shape): T;
  toArray(t: T): Promise<Float64Array>;
  full(shape: Shape, value: number): T;
  matmul(a: T, b: T, opts?: MatmulOpts<T>): T;
  /** The product and s[j] = alpha · Σ_k op(B)[k, j] ([N], unbatched) in one pass: a weight's gradient dW = Xᵀ·G and
   *  its bias's db = Σ_rows G together (the sum in k order, not the reduce kernel's). */
  matmulColSums(a: T, b: T, opts?: MatmulOpts<T>): [T, T];
  /** The product and its pre-activation (before opts.act), in one pass: a SiLU layer's output and the z its gradient
   *  needs. */
  matmulWithPreActivation(a: T, b: T, opts?: MatmulOpts<T>): [T, T];
  /** op(alpha·a + beta) */
  unary(op: UnaryOp, a: T, alpha?: number, beta?: number): T;
  binary(op: BinaryOp, a: T, b: T): T;
  /** `scale` multiplies a sum, mean or sum of squares (one pass for a mean-square loss). With `into` (a sum, mean or
   *  sum of squares) the result is added to that tensor in place, which is returned (a running loss, no add pass). */
  reduce(op: ReduceOp, a: T, axis: number, keepDims?: boolean, scale?: number, into?: T | null): T;
  transpose(a: T): T;
  reshape(a: T, shape: Shape): T;
  /** Tensors of these shapes and values in one buffer (slices), and the whole as a flat tensor that an elementwise
   *  kernel can run over at once (the optimiser over every parameter). The whole owns the memory. */
  packed(arrays: readonly { data: ArrayLike<number>; shape: Shape }[]): { whole: T; slices: T[] };
  /** Overwrite a tensor's values in place (a slice stays a slice). */
  write(t: T, data: ArrayLike<number>): void;
  /** Copy src's values into dst (same size), recorded in order with the kernels. */
  copy(src: T, dst: T): void;
  /** Normals of a named stream (core/random-streams.ts) times `scale`. */
  randomNormal(shape: Shape, stream: RandomStream, scale?: number): T;
  /** A fused kernel (see ops/fused-kernel.ts): its GPU launcher on WebGPU, its Float64 reference here on the CPU.
   *  Positional inputs (optional ones undefined); returns its outputs (in-place kernels: the updated inputs). */
  fused<A>(kernel: FusedKernel<A>, inputs: readonly (T | undefined)[], attrs: A): T[];
  /** Run fn; temporaries it creates (and does not return) are freed afterwards. */
  scope<R>(fn: () => R): R;
  /** Exempt a tensor made inside a scope from its cleanup (a cache that outlives the scope; the owner disposes it). */
  keep(t: T): T;
  /** Submit recorded work (a step boundary); buffers released so far become reusable. No-op on the CPU. */
  flush(): void;
  /** Resolve once all submitted work has run (progress that reflects work done, not work queued). */
  settle(): Promise<void>;
  dispose(t: T): void;
}
