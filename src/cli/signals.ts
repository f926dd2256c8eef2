// Signals for long work: the first SIGINT, SIGTERM or SIGHUP asks the work to stop at its next step boundary (fit
// then writes a checkpoint); a second one quits at once. The exit status is the shell's 128 + signal number, so a
// supervisor sees "killed by SIGTERM" (143) even though the process ended cleanly.
import { constants } from 'node:os';
import { InterruptedError } from '../core/errors.ts';

const HANDLED = ['SIGHUP', 'SIGINT', 'SIGTERM'] as const;
type Handled = (typeof HANDLED)[number];
const SIGNALS: Record<Handled, number> = constants.signals;

/** Stops the work item running now as SIGTERM would, if any (called when the supervisor disappears). */
let onOrphaned: (() => void) | null = null;

/** Install the handlers (once per work item) and return the signal the work should watch. */
export function interruptOnSignals(say: (s: string) => void): { signal: AbortSignal; release: () => void } {
  const ctl = new AbortController();
  const handlers = HANDLED.map((name) => {
    const h = () => {
      if (ctl.signal.aborted) process.exit(128 + SIGNALS[name]);
      say(`\n${name}: stopping after the current step (send it again to quit at once)`);
      ctl.abort(name);
    };
    process.on(name, h);
    return [name, h] as const;
  });
  onOrphaned = () => {
    if (ctl.signal.aborted) return;
    say('\nthe lcd-webgpu launcher is gone (killed): stopping after the current step');
    ctl.abort('SIGTERM');
  };
  return {
    signal: ctl.signal,
    release: () => {
      handlers.forEach(([n, h]) => process.off(n, h));
      onOrphaned = null;
    },
  };
}

/**
 * In a child of the launcher's supervisor (src/cli/supervisor.ts): when the supervisor dies without forwarding
 * anything (SIGKILL), the IPC channel closes; the work then stops as on SIGTERM (checkpoint written, exit 143),
 * or at once when no long work is running. The channel does not keep the process alive, and writes to the dead
 * supervisor's stderr pipe are dropped instead of crashing the process.
 */
export function watchSupervisor(): void {
  if (process.env.LCD_WEBGPU_SUPERVISED !== '1' || !process.channel) return;
  process.channel.unref();
  process.stderr.on('error', () => {});
  process.on('disconnect', () => (onOrphaned ? onOrphaned() : process.exit(128 + SIGNALS.SIGTERM)));
}

/**
 * Fault injection for the test suite (never set by the library): LCD_WEBGPU_FAILPOINT=<site>@<n>:<SIGNAL> makes
 * this process send itself SIGNAL once, when `site` first reaches n (fit.step@300:SIGSEGV, a native crash mid-fit;
 * prior.step@200:SIGTERM, a stop inside the measurement model).
 */
export function failpoint(site: string, n: number): void {
  const spec = process.env.LCD_WEBGPU_FAILPOINT;
  if (!spec || failpointFired) return;
  const m = /^([\w.]+)@(\d+):(SIG[A-Z]+)$/.exec(spec);
  if (m && m[1] === site && n >= Number(m[2])) {
    failpointFired = true;
    process.kill(process.pid, m[3] as NodeJS.Signals);
  }
}
let failpointFired = false;

/** The exit status for an error: 128 + signal number for an interruption by a known signal, else undefined. */
export function interruptedExitCode(e: unknown): number | undefined {
  return e instanceof InterruptedError && (HANDLED as readonly string[]).includes(e.reason)
    ? 128 + SIGNALS[e.reason as Handled]
    : undefined;
}
