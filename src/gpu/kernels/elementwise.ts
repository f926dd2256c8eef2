// Launchers for unary.wgsl, binary.wgsl, fill.wgsl and transpose.wgsl.
import type { Engine } from '../engine.ts';
import { foldGrid } from '../grid.ts';
import type { GpuTensor } from '../tensor.ts';
import { ShapeError } from '../errors.ts';
import { UNARY_OPS, BINARY_OPS, broadcastShapes, broadcastStrides, type UnaryOp, type BinaryOp } from './types.ts';

const WG = 64;

export function unary(e: Engine, op: UnaryOp, a: GpuTensor, alpha = 1, beta = 0): GpuTensor {
  const out = e.empty(a.shape, op);
  e.dispatch(
    'unary',
    { OP: UNARY_OPS[op], WG },
    [a, out],
    { n: a.size, alpha, beta },
    foldGrid(Math.ceil(a.size / WG)),
  );
  return out;
}

export function binary(e: Engine, op: BinaryOp, a: GpuTensor, b: GpuTensor, into?: GpuTensor): GpuTensor {
  const shape = broadcastShapes(a.shape, b.shape, op);
  if (shape.length > 4) throw new ShapeError(`${op}: rank ${shape.length} > 4 is not supported; reshape first`);
  const out = into ?? e.empty(shape, op);
  if (into && into.shape.join() !== shape.join())
    throw new ShapeError(`${op}: output [${into.shape.join('×')}] does not match [${shape.join('×')}]`);
  const pad = (xs: number[], v: number) => [...new Array(4 - xs.length).fill(v), ...xs];
  const os = pad(shape, 1);
  const sa = pad(broadcastStrides(a.shape, shape), 0),
    sb = pad(broadcastStrides(b.shape, shape), 0);
  const n = out.size;
  e.dispatch(
    'binary',
    { OP: BINARY_OPS[op], WG },
    [a, b, out],
    {
      n,
      s1: os[1]!,
      s2: os[2]!,
      s3: os[3]!,
      a0: sa[0]!,
      a1: sa[1]!,
      a2: sa[2]!,
      a3: sa[3]!,
      b0: sb[0]!,
      b1: sb[1]!,
      b2: sb[2]!,
      b3: sb[3]!,
    },
    foldGrid(Math.ceil(n / WG)),
  );
  return out;
}

export function fill(e: Engine, out: GpuTensor, value: number): GpuTensor {
  e.dispatch('fill', { WG }, [out], { n: out.size, value }, foldGrid(Math.ceil(out.size / WG)));
  return out;
}

/** Transpose the last two dims: [..., R, C] → [..., C, R]. */
export function transpose(e: Engine, a: GpuTensor): GpuTensor {
  if (a.shape.length < 2) throw new ShapeError(`transpose needs rank ≥ 2, got [${a.shape.join('×')}]`);
  const R = a.shape[a.shape.length - 2]!,
    C = a.shape[a.shape.length - 1]!;
  const out = e.empty([...a.shape.slice(0, -2), C, R], 'transpose');
  e.dispatch('transpose', { WG }, [a, out], { n: a.size, R, C }, foldGrid(Math.ceil(a.size / WG)));
  return out;
}
