// Backend over the WebGPU engine: every primitive is one (or, for transposed software matmuls, two) dispatches
// recorded into the engine's open command encoder.
import type { Engine } from '../gpu/engine.ts';
import { GpuTensor } from '../gpu/tensor.ts';
import { matmul, matmulShapes } from '../gpu/kernels/matmul.ts';
import { unary, binary, fill, transpose } from '../gpu/kernels/elementwise.ts';
import { reduce } from '../gpu/kernels/reduce.ts';
import { randomNormal } from '../gpu/kernels/random.ts';
import type { FusedKernel } from './fused-kernel.ts';
import type { RandomStream } from '../core/random-streams.ts';
import type { Backend, MatmulOpts, Shape } from './backend.ts';
import type { UnaryOp, BinaryOp, ReduceOp } from '../gpu/kernels/types.ts';

export class WebGPUBackend implements Backend<GpuTensor> {
  readonly name = 'webgpu' as const;
  constructor(readonly engine: Engine) {}
  fromArray(data: ArrayLike<number>, shape: Shape): GpuTensor {
    return this.engine.upload(data, shape);
  }
  async toArray(t: GpuTensor): Promise<Float64Array> {
    return Float64Array.from(await this.engine.read(t));
  }
  full(shape: Shape, value: number): GpuTensor {
    return fill(this.engine, this.engine.empty(shape, 'full'), value);
  }
  matmul(a: GpuTensor, b: GpuTensor, opts: MatmulOpts<GpuTensor> = {}): GpuTensor {
    return matmul(this.engine, a, b, opts);
  }
  matmulWithPreActivation(a: GpuTensor, b: GpuTensor, opts: MatmulOpts<GpuTensor> = {}): [GpuTensor, GpuTensor] {
    const pre = this.engine.empty(matmulShapes(a.shape, b.shape, opts.transA, opts.transB).outShape, 'preActivation');
    return [matmul(this.engine, a, b, { ...opts, preActivation: pre }), pre];
  }
  matmulColSums(a: GpuTensor, b: GpuTensor, opts: MatmulOpts<GpuTensor> = {}): [GpuTensor, GpuTensor] {
    const N = b.shape[opts.transB ? b.shape.length - 2 : b.shape.length - 1]!;
    const sums = this.engine.empty([N], 'colSums');
    return [matmul(this.engine, a, b, { ...opts, colSums: sums }), sums];
  }
  unary(op: UnaryOp, a: GpuTensor, alpha = 1, beta = 0): GpuTensor {
    return unary(this.engine, op, a, alpha, beta);
  }
  binary(op: BinaryOp, a: GpuTensor, b: GpuTensor): GpuTensor {
    return binary(this.engine, op, a, b);
  }
  reduce(op: ReduceOp, a: GpuTensor, axis: number, keepDims = false, scale = 1, into: GpuTensor | null = null) {
    return reduce(this.engine, op, a, axis, keepDims, scale, into);
  }
  transpose(a: GpuTensor): GpuTensor {
    return transpose(this.engine, a);
  }
  reshape(a: GpuTensor, shape: Shape): GpuTensor {
    return this.engine.reshape(a, shape);
  }
  packed(arrays: readonly { data: ArrayLike<number>; shape: Shape }[]): { whole: GpuTensor; slices: GpuTensor[] } {
    return this.engine.packed(
      arrays.map((a) => a.shape),
      arrays.map((a) => a.data),
    );
  }
  write(t: GpuTensor, data: ArrayLike<number>): void {
    this.engine.write(t, data);
  }
  copy(src: GpuTensor, dst: GpuTensor): void {
    this.engine.copy(src, dst);
  }
  randomNormal(shape: Shape, stream: RandomStream, scale = 1): GpuTensor {
    return randomNormal(this.engine, shape, stream, scale);
  }
  fused<A>(kernel: FusedKernel<A>, inputs: readonly (GpuTensor | undefined)[], attrs: A): GpuTensor[] {
    return kernel.gpu(this.engine, inputs, attrs);
  }
  scope<R>(fn: () => R): R {
    return this.engine.scope(fn);
  }
  keep(t: GpuTensor): GpuTensor {
    return this.engine.keep(t);
  }
  settle(): Promise<void> {
    return this.engine.sync();
  }
  flush(): void {
    this.engine.flush();
  }
  dispose(t: GpuTensor): void {
    t.dispose();
  }
}
