// AdamW over a list of parameter tensors (optax.adamw semantics), with a learning-rate schedule and optional
// global-norm clipping computed on the device (no readback).
//
// Packed parameters (`packed`: every parameter a slice of that one buffer, in order, as Backend.packed lays them out)
// get packed moments and a packed gradient buffer of the same layout: each step copies the gradients into their
// slices and runs ONE AdamW dispatch over the whole buffer instead of one per tensor (the update is elementwise with
// the same hyperparameters everywhere, and the gaps between slices are zeros that stay zeros). The values are the
// ones the per-tensor loop computes, bit for bit. A step in which some parameter has no gradient (it is then left
// alone, weight decay included) runs the per-tensor loop over the slices.
import { adamwKernel } from './kernels/adamw.ts';
import type { Backend, TensorLike } from '../ops/backend.ts';
import { sizeOf } from '../gpu/tensor.ts';

export interface AdamWOptions {
  schedule: (step: number) => number;
  b1?: number;
  b2?: number;
  eps?: number;
  weightDecay?: number;
  /** Clip the global gradient norm to this value (0 = off). */
  maxGradNorm?: number;
  /** The buffer the parameters are slices of (Backend.packed, in the order of `params`): one dispatch per step. */
  packed?: TensorLike;
}

interface Packing<T> {
  params: T;
  m: T;
  v: T;
  grads: T;
  gradSlices: T[];
}

export class AdamW<T extends TensorLike> {
  private m: T[];
  private v: T[];
  private packing: Packing<T> | null = null;
  step = 0;

  constructor(
    readonly B: Backend<T>,
    readonly params: T[],
    readonly opts: AdamWOptions,
  ) {
    if (opts.packed) {
      const zeros = () => B.packed(params.map((p) => ({ data: new Float32Array(sizeOf(p.shape)), shape: p.shape })));
      const [m, v, g] = [zeros(), zeros(), zeros()];
      this.packing = { params: opts.packed as T, m: m.whole, v: v.whole, grads: g.whole, gradSlices: g.slices };
      this.m = m.slices;
      this.v = v.slices;
    } else {
      this.m = params.map((p) => B.full(p.shape, 0));
      this.v = params.map((p) => B.full(p.shape, 0));
    }
  }

  /** Apply one update in place; grads[i] belongs to params[i]. */
  update(grads: (T | null)[]): void {
    const B = this.B;
    this.step++;
    const { b1 = 0.9, b2 = 0.999, eps = 1e-8, weightDecay = 0, maxGradNorm = 0 } = this.opts;
    const hyper = { lr: this.opts.schedule(this.step - 1), b1, b2, eps, weightDecay, step: this.step, maxGradNorm };
    let normSq: T | undefined;
    if (maxGradNorm > 0) {
      // ‖g‖² = Σ_params Σ_i g_i², reduced on the device.
      for (const g of grads) {
        if (!g) continue;
        const s = B.reduce('sumsq', B.reshape(g, [sizeOf(g.shape)]), 0, true);
        normSq = normSq ? B.binary('add', normSq, s) : s;
      }
    }
    const pk = this.packing;
    if (pk && grads.every((g) => g)) {
      grads.forEach((g, i) => B.copy(g!, pk.gradSlices[i]!));
      B.fused(adamwKernel, [pk.params, pk.grads, pk.m, pk.v, normSq], hyper);
      return;
    }
    this.params.forEach((p, i) => {
      const g = grads[i];
      if (g) B.fused(adamwKernel, [p, g, this.m[i]!, this.v[i]!, normSq], hyper);
    });
  }

  state(): { m: T[]; v: T[]; step: number } {
    return { m: this.m, v: this.v, step: this.step };
  }

  /** Restore moments and step count (checkpoint resume); arrays in parameter order. */
  loadState(m: ArrayLike<number>[], v: ArrayLike<number>[], step: number): void {
    if (this.packing) {
      m.forEach((a, i) => this.B.write(this.m[i]!, a));
      v.forEach((a, i) => this.B.write(this.v[i]!, a));
    } else {
      this.m.forEach((t) => this.B.dispose(t));
      this.v.forEach((t) => this.B.dispose(t));
      this.m = m.map((a, i) => this.B.fromArray(a, this.params[i]!.shape));
      this.v = v.map((a, i) => this.B.fromArray(a, this.params[i]!.shape));
    }
    this.step = step;
  }

  dispose(): void {
    [...this.m, ...this.v].forEach((t) => this.B.dispose(t));
    if (this.packing)
      [this.packing.m, this.packing.v, this.packing.grads, ...this.packing.gradSlices].forEach((t) =>
        this.B.dispose(t),
      );
  }
}
