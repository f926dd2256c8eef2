// Differentiable ops. Each op computes its forward with backend primitives and declares its gradient rule
// right beside it; composite ops (a dense layer, a loss) are built from these and need no rules of their own.
import type { Tape, Var } from './tape.ts';
import type { TensorLike, Shape } from './backend.ts';
import type { Activation, UnaryOp } from '../gpu/kernels/types.ts';
import { broadcastShapes } from '../gpu/kernels/types.ts';

type V<T extends TensorLike> = Var<T>;

/** Sum a broadcast gradient back down to `shape` (NumPy broadcasting in reverse). */
export function sumToShape<T extends TensorLike>(tape: Tape<T>, g: T, shape: Shape): T {
  const B = tape.B;
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  let out = g;
  const lead = g.shape.length - shape.length;
  for (let i = 0; i < g.shape.length; i++) {
    const target = i < lead ? 1 : shape[i - lead]!;
    if (target === 1 && out.shape[i] !== 1) out = B.reduce('sum', out, i, true);
  }
  return B.reshape(out, shape);
}

/** Broadcast `g` (shape with size-1 dims) up to `shape`. */
function expandTo<T extends TensorLike>(tape: Tape<T>, g: T, shape: Shape): T {
  return tape.B.binary('add', tape.B.full(shape, 0), g);
}

export function matmul<T extends TensorLike>(
  tape: Tape<T>,
  a: V<T>,
  b: V<T>,
  opts: {
    transA?: boolean;
    transB?: boolean;
    bias?: V<T> | null;
    add?: V<T> | null;
    /** Add row index[i] of `table` to row i ([M] row numbers as f32), a gather in the epilogue; `selector` is the
     *  same choice as a one-hot [M×R] matrix, for the table's gradient selectorᵀ·dZ. Not with `add`. */
    addRows?: { table: V<T>; index: T; selector: T } | null;
    act?: Activation;
    /** act(alpha·op(A)·op(B) + bias + add): e.g. −1 makes a difference of two products one product with the other
     *  as its addend. */
    alpha?: number;
  } = {},
): V<T> {
  const B = tape.B;
  const { transA = false, transB = false, bias = null, act = 'identity', addRows = null, alpha: scale = 1 } = opts;
  if (a.shape.length !== 2 || b.shape.length !== 2)
    throw new Error('autodiff.matmul: rank-2 operands only (reshape batches into rows)');
  if (addRows && opts.add) throw new Error('autodiff.matmul: add and addRows share the epilogue; pass one');
  // act(op(A)·op(B) + bias + add): `add` (the product's shape, or a table's gathered rows) rides in the epilogue and
  // gets dZ as its gradient (the table: dZ summed per row it gave, selectorᵀ·dZ).
  const add = addRows?.table ?? opts.add ?? null;
  const mmOpts = {
    transA,
    transB,
    bias: bias?.value ?? null,
    addend: add?.value ?? null,
    addendRows: addRows?.index ?? null,
    act,
    alpha: scale,
  };
  // silu'(z) needs the pre-activation z, which the product writes beside its output (one pass, kept on the Var).
  const [y, pre] =
    act === 'silu' ? B.matmulWithPreActivation(a.value, b.value, mmOpts) : [B.matmul(a.value, b.value, mmOpts), null];
  const parents = [a, b, ...(bias ? [bias] : []), ...(add ? [add] : [])];
  const self: V<T> = tape.record(`matmul_${act}`, y, parents, (g) => {
    // dZ from dY through the activation, written in terms of the saved output y (tanh' = 1 − y², relu' = [y > 0]) or
    // pre-activation z (silu'), unless the only consumer of y has applied it already, in its own product (`gate`).
    const gz = self.gradIsPreActivation
      ? g
      : act === 'tanh'
        ? B.binary('tanhGrad', y, g)
        : act === 'silu'
          ? B.binary('siluGrad', pre!, g)
          : act === 'relu'
            ? B.binary('reluGrad', y, g)
            : g;
    // When A is a tanh or SiLU layer's output used by this product alone, its gradient leaves this product already
    // times the activation's derivative (the matmul's GATE_TANH / GATE_SILU epilogue, binary tanhGrad's / siluGrad's
    // expression): one elementwise pass fewer.
    const gated = (a.op === 'matmul_tanh' || a.op === 'matmul_silu') && a.uses === 1 && !a.grad;
    const gate = gated && a.op === 'matmul_tanh' ? a.value : null,
      siluGate = gated && a.op === 'matmul_silu' ? a.preActivation! : null;
    // When A already has a gradient from another consumer, this product adds it in its epilogue (g_A + G·op(B)ᵀ in
    // one pass, the sum the tape's add would make): the accumulation costs no dispatch.
    const prior = !gated && a.grad ? a.grad : null;
    // C = op(A)·op(B):  d op(A) = G·op(B)ᵀ,  d op(B) = op(A)ᵀ·G, then undo the op for transposed storage.
    // A gradient handed over with a pending factor (gradScale, see meanSquare) is scaled inside each product (alpha),
    // the operands' gradients by the forward's alpha too (the bias and addend sit outside it).
    const alpha = self.gradScale * scale;
    const ga = a.requiresGrad
      ? transA
        ? B.matmul(b.value, gz, {
            transA: transB,
            transB: true,
            tanhGradOf: gate,
            siluGradOf: siluGate,
            addend: prior,
            alpha,
          })
        : B.matmul(gz, b.value, { transB: !transB, tanhGradOf: gate, siluGradOf: siluGate, addend: prior, alpha })
      : null;
    if (ga && gated) a.gradIsPreActivation = true;
    if (ga && prior) a.gradIncludesPrevious = true;
    // A bias's gradient Σ_rows dZ rides in the weight gradient's product op(A)ᵀ·dZ, which reads every row of dZ
    // (its column sums, one pass fewer); alone, or beside a transposed weight, it is a reduction.
    const sumsInProduct = !!bias?.requiresGrad && b.requiresGrad && !transB && scale === 1;
    let gb: T | null = null,
      gbias: T | null = null;
    if (sumsInProduct) [gb, gbias] = B.matmulColSums(a.value, gz, { transA: !transA, alpha });
    else if (b.requiresGrad)
      gb = transB
        ? B.matmul(gz, a.value, { transA: true, transB: transA, alpha })
        : B.matmul(a.value, gz, { transA: !transA, alpha });
    const outer = self.gradScale; // the bias's and addend's factor
    if (bias?.requiresGrad && !gbias) gbias = B.reduce('sum', gz, 0, false, outer);
    const gadd = !add?.requiresGrad
      ? null
      : addRows
        ? B.matmul(addRows.selector, gz, { transA: true, alpha: outer })
        : outer === 1
          ? gz
          : B.unary('affine', gz, outer);
    return [ga, gb, ...(bias ? [gbias] : []), ...(add ? [gadd] : [])]; // in the order of `parents`
  });
  if (pre) self.preActivation = pre;
  return self;
}

