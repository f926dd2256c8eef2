// Backend over the Float64 reference kernels (src/reference/kernels.ts).
import * as ref from '../reference/kernels.ts';
import { normalStream } from '../reference/philox.ts';
import type { RefArray } from '../reference/kernels.ts';
import type { FusedKernel } from './fused-kernel.ts';
import type { RandomStream } from '../core/random-streams.ts';
import type { Backend, MatmulOpts, Shape } from './backend.ts';
import type { UnaryOp, BinaryOp, ReduceOp } from '../gpu/kernels/types.ts';
import { reduceShape } from '../gpu/kernels/reduce.ts';
import { matmulShapes, checkBias, checkAddend } from '../gpu/kernels/matmul.ts';
import { ShapeError } from '../core/errors.ts';

const size = (s: Shape) => s.reduce((a, b) => a * b, 1);

export class CpuBackend implements Backend<RefArray> {
  readonly name = 'cpu-f64' as const;
  fromArray(data: ArrayLike<number>, shape: Shape): RefArray {
    if (data.length !== size(shape))
      throw new ShapeError(`fromArray: ${data.length} values do not fill shape [${shape.join('×')}]`);
    return ref.refArray(data, shape);
  }
  async toArray(t: RefArray): Promise<Float64Array> {
    return Float64Array.from(t.data);
  }
  full(shape: Shape, value: number): RefArray {
    return { shape: [...shape], data: new Float64Array(size(shape)).fill(value) };
  }
  matmul(a: RefArray, b: RefArray, opts: MatmulOpts<RefArray> = {}): RefArray {
    const { M, N, outShape } = matmulShapes(a.shape, b.shape, opts.transA, opts.transB); // same errors as the GPU
    checkBias(opts.bias?.shape ?? null, M, N, opts.biasRowsPerGroup ?? 0);
    checkAddend(opts.addend?.shape ?? null, outShape);
    return ref.matmul(a, b, opts);
  }
  unary(op: UnaryOp, a: RefArray, alpha = 1, beta = 0): RefArray {
    return ref.unary(op, a, alpha, beta);
  }
  binary(op: BinaryOp, a: RefArray, b: RefArray): RefArray {
    return ref.binary(op, a, b);
  }
  reduce(op: ReduceOp, a: RefArray, axis: number, keepDims = false): RefArray {
    reduceShape(a.shape, axis, keepDims);
    return ref.reduce(op, a, axis, keepDims);
  }
  transpose(a: RefArray): RefArray {
    return ref.transpose(a);
  }
  reshape(a: RefArray, shape: Shape): RefArray {
    if (size(shape) !== a.data.length)
      throw new ShapeError(`reshape [${a.shape.join('×')}] → [${shape.join('×')}]: sizes differ`);
    return { shape: [...shape], data: a.data };
  }
  randomNormal(shape: Shape, stream: RandomStream, scale = 1): RefArray {
    return { shape: [...shape], data: normalStream(size(shape), stream, scale) };
  }
  fused<A>(kernel: FusedKernel<A>, inputs: readonly (RefArray | undefined)[], attrs: A): RefArray[] {
    return kernel.reference(inputs, attrs);
  }
  scope<R>(fn: () => R): R {
    return fn();
  }
  settle(): Promise<void> {
    return Promise.resolve();
  }
  flush(): void {
    /* synchronous */
  }
  dispose(_t: RefArray): void {
    /* garbage collected */
  }
}
