// AdamW over a list of parameter tensors (optax.adamw semantics), with a learning-rate schedule and optional
// global-norm gradient clipping computed on the device (no readback).
import { adamwKernel } from './kernels/adamw.ts';
import type { Backend, TensorLike } from '../ops/backend.ts';

export interface AdamWOptions {
  schedule: (step: number) => number;
  b1?: number;
  b2?: number;
  eps?: number;
  weightDecay?: number;
  /** Clip the global gradient norm to this value (0 = off). */
  maxGradNorm?: number;
}

export class AdamW<T extends TensorLike> {
  private m: T[];
  private v: T[];
  step = 0;

  constructor(
    readonly B: Backend<T>,
    readonly params: T[],
    readonly opts: AdamWOptions,
  ) {
    this.m = params.map((p) => B.full(p.shape, 0));
    this.v = params.map((p) => B.full(p.shape, 0));
  }

  /** Apply one update in place; grads[i] belongs to params[i]. */
  update(grads: (T | null)[]): void {
    const B = this.B;
    this.step++;
    const { b1 = 0.9, b2 = 0.999, eps = 1e-8, weightDecay = 0, maxGradNorm = 0 } = this.opts;
    const lr = this.opts.schedule(this.step - 1);
    let normSq: T | undefined;
    if (maxGradNorm > 0) {
      // ‖g‖² = Σ_params Σ_i g_i², reduced on the device.
      for (const g of grads) {
        if (!g) continue;
        const n = g.shape.reduce((a, b) => a * b, 1);
        const s = B.reduce('sumsq', B.reshape(g, [n]), 0, true);
        normSq = normSq ? B.binary('add', normSq, s) : s;
      }
    }
    this.params.forEach((p, i) => {
      const g = grads[i];
      if (g)
        B.fused(adamwKernel, [p, g, this.m[i]!, this.v[i]!, normSq], {
          lr,
          b1,
          b2,
          eps,
          weightDecay,
          step: this.step,
          maxGradNorm,
        });
    });
  }

  state(): { m: T[]; v: T[]; step: number } {
    return { m: this.m, v: this.v, step: this.step };
  }

  /** Restore moments and step count (checkpoint resume); arrays in parameter order. */
  loadState(m: ArrayLike<number>[], v: ArrayLike<number>[], step: number): void {
    this.m.forEach((t) => this.B.dispose(t));
    this.v.forEach((t) => this.B.dispose(t));
    this.m = m.map((a, i) => this.B.fromArray(a, this.params[i]!.shape));
    this.v = v.map((a, i) => this.B.fromArray(a, this.params[i]!.shape));
    this.step = step;
  }

  dispose(): void {
    [...this.m, ...this.v].forEach((t) => this.B.dispose(t));
  }
}
