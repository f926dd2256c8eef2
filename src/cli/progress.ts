// What the command line prints, and where. Results (tables, "wrote …", the headline numbers) go to stdout;
// diagnostics (progress bars, and lines tagged `note:`, `warning:`, `kernel choice:`, `adapter:`) go to stderr, so
// `lcd-webgpu evaluate … > table.txt` keeps only the results and a bar never runs into them on a terminal.
// `--quiet` drops everything but errors; `--json` sends every human line to stderr and leaves stdout to the one JSON
// object the command prints when it ends (main.ts).
//
// Progress: a redrawn bar on a terminal, plain periodic lines otherwise (CI, pipes). A bar redraws one unfinished
// terminal line; a printed line ends it first, so a bar's last frame is never glued to the next message, and the bar
// resumes on a fresh line at its next update.

import { formatDuration, type ProgressSink } from '../core/format.ts';

export { formatDuration };

/** text: results on stdout, diagnostics on stderr; quiet: errors only; json: human lines on stderr, JSON on stdout. */
export type OutputMode = 'text' | 'quiet' | 'json';
let mode: OutputMode = 'text';
export function setOutputMode(m: OutputMode): void {
  mode = m;
}
export const outputMode = (): OutputMode => mode;

/** Lines a job logs that are about how the work ran, not what it found: they go to stderr. */
const DIAGNOSTIC = /^(note|warning|kernel choice|adapter):/;
export const isDiagnostic = (line: string): boolean => DIAGNOSTIC.test(line);

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
    if (mode === 'quiet') return;
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
    if (mode === 'quiet') return;
    if (this.tty) {
      if (openBar === this) this.stream.write(`\r${(this.label + ' ' + message).padEnd(this.lastLine)}\n`);
      else this.stream.write(`${this.label} ${message}\n`);
      openBar = null;
    } else if (message) this.stream.write(`${this.label} ${message}\n`);
  }
}

/** Print one message line for the user (stdout, or stderr when it is a diagnostic or the output is JSON), first
 *  ending any progress bar's unfinished line. Multi-line messages are routed by their first line. */
export function printLine(s: string): void {
  emit(mode === 'json' || isDiagnostic(s) ? process.stderr : process.stdout, s);
}

/** Print a diagnostic line (stderr; dropped by --quiet). */
export function printNote(s: string): void {
  emit(process.stderr, s);
}

function emit(stream: NodeJS.WriteStream, s: string): void {
  if (mode === 'quiet') return;
  openBar?.breakLine();
  stream.write(s + '\n');
}
