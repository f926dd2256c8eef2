// Tensor lifetimes: every live tensor, and the stack of open scopes (engine.scope) that dispose what they created
// unless it is returned or kept.
import { GpuTensor } from './tensor.ts';

export class TensorScopes {
  private scopes: Set<GpuTensor>[] = [];
  private live = new Set<GpuTensor>();

  /** A new tensor: live, and owned by the innermost open scope. */
  track(t: GpuTensor): void {
    this.live.add(t);
    this.scopes[this.scopes.length - 1]?.add(t);
  }

  /** A disposed tensor leaves every set. */
  forget(t: GpuTensor): void {
    this.live.delete(t);
    for (const s of this.scopes) s.delete(t);
  }

  get liveCount(): number {
    return this.live.size;
  }

  /** Every live tensor (for the engine's destroy). */
  all(): GpuTensor[] {
    return [...this.live];
  }

  /**
   * Run fn; every tensor created inside and not returned (or passed to keep) is disposed afterwards.
   * Returned tensors (also inside arrays or plain objects) move to the enclosing scope.
   */
  scope<T>(fn: () => T | Promise<T>): T | Promise<T> {
    const own = new Set<GpuTensor>();
    this.scopes.push(own);
    const finish = (result: T): T => {
      const popped = this.scopes.pop();
      if (popped !== own)
        throw new Error('engine.scope: scopes closed out of order (an async scope overlapped another)');
      const keep = new Set<GpuTensor>();
      collectTensors(result, keep);
      for (const t of own) {
        if (keep.has(t)) this.scopes[this.scopes.length - 1]?.add(t);
        else t.dispose();
      }
      return result;
    };
    const fail = (e: unknown): never => {
      this.scopes.pop();
      for (const t of own) t.dispose();
      throw e;
    };
    let out: T | Promise<T>;
    try {
      out = fn();
    } catch (e) {
      return fail(e);
    }
    return out instanceof Promise ? out.then(finish, fail) : finish(out);
  }

  /** Exempt a tensor from the enclosing scopes' cleanup. */
  keep<T extends GpuTensor>(t: T): T {
    for (const s of this.scopes) s.delete(t);
    return t;
  }
}

function collectTensors(v: unknown, out: Set<GpuTensor>): void {
  if (v instanceof GpuTensor) out.add(v);
  else if (Array.isArray(v)) for (const x of v) collectTensors(x, out);
  else if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
    for (const x of Object.values(v)) collectTensors(x, out);
}
