// Float64 reference implementations of every GPU kernel: the living definition the WGSL is tested against.
// Shapes and semantics mirror src/gpu/kernels/*.ts exactly (same broadcasting, same reduce layout).
import { normalStream } from './philox.ts';
import { softplus, sigmoid } from './scalar.ts';
import {
  broadcastShapes,
  broadcastStrides,
  type UnaryOp,
  type BinaryOp,
  type ReduceOp,
  type Activation,
} from '../core/ops.ts';

export interface RefArray {
  shape: number[];
  data: Float64Array;
}

export const refArray = (data: ArrayLike<number>, shape: readonly number[]): RefArray => ({
  shape: [...shape],
  data: Float64Array.from(data),
});

export function activate(x: number, act: Activation): number {
  switch (act) {
    case 'tanh':
      return Math.tanh(x);
    case 'silu':
      return x * sigmoid(x);
    case 'relu':
      return Math.max(x, 0);
    default:
      return x;
  }
}

export function unaryScalar(op: UnaryOp, x: number): number {
  switch (op) {
    case 'affine':
      return x;
    case 'neg':
      return -x;
    case 'exp':
      return Math.exp(x);
    case 'log':
      return Math.log(x);
    case 'tanh':
      return Math.tanh(x);
    case 'silu':
      return x * sigmoid(x);
    case 'square':
      return x * x;
    case 'sqrt':
      return Math.sqrt(x);
    case 'relu':
      return Math.max(x, 0);
    case 'abs':
      return Math.abs(x);
    case 'sigmoid':
      return sigmoid(x);
    case 'softplus':
      return softplus(x);
    case 'sin':
      return Math.sin(x);
    case 'cos':
      return Math.cos(x);
    case 'recip':
      return 1 / x;
  }
}

export function binaryScalar(op: BinaryOp, x: number, y: number): number {
  switch (op) {
    case 'add':
      return x + y;
    case 'sub':
      return x - y;
    case 'mul':
      return x * y;
    case 'div':
      return x / y;
    case 'max':
      return Math.max(x, y);
    case 'min':
      return Math.min(x, y);
    case 'tanhGrad':
      return y * (1 - x * x);
    case 'siluGrad': {
      const s = sigmoid(x);
      return y * s * (1 + x * (1 - s));
    }
    case 'reluGrad':
      return x > 0 ? y : 0;
    case 'greater':
      return x > y ? 1 : 0;
  }
}

export function unary(op: UnaryOp, a: RefArray, alpha = 1, beta = 0): RefArray {
  return { shape: [...a.shape], data: a.data.map((x) => unaryScalar(op, alpha * x + beta)) };
}

export function binary(op: BinaryOp, a: RefArray, b: RefArray): RefArray {
  const shape = broadcastShapes(a.shape, b.shape, op);
  const sa = broadcastStrides(a.shape, shape),
    sb = broadcastStrides(b.shape, shape);
  const n = shape.reduce((p, q) => p * q, 1);
  const out = new Float64Array(n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let ia = 0,
      ib = 0;
    for (let d = 0; d < shape.length; d++) {
      ia += idx[d]! * sa[d]!;
      ib += idx[d]! * sb[d]!;
    }
    out[i] = binaryScalar(op, a.data[ia]!, b.data[ib]!);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return { shape, data: out };
}

export function reduce(op: ReduceOp, a: RefArray, axis: number, keepDims = false): RefArray {
  const ax = axis < 0 ? a.shape.length + axis : axis;
  const outer = a.shape.slice(0, ax).reduce((p, q) => p * q, 1);
  const len = a.shape[ax]!;
  const inner = a.shape.slice(ax + 1).reduce((p, q) => p * q, 1);
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const xs = Array.from({ length: len }, (_, k) => a.data[(o * len + k) * inner + i]!);
      let r: number;
      if (op === 'max') r = Math.max(...xs);
      else if (op === 'logsumexp') {
        const m = Math.max(...xs);
        r = m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
      } else if (op === 'sumsq') r = xs.reduce((s, x) => s + x * x, 0);
      else {
        r = xs.reduce((s, x) => s + x, 0);
        if (op === 'mean') r /= len;
      }
      out[o * inner + i] = r;
    }
  const shape = keepDims ? a.shape.map((d, i) => (i === ax ? 1 : d)) : a.shape.filter((_, i) => i !== ax);
  return { shape, data: out };
}

