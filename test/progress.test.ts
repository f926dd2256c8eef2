// A terminal progress bar never glues its last frame to the next message: printLine ends the bar's line first.
// Results go to stdout, diagnostics to stderr; --quiet drops both, --json moves every human line to stderr.
import { describe, it, expect, vi } from 'vitest';
import { ProgressBar, printLine, printNote, setOutputMode } from '../src/cli/progress.ts';
import { formatDuration } from '../src/core/format.ts';

function terminal() {
  const out: string[] = [];
  return { out, stream: { isTTY: true, write: (s: string) => (out.push(s), true) } };
}

describe('progress bar on a terminal', () => {
  it('a message after a bar frame starts on its own line, and the bar resumes on a fresh line', () => {
    const t = terminal(),
      log = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const bar = new ProgressBar('training', 10, t.stream as never);
      bar.update(5, 'loss 1.0', 3);
      printLine('measurement model: 100 steps');
      expect(t.out.at(-1)).toBe('\n'); // the frame's line was ended before the message
      expect(log).toHaveBeenCalledWith('measurement model: 100 steps\n');
      bar.update(10, 'loss 0.5', 0);
      expect(t.out.at(-1)!.startsWith('\rtraining [########################] 10/10')).toBe(true);
      bar.done('done in 2s');
      expect(t.out.at(-1)).toMatch(/^\rtraining done in 2s\s*\n$/);
      printLine('next'); // no bar open: nothing more is written to the terminal stream
      expect(t.out.at(-1)).toMatch(/done in 2s/);
    } finally {
      log.mockRestore();
    }
  });
  it('off a terminal the bar prints whole lines (none to end)', () => {
    const out: string[] = [];
    const bar = new ProgressBar('x', 2, { isTTY: false, write: (s: string) => (out.push(s), true) } as never);
    bar.update(2, '', 0);
    expect(out).toEqual([expect.stringMatching(/^x \[#+\] 2\/2 {2}ETA 0s\n$/)]);
  });
});

describe('where lines go', () => {
  it('results to stdout, diagnostics to stderr; quiet drops all, json sends every line to stderr', () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true),
      err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const seen = () => ({
      out: out.mock.calls.map((c) => String(c[0])),
      err: err.mock.calls.map((c) => String(c[0])),
    });
    try {
      printLine('wrote x.h5ad');
      printLine('kernel choice: matmul: rowu');
      printLine('note: --batch 9 is larger than the 4 training cells');
      printLine('warning: few cells');
      printNote('SIGTERM: stopping after the current step');
      expect(seen().out).toEqual(['wrote x.h5ad\n']);
      expect(seen().err).toHaveLength(4);
      out.mockClear();
      err.mockClear();
      setOutputMode('quiet');
      printLine('wrote x.h5ad');
      printNote('note: y');
      new ProgressBar('x', 2, process.stderr).update(2, '', 0);
      expect(seen()).toEqual({ out: [], err: [] });
      setOutputMode('json');
      printLine('wrote x.h5ad');
      expect(seen()).toEqual({ out: [], err: ['wrote x.h5ad\n'] });
    } finally {
      setOutputMode('text');
      out.mockRestore();
      err.mockRestore();
    }
  });
});

describe('formatDuration', () => {
  it('rounds once: seconds never read 60', () => {
    expect([0.4, 59.4, 59.6, 179.6, 3599.6, 3600, 7325].map(formatDuration)).toEqual([
      '0s',
      '59s',
      '1m00s',
      '3m00s',
      '1h00m',
      '1h00m',
      '2h02m',
    ]);
    expect(formatDuration(NaN)).toBe('?');
  });
});
