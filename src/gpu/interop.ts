// Host interop with ndarray views (the public API's host array type) and typed arrays.
import ndarray, { type NdArray } from 'ndarray';
import type { Engine } from './engine.ts';
import type { GpuTensor } from './tensor.ts';
import { ShapeError } from './errors.ts';

/** Upload an ndarray (any strides, any numeric dtype) as a contiguous f32 tensor. */
export function fromNdarray(e: Engine, a: NdArray, label = 'ndarray'): GpuTensor {
  const shape = a.shape.slice();
  const n = shape.reduce((x, y) => x * y, 1);
  const out = new Float32Array(n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    const v = Number(a.get(...idx));
    if (!Number.isFinite(v))
      throw new ShapeError(`fromNdarray '${label}': non-finite value ${v} at index [${idx.join(', ')}]`);
    out[i] = v;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return e.upload(out, shape, label);
}

/** Read a tensor back as a row-major ndarray view over a Float32Array. */
export async function toNdarray(e: Engine, t: GpuTensor): Promise<NdArray<Float32Array>> {
  return ndarray(await e.read(t), t.shape.slice());
}
