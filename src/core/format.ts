// Plain formatting helpers for progress lines and logs (no engine, no platform).

/** Seconds as `42s`, `3m07s` or `1h05m`; '?' for a non-finite estimate. */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const t = Math.round(s); // round once, so 179.6 s is 3m00s, never 2m60s
  if (t < 60) return `${t}s`;
  const m = Math.floor(t / 60);
  return m < 60
    ? `${m}m${String(t % 60).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Seconds left at the rate so far: `done` of `total` units took `elapsedS` seconds. */
export const etaSeconds = (elapsedS: number, done: number, total: number): number => (elapsedS / done) * (total - done);

/** Where a job reports the progress of a long stage; the CLI passes a terminal bar, a page its own widget. */
export interface ProgressSink {
  update(done: number, extra?: string, etaS?: number): void;
  done(message?: string): void;
}

/** JSON.stringify replacer: a non-finite number (NaN, ±Infinity), which JSON cannot hold, is written as null. */
export const nonFiniteAsNull = (_key: string, v: unknown): unknown =>
  typeof v === 'number' && !Number.isFinite(v) ? null : v;