function broadcastBinary<T extends TensorLike>(
  tape: Tape<T>,
  op: 'add' | 'sub' | 'mul' | 'div',
  a: V<T>,
  b: V<T>,
): V<T> {
  const B = tape.B;
  broadcastShapes(a.shape, b.shape, op);
  const y = B.binary(op, a.value, b.value);
  return tape.record(op, y, [a, b], (g) => {
    let ga: T | null = null,
      gb: T | null = null;
    switch (op) {
      case 'add':
        ga = g;
        gb = g;
        break;
      case 'sub':
        ga = g;
        gb = b.requiresGrad ? B.unary('neg', g) : null;
        break;
      case 'mul':
        ga = a.requiresGrad ? B.binary('mul', g, b.value) : null;
        gb = b.requiresGrad ? B.binary('mul', g, a.value) : null;
        break;
      // d(a/b)/da = 1/b;  d(a/b)/db = −a/b² = −y/b
      case 'div':
        ga = a.requiresGrad ? B.binary('div', g, b.value) : null;
        gb = b.requiresGrad ? B.unary('neg', B.binary('div', B.binary('mul', g, y), b.value)) : null;
        break;
    }
    return [
      ga && a.requiresGrad ? sumToShape(tape, ga, a.shape) : null,
      gb && b.requiresGrad ? sumToShape(tape, gb, b.shape) : null,
    ];
  });
}

export const add = <T extends TensorLike>(t: Tape<T>, a: V<T>, b: V<T>) => broadcastBinary(t, 'add', a, b);
export const sub = <T extends TensorLike>(t: Tape<T>, a: V<T>, b: V<T>) => broadcastBinary(t, 'sub', a, b);
export const mul = <T extends TensorLike>(t: Tape<T>, a: V<T>, b: V<T>) => broadcastBinary(t, 'mul', a, b);
export const div = <T extends TensorLike>(t: Tape<T>, a: V<T>, b: V<T>) => broadcastBinary(t, 'div', a, b);

export type DiffUnary = Exclude<UnaryOp, 'abs' | 'sin' | 'cos' | 'recip'>;

