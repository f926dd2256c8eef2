// Errors the device reports later: shader compilation messages and popped validation scopes. Each check resolves to
// an Error or null (never rejects), so none is ever unhandled; `throwFirst` reports them at the next sync point, a
// shader compile error before the "invalid pipeline" validation error it causes.
import { ShaderCompileError } from './errors.ts';

export class PendingErrors {
  private checks: Promise<Error | null>[] = [];

  /** A check that already resolves to an Error or null. */
  add(check: Promise<Error | null>): void {
    this.checks.push(check);
  }

  /** A popped error scope: its error, if any, described by `what`. */
  watch(scope: Promise<GPUError | null>, what: (message: string) => string): void {
    this.add(
      scope.then(
        (err) => (err ? new Error(what(err.message)) : null),
        (e: Error) => e,
      ),
    );
  }

  /** Throw the first pending error (a compile error first); clears the list. */
  async throwFirst(): Promise<void> {
    const checks = this.checks;
    this.checks = [];
    const errors = (await Promise.all(checks)).filter((x): x is Error => x !== null);
    const first = errors.find((x) => x instanceof ShaderCompileError) ?? errors[0];
    if (first) throw first;
  }
}
