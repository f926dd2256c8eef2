// Signals for long work: the first SIGINT, SIGTERM or SIGHUP asks the work to stop at its next step boundary (fit
// then writes a checkpoint); a second one quits at once. The exit status is the shell's 128 + signal number, so a
// supervisor sees "killed by SIGTERM" (143) even though the process ended cleanly.
import { constants } from 'node:os';
import { InterruptedError } from '../core/errors.ts';

const HANDLED = ['SIGHUP', 'SIGINT', 'SIGTERM'] as const;
type Handled = (typeof HANDLED)[number];
const SIGNALS: Record<Handled, number> = constants.signals;

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
  return { signal: ctl.signal, release: () => handlers.forEach(([n, h]) => process.off(n, h)) };
}

/** The exit status for an error: 128 + signal number for an interruption by a known signal, else undefined. */
export function interruptedExitCode(e: unknown): number | undefined {
  return e instanceof InterruptedError && (HANDLED as readonly string[]).includes(e.reason)
    ? 128 + SIGNALS[e.reason as Handled]
    : undefined;
}