/** y = op(alpha·x + beta), with dy/dx = alpha · op'(alpha·x + beta). */
export function unary<T extends TensorLike>(tape: Tape<T>, op: DiffUnary, x: V<T>, alpha = 1, beta = 0): V<T> {
  const B = tape.B;
  const y = B.unary(op, x.value, alpha, beta);
  return tape.record(op, y, [x], (g) => {
    const u = () => (alpha === 1 && beta === 0 ? x.value : B.unary('affine', x.value, alpha, beta));
    let gu: T;
    switch (op) {
      case 'affine':
        gu = g;
        break;
      case 'neg':
        gu = B.unary('neg', g);
        break;
      case 'exp':
        gu = B.binary('mul', g, y);
        break; // exp' = exp
      case 'log':
        gu = B.binary('div', g, u());
        break; // log' = 1/u
      case 'tanh':
        gu = B.binary('tanhGrad', y, g);
        break; // tanh' = 1 − tanh²
      case 'silu':
        gu = B.binary('siluGrad', u(), g);
        break; // silu' = s(1 + u(1 − s))
      case 'square':
        gu = B.binary('mul', g, B.unary('affine', u(), 2));
        break; // 2u
      case 'sqrt':
        gu = B.binary('div', g, B.unary('affine', y, 2));
        break; // 1/(2√u)
      case 'relu':
        gu = B.binary('reluGrad', u(), g);
        break;
      case 'sigmoid':
        gu = B.binary('mul', g, B.binary('mul', y, B.unary('affine', y, -1, 1)));
        break; // s(1 − s)
      case 'softplus':
        gu = B.binary('mul', g, B.unary('sigmoid', u()));
        break; // softplus' = sigmoid
    }
    return [alpha === 1 ? gu : B.unary('affine', gu, alpha)];
  });
}

export const scale = <T extends TensorLike>(t: Tape<T>, x: V<T>, alpha: number, beta = 0) =>
  unary(t, 'affine', x, alpha, beta);

export function sum<T extends TensorLike>(tape: Tape<T>, x: V<T>, axis: number, keepDims = false): V<T> {
  const B = tape.B;
  const y = B.reduce('sum', x.value, axis, keepDims);
  const kept = x.shape.map((d, i) => (i === (axis < 0 ? x.shape.length + axis : axis) ? 1 : d));
  return tape.record('sum', y, [x], (g) => [expandTo(tape, B.reshape(g, kept), x.shape)]);
}

export function mean<T extends TensorLike>(tape: Tape<T>, x: V<T>, axis: number, keepDims = false): V<T> {
  const ax = axis < 0 ? x.shape.length + axis : axis;
  return scale(tape, sum(tape, x, ax, keepDims), 1 / x.shape[ax]!);
}

/** logsumexp along an axis; d/dx = softmax(x) along that axis. */
export function logsumexp<T extends TensorLike>(tape: Tape<T>, x: V<T>, axis: number, keepDims = false): V<T> {
  const B = tape.B;
  const ax = axis < 0 ? x.shape.length + axis : axis;
  const y = B.reduce('logsumexp', x.value, ax, keepDims);
  const kept = x.shape.map((d, i) => (i === ax ? 1 : d));
  return tape.record('logsumexp', y, [x], (g) => {
    const soft = B.unary('exp', B.binary('sub', x.value, B.reshape(y, kept)));
    return [B.binary('mul', soft, B.reshape(g, kept))];
  });
}

/** Sum of all elements → shape [1]. */
export function sumAll<T extends TensorLike>(tape: Tape<T>, x: V<T>): V<T> {
  const n = x.shape.reduce((a, b) => a * b, 1);
  return sum(tape, reshape(tape, x, [n]), 0, true);
}

export function meanAll<T extends TensorLike>(tape: Tape<T>, x: V<T>): V<T> {
  const n = x.shape.reduce((a, b) => a * b, 1);
  return scale(tape, sumAll(tape, x), 1 / n);
}

/**
 * c·mean(x²) over all elements → shape [1], as one sum-of-squares reduction; its gradient is one product,
 * dx = x·(2c/n)·ḡ (instead of square, sum, broadcast, and the square's 2x·g: four elementwise passes fewer).
 * With `into` ([1]) the value is added to that running total in place, and the node's value is the total (a
 * training loop's interval sum; the gradient does not read the value).
 */
export function meanSquare<T extends TensorLike>(tape: Tape<T>, x: V<T>, c = 1, into: T | null = null): V<T> {
  const B = tape.B;
  const n = x.shape.reduce((a, b) => a * b, 1);
  const y = B.reduce('sumsq', B.reshape(x.value, [n]), 0, true, c / n, into);
  // As the loss itself (seeded with ones) the gradient is x·(2c/n): handed to x's producing product unscaled, with
  // the factor pending (gradScale), when that product is x's only consumer (no pass at all); else one scaling.
  return tape.record('meanSquare', y, [x], (g) => {
    if (!tape.isOnes(g)) return [B.binary('mul', x.value, B.unary('affine', g, (2 * c) / n))];
    if (x.op.startsWith('matmul_') && x.uses === 1 && !x.grad) {
      x.gradScale = (2 * c) / n;
      return [x.value];
    }
    return [B.unary('affine', x.value, (2 * c) / n)];
  });
}

export function reshape<T extends TensorLike>(tape: Tape<T>, x: V<T>, shape: Shape): V<T> {
  const y = tape.B.reshape(x.value, shape);
  return tape.record('reshape', y, [x], (g) => [tape.B.reshape(g, x.shape)]);
}
