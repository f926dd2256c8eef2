// Backend over the Float64 reference kernels (src/reference/kernels.ts).
import * as ref from '../reference/kernels.ts';
import { normalStream } from '../reference/philox.ts';
import type { RefArray } from '../reference/kernels.ts';
import type { FusedKernel } from './fused-kernel.ts';
import type { RandomStream } from '../core/random-streams.ts';
import type { Backend, MatmulOpts, Shape } from './backend.ts';
import type { UnaryOp, BinaryOp, ReduceOp } from '../gpu/kernels/types.ts';
import { reduceShape, checkReduceScale, checkReduceInto } from '../gpu/kernels/reduce.ts';
import { matmulShapes, checkBias, epilogueInput } from '../gpu/kernels/matmul.ts';
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
    epilogueInput(opts.addend, opts.tanhGradOf, outShape, opts.addendRows ?? null, opts.siluGradOf ?? null);
    return ref.matmul(a, b, opts);
  }
  matmulWithPreActivation(a: RefArray, b: RefArray, opts: MatmulOpts<RefArray> = {}): [RefArray, RefArray] {
    const z = this.matmul(a, b, { ...opts, act: 'identity' });
    return [{ shape: [...z.shape], data: z.data.map((x) => ref.activate(x, opts.act ?? 'identity')) }, z];
  }
  matmulColSums(a: RefArray, b: RefArray, opts: MatmulOpts<RefArray> = {}): [RefArray, RefArray] {
    const out = this.matmul(a, b, opts);
    if (out.shape.length !== 2) throw new ShapeError('matmulColSums: unbatched products only');
    return [out, ref.colSums(b, opts.transB ?? false, opts.alpha ?? 1)];
  }
  unary(op: UnaryOp, a: RefArray, alpha = 1, beta = 0): RefArray {
    return ref.unary(op, a, alpha, beta);
  }
  binary(op: BinaryOp, a: RefArray, b: RefArray): RefArray {
    return ref.binary(op, a, b);
  }
  reduce(op: ReduceOp, a: RefArray, axis: number, keepDims = false, scale = 1, into: RefArray | null = null): RefArray {
    const { out } = reduceShape(a.shape, axis, keepDims);
    checkReduceScale(op, scale);
    checkReduceInto(op, into, out);
    const r = ref.reduce(op, a, axis, keepDims);
    if (scale !== 1) r.data.forEach((v, i) => (r.data[i] = v * scale));
    if (!into) return r;
    r.data.forEach((v, i) => (into.data[i]! += v));
    return into;
  }
  transpose(a: RefArray): RefArray {
    return ref.transpose(a);
  }
  reshape(a: RefArray, shape: Shape): RefArray {
    if (size(shape) !== a.data.length)
      throw new ShapeError(`reshape [${a.shape.join('×')}] → [${shape.join('×')}]: sizes differ`);
    return { shape: [...shape], data: a.data };
  }
  packed(arrays: readonly { data: ArrayLike<number>; shape: Shape }[]): { whole: RefArray; slices: RefArray[] } {
    const n = arrays.reduce((a, x) => a + size(x.shape), 0);
    const whole: RefArray = { shape: [n], data: new Float64Array(n) };
    let at = 0;
    const slices = arrays.map((a) => {
      if (a.data.length !== size(a.shape))
        throw new ShapeError(`packed: ${a.data.length} values do not fill shape [${a.shape.join('×')}]`);
      const data = whole.data.subarray(at, at + a.data.length);
      data.set(Array.from(a.data));
      at += a.data.length;
      return { shape: [...a.shape], data };
    });
    return { whole, slices };
  }
  write(t: RefArray, data: ArrayLike<number>): void {
    if (data.length !== t.data.length) throw new ShapeError(`write: ${data.length} values for [${t.shape.join('×')}]`);
    t.data.set(Array.from(data));
  }
  copy(src: RefArray, dst: RefArray): void {
    if (src.data.length !== dst.data.length)
      throw new ShapeError(`copy: [${src.shape.join('×')}] into [${dst.shape.join('×')}]`);
    dst.data.set(src.data);
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
  keep(t: RefArray): RefArray {
    return t;
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
