// The launcher's supervisor (src/cli/supervisor.ts), its pure parts: the stderr filter that drops Dawn's start-up
// notices whatever the chunking and passes everything else on at once, and the message after a child's death.
import { describe, it, expect } from 'vitest';
import { lineFilter, crashMessage } from '../src/cli/supervisor.ts';

const NOISE =
  'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.\n' +
  'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.\n';

function filtered(chunks: string[]): { text: string; writes: string[] } {
  const writes: string[] = [];
  const f = lineFilter((s) => writes.push(s));
  chunks.forEach((c) => f.push(c));
  f.end();
  return { text: writes.join(''), writes };
}

describe('supervisor stderr filter', () => {
  const text =
    NOISE + 'training [##....] 2/6 ETA 3s\rtraining [####..] 4/6 ETA 1s\nWarning: something else\nerror: bad\n';
  const want = 'training [##....] 2/6 ETA 3s\rtraining [####..] 4/6 ETA 1s\nWarning: something else\nerror: bad\n';

  it('drops exactly the two notices, for every split of the stream into two or three chunks', () => {
    expect(filtered([text]).text).toBe(want);
    for (let i = 0; i <= text.length; i += 7)
      for (let j = i; j <= text.length; j += 23)
        expect(filtered([text.slice(0, i), text.slice(i, j), text.slice(j)]).text).toBe(want);
  });

  it('passes an unfinished progress frame on at once (it cannot start a notice)', () => {
    const writes: string[] = [];
    const f = lineFilter((s) => writes.push(s));
    f.push('\rtraining [#.....] 1/6');
    expect(writes).toEqual(['\rtraining [#.....] 1/6']);
    f.push('Warn'); // could be a notice: held until the line shows what it is
    expect(writes).toHaveLength(1);
    f.push('ing: disk almost full\n');
    expect(writes.join('')).toBe('\rtraining [#.....] 1/6Warning: disk almost full\n');
  });
});

describe('supervisor crash message', () => {
  const hasRun = (d: string) => d === 'runs/x';
  it('names a native crash and gives the resume line when the fit folder has a run', () => {
    const m = crashMessage('SIGSEGV', ['fit', '--data', 'a.h5ad', '--out', 'runs/x'], hasRun);
    expect(m).toMatch(/fit process crashed in native code \(SIGSEGV\)/);
    expect(m).toMatch(/resume with: lcd-webgpu fit --resume --out runs\/x$/);
    expect(crashMessage('SIGABRT', ['fit', '--out=runs/x'], hasRun)).toMatch(/--resume --out runs\/x$/);
  });
  it('says killed (not crashed) for SIGKILL, and gives no resume line without a run folder or for other commands', () => {
    expect(crashMessage('SIGKILL', ['fit', '--out', 'runs/y'], hasRun)).toBe(
      'lcd-webgpu: the fit process was killed by SIGKILL (by another process or the out-of-memory killer).',
    );
    expect(crashMessage('SIGSEGV', ['predict', '--run', 'runs/x'], hasRun)).not.toMatch(/resume/);
  });
});