export function transpose(a: RefArray): RefArray {
  const R = a.shape[a.shape.length - 2]!,
    C = a.shape[a.shape.length - 1]!;
  const batch = a.data.length / (R * C);
  const out = new Float64Array(a.data.length);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) out[b * R * C + j * R + i] = a.data[b * R * C + i * C + j]!;
  return { shape: [...a.shape.slice(0, -2), C, R], data: out };
}

/** C = act(α·op(A)·op(B) + bias + addend), optionally batched: same contract as gpu/kernels/matmul.ts. */
export function matmul(
  a: RefArray,
  b: RefArray,
  opts: {
    transA?: boolean;
    transB?: boolean;
    bias?: RefArray | null;
    act?: Activation;
    alpha?: number;
    biasRowsPerGroup?: number;
    addend?: RefArray | null;
    tanhGradOf?: RefArray | null;
    addendRows?: RefArray | null;
    siluGradOf?: RefArray | null;
  } = {},
): RefArray {
  const alpha = opts.alpha ?? 1,
    P = opts.biasRowsPerGroup ?? 0;
  const A = opts.transA ? transpose(a) : a;
  const B = opts.transB ? transpose(b) : b;
  const batch = A.shape.length === 3 ? A.shape[0]! : 1;
  const M = A.shape[A.shape.length - 2]!,
    K = A.shape[A.shape.length - 1]!,
    N = B.shape[B.shape.length - 1]!;
  const bStride = B.shape.length === 3 ? K * N : 0;
  const out = new Float64Array(batch * M * N);
  for (let t = 0; t < batch; t++)
    for (let i = 0; i < M; i++) {
      const row = new Float64Array(N);
      for (let k = 0; k < K; k++) {
        const aik = A.data[t * M * K + i * K + k]!;
        const bo = t * bStride + k * N;
        for (let j = 0; j < N; j++) row[j]! += aik * B.data[bo + j]!;
      }
      const bo = P > 0 ? Math.floor(i / P) * N : 0;
      for (let j = 0; j < N; j++) {
        const at = t * M * N + i * N + j,
          y = opts.tanhGradOf?.data[at],
          pre = opts.siluGradOf?.data[at];
        const addAt = opts.addendRows ? opts.addendRows.data[i]! * N + j : at;
        const z =
          alpha * row[j]! + (opts.bias ? opts.bias.data[bo + j]! : 0) + (opts.addend ? opts.addend.data[addAt]! : 0);
        // the gates are the binary kernel's tanhGrad / siluGrad, as in the WGSL (activation.wgsl)
        const gated =
          y !== undefined ? binaryScalar('tanhGrad', y, z) : pre !== undefined ? binaryScalar('siluGrad', pre, z) : z;
        out[at] = activate(gated, opts.act ?? 'identity');
      }
    }
  return { shape: A.shape.length === 3 ? [batch, M, N] : [M, N], data: out };
}

/** s[j] = α·Σ_k op(B)[k, j] for a rank-2 B (the COL_SUMS output of the matmul kernels). */
export function colSums(b: RefArray, transB: boolean, alpha = 1): RefArray {
  const B = transB ? transpose(b) : b;
  const [K, N] = [B.shape[0]!, B.shape[1]!];
  const out = new Float64Array(N);
  for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) out[j]! += B.data[k * N + j]!;
  for (let j = 0; j < N; j++) out[j]! *= alpha;
  return { shape: [N], data: out };
}

/** One AdamW step in place; same formula as shaders/adamw.wgsl. */
