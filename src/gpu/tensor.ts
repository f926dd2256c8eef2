// GPU tensor handle: a shape and a pooled storage buffer of f32, with explicit lifetime.
// The lib reference travels into tensor.d.ts, so a user's project whose lib lacks Symbol.dispose (e.g. ES2022 + DOM,
// without @types/node) still type-checks the shipped declarations.
/// <reference lib="esnext.disposable" preserve="true" />
import { DisposedError } from './errors.ts';

export type Shape = readonly number[];

export const sizeOf = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

export interface TensorOwner {
  releaseTensor(t: GpuTensor): void;
}

export class GpuTensor {
  readonly size: number;
  private _buffer: GPUBuffer | null;
  /** Borrowed tensors wrap a host's buffer and never release it. */
  readonly owned: boolean;

  constructor(
    readonly owner: TensorOwner,
    readonly shape: Shape,
    buffer: GPUBuffer,
    owned = true,
    readonly label = 'tensor',
    /** Where the tensor starts in its buffer (a slice of a packed buffer: a multiple of the device's storage offset
     *  alignment, 256 bytes); kernels bind exactly [byteOffset, byteOffset + 4·size) of it. */
    readonly byteOffset = 0,
    /** A slice binds exactly its own range, never the whole buffer (its neighbours may be written meanwhile). */
    readonly slice = false,
  ) {
    this.size = sizeOf(shape);
    this._buffer = buffer;
    this.owned = owned;
  }

  get buffer(): GPUBuffer {
    if (!this._buffer)
      throw new DisposedError(
        `tensor '${this.label}' [${this.shape.join('×')}] was used after dispose(); keep it alive (engine.keep or return it from the scope) or clone it first`,
      );
    return this._buffer;
  }

  get disposed(): boolean {
    return this._buffer === null;
  }

  dispose(): void {
    if (!this._buffer) return;
    this.owner.releaseTensor(this);
    this._buffer = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    return `GpuTensor(${this.label}, [${this.shape.join(', ')}])`;
  }
}
