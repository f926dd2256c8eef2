// A micrograd-sized reverse-mode tape over any Backend.
//
// Ops record a node {value, parents, backward}; nodes are appended in creation order, which is already a
// topological order, so backward() walks the list in reverse. Gradients accumulate (g_parent += ...), so a
// value used twice receives both contributions. Gradient rules live beside each op's forward in autodiff.ts.
import type { Backend, TensorLike, Shape } from './backend.ts';

export type GradFn<T> = (g: T) => (T | null)[];

export class Var<T extends TensorLike> {
  grad: T | null = null;
  /** Recorded ops that take this value as an input (a gradient rule may fuse work into its only consumer's). */
  uses = 0;
  /** `grad` is already the gradient before this node's activation (its only consumer applied the activation's
   *  derivative inside its own product; see autodiff.matmul). */
  gradIsPreActivation = false;
  /** Set by a rule whose returned gradient for this value already includes `grad` (it added the earlier
   *  contributions in its own epilogue): the tape then takes it as the sum instead of adding again. */
  gradIncludesPrevious = false;
  /** The gradient is `grad` times this factor, not yet applied: set by a rule for a matmul node it is the only
   *  consumer of (meanSquare's 2c/n), and applied by the matmul's own gradient products as their alpha. */
  gradScale = 1;
  /** A SiLU layer's pre-activation z (autodiff.matmul keeps it: its derivative, and its consumer's gate, need it). */
  preActivation?: T;
  /** The outputs of a multi-output op (Tape.recordMulti): this node's rule runs once all their gradients are in. */
  outputs?: Var<T>[];
  constructor(
    readonly value: T,
    readonly requiresGrad: boolean,
    readonly parents: readonly Var<T>[] = [],
    readonly backwardFn: GradFn<T> | null = null,
    readonly op = 'leaf',
  ) {}
  get shape(): Shape {
    return this.value.shape;
  }
}

export class Tape<T extends TensorLike> {
  private nodes: Var<T>[] = [];
  private gradEnabled = true;
  /** The default seed of the running backward pass (all ones), so that a rule can skip multiplying by it. */
  private ones: T | null = null;
  constructor(readonly B: Backend<T>) {}

  /** A leaf whose gradient is wanted (a parameter). */
  param(value: T): Var<T> {
    return new Var(value, true);
  }
  /** A leaf without gradient (data). */
  constant(value: T): Var<T> {
    return new Var(value, false);
  }

  record(op: string, value: T, parents: Var<T>[], backwardFn: GradFn<T>): Var<T> {
    const needs = this.gradEnabled && parents.some((p) => p.requiresGrad);
    if (!needs) return new Var(value, false, [], null, op);
    const v = new Var(value, true, parents, backwardFn, op);
    for (const p of parents) p.uses++;
    this.nodes.push(v);
    return v;
  }

  /**
   * An op with several outputs and one gradient rule, which receives the gradients of all of them at once (null for
   * an output nothing used) and returns its parents'. The outputs are Vars of their own; the rule's node is recorded
   * before anything can consume them, so the reverse pass reaches it after every consumer has contributed.
   */
  recordMulti(op: string, values: T[], parents: Var<T>[], backwardFn: (gs: (T | null)[]) => (T | null)[]): Var<T>[] {
    const needs = this.gradEnabled && parents.some((p) => p.requiresGrad);
    if (!needs) return values.map((v) => new Var(v, false, [], null, op));
    const outs = values.map((v, k) => new Var(v, true, [], null, `${op}.${k}`));
    const node = new Var(values[0]!, true, parents, () => backwardFn(outs.map((o) => o.grad)), op);
    node.outputs = outs;
    for (const p of parents) p.uses++;
    this.nodes.push(node);
    return outs;
  }

  /** Run fn without recording (values only). */
  noGrad<R>(fn: () => R): R {
    const prev = this.gradEnabled;
    this.gradEnabled = false;
    try {
      return fn();
    } finally {
      this.gradEnabled = prev;
    }
  }

  /**
   * Reverse pass from `output`, seeded with `seed` (default: ones, i.e. d(sum output)). Gradients accumulate
   * into `.grad` of every Var that requires one, leaves included.
   */
  backward(output: Var<T>, seed?: T): void {
    if (!output.requiresGrad) throw new Error('backward: the output does not depend on any parameter');
    // A scalar loss's seed is uploaded (a few bytes, no dispatch); a large output's is filled on the device.
    const n = output.shape.reduce((a, b) => a * b, 1);
    output.grad =
      seed ?? (n <= 1024 ? this.B.fromArray(new Float32Array(n).fill(1), output.shape) : this.B.full(output.shape, 1));
    this.ones = seed ? null : output.grad;
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i]!;
      if (!node.backwardFn || !(node.grad || node.outputs?.some((o) => o.grad))) continue;
      const grads = node.backwardFn(node.grad ?? node.value); // a multi-output rule reads its outputs' gradients
      node.parents.forEach((p, k) => {
        const g = grads[k];
        if (!p.requiresGrad || !g) return;
        p.grad = p.grad && !p.gradIncludesPrevious ? this.B.binary('add', p.grad, g) : g;
        p.gradIncludesPrevious = false;
      });
    }
  }

  /** Whether `g` is the default seed of the backward pass (every element 1). */
  isOnes(g: T): boolean {
    return g === this.ones;
  }

  /** Forget recorded nodes (values stay owned by whoever created them, e.g. an engine scope). */
  reset(): void {
    this.nodes = [];
  }
}
