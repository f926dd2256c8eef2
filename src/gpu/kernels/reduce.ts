// Launcher for reduce.wgsl: reduce one axis of a tensor viewed as [outer, len, inner].
import type { Engine } from '../engine.ts';
import { foldGrid } from '../grid.ts';
import type { GpuTensor } from '../tensor.ts';
import { ShapeError } from '../errors.ts';
import { REDUCE_OPS, type ReduceOp } from './types.ts';

const WG = 64;

export function reduceShape(
  shape: readonly number[],
  axis: number,
  keepDims: boolean,
): { outer: number; len: number; inner: number; out: number[] } {
  const ax = axis < 0 ? shape.length + axis : axis;
  if (ax < 0 || ax >= shape.length)
    throw new ShapeError(`reduce: axis ${axis} out of range for shape [${shape.join('×')}]`);
  const outer = shape.slice(0, ax).reduce((a, b) => a * b, 1);
  const inner = shape.slice(ax + 1).reduce((a, b) => a * b, 1);
  const out = keepDims ? shape.map((d, i) => (i === ax ? 1 : d)) : shape.filter((_, i) => i !== ax);
  return { outer, len: shape[ax]!, inner, out };
}

/** Scale contract shared with the reference: it multiplies a sum, mean or sum of squares, not max or logsumexp. */
export function checkReduceScale(op: ReduceOp, scale: number): void {
  if (scale !== 1 && (op === 'max' || op === 'logsumexp'))
    throw new ShapeError(`reduce: a scale applies to sums, means and sums of squares, not ${op}`);
}

/** Accumulation contract shared with the reference: a sum, mean or sum of squares, into the result's size. */
export function checkReduceInto(op: ReduceOp, into: { shape: readonly number[] } | null, out: number[]) {
  if (!into) return;
  if (op === 'max' || op === 'logsumexp') throw new ShapeError(`reduce: ${op} cannot accumulate into a tensor`);
  const n = into.shape.reduce((a, b) => a * b, 1),
    m = out.reduce((a, b) => a * b, 1);
  if (n !== m) throw new ShapeError(`reduce: accumulator [${into.shape.join('×')}] has ${n} values, the result ${m}`);
}

/** `scale` multiplies a sum, mean or sum of squares (not max or logsumexp). With `into`, the result is added to it
 *  in place and `into` is returned. */
export function reduce(
  e: Engine,
  op: ReduceOp,
  a: GpuTensor,
  axis: number,
  keepDims = false,
  scale = 1,
  into: GpuTensor | null = null,
): GpuTensor {
  checkReduceScale(op, scale);
  const { outer, len, inner, out: shape } = reduceShape(a.shape, axis, keepDims);
  checkReduceInto(op, into, shape);
  const out = into ?? e.empty(shape, op);
  e.dispatch(
    'reduce',
    { OP: REDUCE_OPS[op], WG, ACCUMULATE: into !== null },
    [a, out],
    { outer, len, inner, scale },
    foldGrid(Math.ceil((outer * inner) / WG)),
  );
  return out;
}
