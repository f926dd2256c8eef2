// Progress reporting for long work: a redrawn bar on a terminal, plain periodic lines otherwise (CI, pipes).
// A bar redraws one unfinished terminal line; `printLine` ends that line before a message is printed, so a bar's
// last frame is never glued to the next message, and the bar resumes on a fresh line at its next update.

import { formatDuration, type ProgressSink } from '../core/format.ts';

export { formatDuration };

/** The terminal bar whose line is currently unfinished, if any. */
let openBar: ProgressBar | null = null;

/** A progress bar; implements the jobs' ProgressSink. */
export class ProgressBar implements ProgressSink {
  private lastLine = 0;
  private readonly tty: boolean;
  constructor(
    readonly label: string,
    readonly total: number,
    private readonly stream: Pick<NodeJS.WriteStream, 'write' | 'isTTY'> = process.stderr,
  ) {
    // Under the launcher's supervisor stderr is a pipe to it, which passes frames on to the user's terminal.
    this.tty = Boolean(stream.isTTY) || (stream === process.stderr && process.env.LCD_WEBGPU_STDERR_TTY === '1');
  }

  update(done: number, extra = '', etaS = NaN): void {
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const width = 24,
      filled = Math.round(frac * width);
    const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total} ${extra} ETA ${formatDuration(etaS)}`;
    if (this.tty) {
      this.stream.write(`\r${line.padEnd(this.lastLine)}`);
      openBar = this;
    } else if (done === this.total || performance.now() - this.lastPrint > 5000) {
      this.stream.write(line + '\n');
      this.lastPrint = performance.now();
    }
    this.lastLine = line.length;
  }
  private lastPrint = 0;

  /** End the unfinished terminal line (before other output); the next update draws on a new line. */
  breakLine(): void {
    if (openBar !== this) return;
    this.stream.write('\n');
    this.lastLine = 0;
    openBar = null;
  }

  done(message = ''): void {
    if (this.tty) {
      if (openBar === this) this.stream.write(`\r${(this.label + ' ' + message).padEnd(this.lastLine)}\n`);
      else this.stream.write(`${this.label} ${message}\n`);
      openBar = null;
    } else if (message) this.stream.write(`${this.label} ${message}\n`);
  }
}

/** Print one message line for the user, first ending any progress bar's unfinished line. */
export function printLine(s: string): void {
  openBar?.breakLine();
  console.log(s);
}
