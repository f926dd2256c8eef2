// Progress reporting for long work: a redrawn bar on a terminal, plain periodic lines otherwise (CI, pipes).

import { formatDuration, type ProgressSink } from '../core/format.ts';

export { formatDuration };

/** A progress bar; implements the jobs' ProgressSink. */
export class ProgressBar implements ProgressSink {
  private lastLine = 0;
  private readonly tty: boolean;
  constructor(
    readonly label: string,
    readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  update(done: number, extra = '', etaS = NaN): void {
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const width = 24,
      filled = Math.round(frac * width);
    const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total} ${extra} ETA ${formatDuration(etaS)}`;
    if (this.tty) this.stream.write(`\r${line.padEnd(this.lastLine)}`);
    else if (done === this.total || performance.now() - this.lastPrint > 5000) {
      this.stream.write(line + '\n');
      this.lastPrint = performance.now();
    }
    this.lastLine = line.length;
  }
  private lastPrint = 0;

  done(message = ''): void {
    if (this.tty) this.stream.write(`\r${(this.label + ' ' + message).padEnd(this.lastLine)}\n`);
    else if (message) this.stream.write(`${this.label} ${message}\n`);
  }
}
