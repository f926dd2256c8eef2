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

/** `scale` multiplies a sum, mean or sum of squares (not max or logsumexp). */
export function reduce(e: Engine, op: ReduceOp, a: GpuTensor, axis: number, keepDims = false, scale = 1): GpuTensor {
  checkReduceScale(op, scale);
  const { outer, len, inner, out: shape } = reduceShape(a.shape, axis, keepDims);
  const out = e.empty(shape, op);
  e.dispatch(
    'reduce',
    { OP: REDUCE_OPS[op], WG },
    [a, out],
    { outer, len, inner, scale },
    foldGrid(Math.ceil((outer * inner) / WG)),
  );
  return out;
}
