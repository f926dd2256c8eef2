// An exponential moving average of the parameters (Polyak averaging), the weights score models are usually sampled
// with: avg ← β_t·avg + (1 − β_t)·θ after every optimiser step. The decay warms up, β_t = min(β, (1 + t)/(10 + t))
// at step t (1-based), so the first steps are not dominated by the initial weights (the bias an average started at
// θ₀ would carry for about 1/(1 − β) steps). Over a packed parameter buffer (Backend.packed) one dispatch per step
// updates every parameter; otherwise one per tensor.
import { emaKernel, emaVec4Kernel } from './kernels/ema.ts';
import type { Backend, TensorLike } from '../ops/backend.ts';
import { sizeOf } from '../gpu/tensor.ts';

/** The decay of step t (1-based) for a target decay β. */
export const emaDecayAt = (beta: number, t: number): number => Math.min(beta, (1 + t) / (10 + t));

export class WeightAverage<T extends TensorLike> {
  /** The averages, one per parameter (slices of `whole` when packed). */
  readonly averages: T[];
  private readonly whole: T | null;

  constructor(
    readonly B: Backend<T>,
    readonly params: readonly T[],
    readonly beta: number,
    /** The buffer the parameters are slices of (in order), as AdamW's `packed`. */
    readonly packed?: T,
  ) {
    if (!(beta > 0 && beta < 1)) throw new RangeError(`EMA: the decay must be in (0, 1), got ${beta}`);
    if (packed) {
      const p = B.packed(params.map((x) => ({ data: new Float32Array(sizeOf(x.shape)), shape: x.shape })));
      this.whole = p.whole;
      this.averages = p.slices;
      B.copy(packed, p.whole);
    } else {
      this.whole = null;
      this.averages = params.map((x) => {
        const a = B.full(x.shape, 0);
        B.copy(x, a);
        return a;
      });
    }
  }

  /** Fold in the parameters after optimiser step t (1-based). */
  update(t: number): void {
    const decay = emaDecayAt(this.beta, t);
    // a packed buffer is a whole number of slice alignments: four elements per invocation (the same bits)
    if (this.whole)
      this.B.fused(sizeOf(this.whole.shape) % 4 === 0 ? emaVec4Kernel : emaKernel, [this.whole, this.packed!], {
        decay,
      });
    else this.params.forEach((p, i) => this.B.fused(emaKernel, [this.averages[i]!, p], { decay }));
  }

  /** Restore the averages (checkpoint resume), in parameter order. */
  load(arrays: readonly ArrayLike<number>[]): void {
    arrays.forEach((a, i) => this.B.write(this.averages[i]!, a));
  }

  dispose(): void {
    this.averages.forEach((t) => this.B.dispose(t));
    if (this.whole) this.B.dispose(this.whole);
  }
}
