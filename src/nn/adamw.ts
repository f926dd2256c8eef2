// AdamW over a list of parameter tensors (optax.adamw semantics), with a learning-rate schedule and optional
// global-norm clipping computed on the device (no readback).
//
// Packed parameters (`packed`: every parameter a slice of that one buffer, in order, as Backend.packed lays them out;
// or `groups`: consecutive runs of parameters, each run the slices of its own buffer) get packed moments and a packed
// gradient buffer of the same layout: each step copies a group's gradients into their slices and runs ONE AdamW
// dispatch over the group's buffer instead of one per tensor (the update is elementwise with the same
// hyperparameters everywhere, and the gaps between slices are zeros that stay zeros). The values are the ones the
// per-tensor loop computes, bit for bit, unless clipped: the global norm then takes one sum of squares over each
// group's gradient buffer (not one per tensor and a chain of additions), the same norm summed in another order.
// A group in which some parameter has no gradient this step (it is then left alone, weight decay included) runs the
// per-tensor loop over its slices; a group with none is skipped, which is what the count prior's per-environment
// generators need (one environment's generator trains per step).
import { adamwKernel, adamwVec4Kernel } from './kernels/adamw.ts';
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
  /** Instead of `packed`: consecutive runs of `params`, each `count` parameters that are the slices of `whole` (in
   *  order); parameters after the last run are updated one by one. One dispatch per group with gradients. */
  groups?: readonly { whole: TensorLike; count: number }[];
}

interface Packing<T> {
  /** Index of the group's first parameter and the number of its parameters. */
  first: number;
  count: number;
  params: T;
  m: T;
  v: T;
  grads: T;
  gradSlices: T[];
}

export class AdamW<T extends TensorLike> {
  private m: T[];
  private v: T[];
  private packings: Packing<T>[] = [];
  step = 0;

  constructor(
    readonly B: Backend<T>,
    readonly params: T[],
    readonly opts: AdamWOptions,
  ) {
    const groups = opts.packed ? [{ whole: opts.packed, count: params.length }] : (opts.groups ?? []);
    this.m = [];
    this.v = [];
    // The gradient buffer only carries a step's gradients into its group's dispatch, so groups of the same layout
    // (the count prior's generators) share one: a genome-wide prior then holds one, not one per environment.
    const gradBuffers = new Map<string, { whole: T; slices: T[] }>();
    let first = 0;
    for (const g of groups) {
      const run = params.slice(first, first + g.count);
      if (run.length !== g.count)
        throw new RangeError(
          `AdamW: a group of ${g.count} parameters from index ${first} exceeds the ${params.length} given`,
        );
      const zeros = () => B.packed(run.map((p) => ({ data: new Float32Array(sizeOf(p.shape)), shape: p.shape })));
      const layout = JSON.stringify(run.map((p) => p.shape));
      if (!gradBuffers.has(layout)) gradBuffers.set(layout, zeros());
      const [m, v, gr] = [zeros(), zeros(), gradBuffers.get(layout)!];
      this.packings.push({
        first,
        count: g.count,
        params: g.whole as T,
        m: m.whole,
        v: v.whole,
        grads: gr.whole,
        gradSlices: gr.slices,
      });
      this.m.push(...m.slices);
      this.v.push(...v.slices);
      first += g.count;
    }
    for (const p of params.slice(first)) {
      this.m.push(B.full(p.shape, 0));
      this.v.push(B.full(p.shape, 0));
    }
  }

  /** Where update() gathers the gradients of `packed` parameters (one group over all of them), in parameter order:
   *  a producer that writes a gradient into its slot and passes the slot itself to update() saves that copy. Null
   *  for any other grouping. The slots are the optimiser's: overwritten by every step. */
  gradientSlots(): T[] | null {
    const pk = this.packings[0];
    return this.packings.length === 1 && pk!.first === 0 && pk!.count === this.params.length ? pk!.gradSlices : null;
  }

  /** Whether parameter i's moments are a slice of a group's buffer. */
  private grouped(i: number): boolean {
    return this.packings.some((pk) => i >= pk.first && i < pk.first + pk.count);
  }

  /** Apply one update in place; grads[i] belongs to params[i]. */
  update(grads: (T | null)[]): void {
    const B = this.B;
    this.step++;
    const { b1 = 0.9, b2 = 0.999, eps = 1e-8, weightDecay = 0, maxGradNorm = 0 } = this.opts;
    const hyper = { lr: this.opts.schedule(this.step - 1), b1, b2, eps, weightDecay, step: this.step, maxGradNorm };
    // Groups whose every parameter has a gradient get them copied into their gradient buffer (one per buffer per
    // step: groups of one layout share it, and a second one this step goes per tensor).
    const done = new Set<number>(),
      ready: Packing<T>[] = [],
      bufferTaken = new Set<T>();
    for (const pk of this.packings) {
      const own = grads.slice(pk.first, pk.first + pk.count);
      if (!own.every((g) => g) || bufferTaken.has(pk.grads)) continue; // per tensor below (none at all: nothing)
      bufferTaken.add(pk.grads);
      ready.push(pk);
      own.forEach((g, k) => {
        // a gradient written straight into its slot (gradientSlots) needs no copy
        if (g !== pk.gradSlices[k]) B.copy(g!, pk.gradSlices[k]!);
        done.add(pk.first + k);
      });
    }
    let normSq: T | undefined;
    if (maxGradNorm > 0) {
      // ‖g‖² = Σ_params Σ_i g_i² on the device: one sum of squares over each ready group's gradient buffer (its gaps
      // are zeros) and one per remaining gradient, each added into the first in place (reduce's accumulation).
      const parts = [...ready.map((pk) => pk.grads), ...grads.filter((g, i): g is T => !!g && !done.has(i))];
      for (const t of parts) normSq = B.reduce('sumsq', B.reshape(t, [sizeOf(t.shape)]), 0, true, 1, normSq ?? null);
    }
    // A packed group's length is a whole number of slice alignments: four elements per invocation (the same bits).
    for (const pk of ready)
      B.fused(
        sizeOf(pk.params.shape) % 4 === 0 ? adamwVec4Kernel : adamwKernel,
        [pk.params, pk.grads, pk.m, pk.v, normSq],
        hyper,
      );
    this.params.forEach((p, i) => {
      const g = grads[i];
      if (g && !done.has(i)) B.fused(adamwKernel, [p, g, this.m[i]!, this.v[i]!, normSq], hyper);
    });
  }

  state(): { m: T[]; v: T[]; step: number } {
    return { m: this.m, v: this.v, step: this.step };
  }

  /** Restore moments and step count (checkpoint resume); arrays in parameter order. */
  loadState(m: ArrayLike<number>[], v: ArrayLike<number>[], step: number): void {
    const load = (moments: T[], arrays: ArrayLike<number>[]) =>
      arrays.forEach((a, i) => {
        if (this.grouped(i)) this.B.write(moments[i]!, a);
        else {
          this.B.dispose(moments[i]!);
          moments[i] = this.B.fromArray(a, this.params[i]!.shape);
        }
      });
    load(this.m, m);
    load(this.v, v);
    this.step = step;
  }

  dispose(): void {
    [...this.m, ...this.v].forEach((t) => this.B.dispose(t));
    const grads = new Set<T>();
    for (const pk of this.packings) {
      [pk.m, pk.v].forEach((t) => this.B.dispose(t));
      [pk.grads, ...pk.gradSlices].forEach((t) => grads.add(t)); // shared between groups of one layout
    }
    grads.forEach((t) => this.B.dispose(t));
  }
}
