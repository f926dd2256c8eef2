// Faults injected into the real command line (bin/lcd-webgpu.mjs: a supervisor and the work in its child process):
// SIGTERM and SIGINT sent to the launcher during `fit` stop the work at a step boundary with a checkpoint, exit
// 143/130 and say how to resume; SIGKILL of the work process at a random moment loses at most the steps since the
// last periodic checkpoint; a native crash of the work process (SIGSEGV, injected through LCD_WEBGPU_FAILPOINT) is
// reported by the supervisor with the resume line; SIGKILL of the launcher makes the orphaned work stop with a
// checkpoint instead of running on. In every case `fit --resume --out <dir>` (no other flag) ends with weights
// bit-identical to an uninterrupted fit. Also: a resume with nothing to resume, and a flag that resume would
// ignore, are clear errors; a fit that fails during preprocessing leaves no folder; Dawn's start-up notices never
// reach the user's stderr.
import { describe, it, expect, beforeAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEngine } from './helpers/gpu.ts';
import { scratchRng } from '../src/reference/rng.ts';

const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' };
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['bin/lcd-webgpu.mjs', ...args], { encoding: 'utf8', env });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

/** The pid of the (single) child process of `pid`, from /proc. */
function childOf(pid: number): number {
  const kids = readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        // Field 4 of /proc/<pid>/stat is the parent pid (after the parenthesised command name).
        return Number(readFileSync(`/proc/${n}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]) === pid;
      } catch {
        return false;
      }
    });
  if (kids.length !== 1) throw new Error(`expected one child of ${pid}, found ${kids.length}`);
  return Number(kids[0]);
}

const alive = (pid: number) => existsSync(`/proc/${pid}`);

/** Run the CLI and send `sig` `delayMs` after LCD's training starts (the line fit prints just before it), to the
 *  launcher or to the work process under it. Resolves when the launcher ends, with the work process's pid. */
function interrupted(
  args: string[],
  sig: NodeJS.Signals,
  delayMs: number,
  target: 'launcher' | 'work' = 'launcher',
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string; work: number }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['bin/lcd-webgpu.mjs', ...args], { env: { ...env, ...extraEnv } });
    let out = '',
      err = '',
      armed = false,
      work = 0;
    p.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (!armed && out.includes('no measurement model')) {
        armed = true;
        work = childOf(p.pid!);
        setTimeout(() => (target === 'launcher' ? p.kill(sig) : process.kill(work, sig)), delayMs);
      }
    });
    p.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    p.on('exit', (code, signal) => resolve({ code, signal, err: out + err, work }));
  });
}

const engine = await testEngine();
describe.skipIf(!engine)('faults during fit', () => {
  let dir: string, data: string;
  const STEPS = 1500;
  const FIT = ['--values', 'latent', '--split', 'seen2', '--steps', `${STEPS}`, '--hidden', '32', '--batch', '64'];
  const weights = (run: string) => readFileSync(join(run, 'model', 'weights.safetensors'));
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'faults-'));
    const s = cli('simulate', '--out', join(dir, 'sim'), '--kind', 'linear', '--genes', '10', '--doubles', '4');
    expect(s.code, s.err).toBe(0);
    expect(s.err).not.toMatch(/maxDynamic|artificially reduced/); // Dawn's notices are filtered by the supervisor
    data = join(dir, 'sim', 'screen.h5ad');
    const ref = cli('fit', '--data', data, '--out', join(dir, 'ref'), ...FIT, '--checkpoint-every', '50');
    expect(ref.code, ref.err).toBe(0);
  }, 300_000);

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)(
    '%s stops at a step boundary, writes a checkpoint, exits %i and resumes to identical weights',
    async (sig, code) => {
      const run = join(dir, `run-${sig}`);
      // --checkpoint-every 1000: nothing periodic, so only the signal handler's checkpoint can carry the progress.
      const r = await interrupted(
        ['fit', '--data', data, '--out', run, ...FIT, '--checkpoint-every', '5000'],
        sig,
        1500,
      );
      expect(r.code, r.err).toBe(code);
      expect(r.err).toMatch(new RegExp(`${sig}: stopping after the current step`));
      expect(r.err).toMatch(/interrupted \(SIG\w+\) after step \d+; checkpoint written to/);
      expect(r.err).toContain(`resume with: lcd-webgpu fit --resume --out ${run}`);
      const step = Number(/after step (\d+)/.exec(r.err)![1]);
      expect(step).toBeGreaterThan(0);
      expect(step).toBeLessThan(STEPS);
      const resumed = cli('fit', '--resume', '--out', run);
      expect(resumed.code, resumed.err).toBe(0);
      expect(weights(run).equals(weights(join(dir, 'ref')))).toBe(true);
    },
    300_000,
  );

  it('SIGKILL of the work at random moments: resume from the last periodic checkpoint gives identical weights', async () => {
    const rng = scratchRng(2026);
    for (let k = 0; k < 2; k++) {
      const run = join(dir, `run-kill-${k}`);
      const r = await interrupted(
        ['fit', '--data', data, '--out', run, ...FIT, '--checkpoint-every', '50'],
        'SIGKILL',
        rng.uniformIn(800, 3000),
        'work',
      );
      expect(r.code, r.err).toBe(137);
      expect(r.err).toMatch(/the fit process was killed by SIGKILL/);
      expect(r.err).toContain(`resume with: lcd-webgpu fit --resume --out ${run}`);
      expect(existsSync(join(run, 'model', 'weights.safetensors'))).toBe(false);
      const resumed = cli('fit', '--resume', '--out', run);
      expect(resumed.code, resumed.err).toBe(0);
      expect(weights(run).equals(weights(join(dir, 'ref')))).toBe(true);
    }
  }, 300_000);

  it('a native crash of the work (SIGSEGV mid-fit) is named by the supervisor with the resume line', async () => {
    const run = join(dir, 'run-segv');
    // SIGCONT is a no-op for a running process: the failpoint's SIGSEGV is the fault.
    const r = await interrupted(
      ['fit', '--data', data, '--out', run, ...FIT, '--checkpoint-every', '50'],
      'SIGCONT',
      0,
      'work',
      {
        LCD_WEBGPU_FAILPOINT: 'fit.step@300:SIGSEGV',
      },
    );
    expect(r.code, r.err).toBe(139);
    expect(r.err).toMatch(/the fit process crashed in native code \(SIGSEGV\)/);
    expect(r.err).toContain(`resume with: lcd-webgpu fit --resume --out ${run}`);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
    const resumed = cli('fit', '--resume', '--out', run);
    expect(resumed.code, resumed.err).toBe(0);
    expect(weights(run).equals(weights(join(dir, 'ref')))).toBe(true);
  }, 300_000);

  it('SIGKILL of the launcher: the orphaned work stops with a checkpoint, and resume gives identical weights', async () => {
    const run = join(dir, 'run-orphan');
    const r = await interrupted(
      ['fit', '--data', data, '--out', run, ...FIT, '--checkpoint-every', '5000'],
      'SIGKILL',
      1500,
    );
    expect(r.signal).toBe('SIGKILL');
    for (let t = 0; t < 300 && alive(r.work); t++) await new Promise((ok) => setTimeout(ok, 100));
    expect(alive(r.work), 'the work process outlived its launcher').toBe(false);
    // Only the stop-on-orphaning path writes a checkpoint here (--checkpoint-every 5000 > the fit's steps).
    expect(existsSync(join(run, 'checkpoint', 'weights.safetensors'))).toBe(true);
    expect(existsSync(join(run, 'model', 'weights.safetensors'))).toBe(false);
    const resumed = cli('fit', '--resume', '--out', run);
    expect(resumed.code, resumed.err).toBe(0);
    expect(weights(run).equals(weights(join(dir, 'ref')))).toBe(true);
  }, 300_000);

  it('resume needs only --out, refuses flags it would ignore, and names a folder with nothing to resume', () => {
    let r = cli('fit', '--resume', '--out', join(dir, 'ref'), '--steps', '10');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--resume continues with .* recorded in .*run\.json; drop --steps/);
    r = cli('fit', '--resume', '--out', join(dir, 'nothing-here'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/nothing-here: nothing to resume \(no run\.json/);
  });

  it('a fit that fails while preprocessing leaves no folder behind', () => {
    const out = join(dir, 'failed');
    const r = cli('fit', '--data', data, '--out', out, '--values', 'latent', '--perturbation-key', 'nope');
    expect(r.code).toBe(2); // bad input
    expect(existsSync(out)).toBe(false);
  });

  it('each output file kind, damaged, gets a one-line error naming the file', () => {
    const base = join(dir, 'damaged-base');
    cpSync(join(dir, 'ref'), base, { recursive: true });
    const p = cli('predict', '--run', base, '--cells', '20', '--steps-per-level', '2');
    expect(p.code, p.err).toBe(0);
    const cases: [string, (b: Buffer) => Buffer, string[], RegExp][] = [
      ['run.json', (b) => b.subarray(0, b.length >> 1), ['predict', '--force', '--run'], /run\.json: not valid JSON/],
      [
        'model/config.json',
        () => Buffer.from('{"format": "lcd-w'),
        ['predict', '--force', '--run'],
        /config\.json: not valid JSON/,
      ],
      [
        'model/weights.safetensors',
        (b) => flip(b, b.length - 64),
        ['predict', '--force', '--run'],
        /weights\.safetensors: tensor '[^']+' is corrupt/,
      ],
      [
        'model/weights.safetensors',
        (b) => b.subarray(0, b.length - 100),
        ['predict', '--force', '--run'],
        /weights\.safetensors: tensor '[^']+' runs past the end of the file/,
      ],
      [
        'data.h5ad',
        (b) => b.subarray(0, b.length >> 1),
        ['evaluate', '--baselines', 'additive', '--run'],
        /data\.h5ad: the file is truncated/,
      ],
      [
        'predictions.h5ad',
        (b) => b.subarray(0, 1000),
        ['evaluate', '--baselines', 'additive', '--run'],
        /predictions\.h5ad: the file is truncated/,
      ],
      [
        'predictions.h5ad',
        () => Buffer.alloc(0),
        ['evaluate', '--baselines', 'additive', '--run'],
        /predictions\.h5ad: the file is empty/,
      ],
    ];
    cases.forEach(([file, damage, command, message], k) => {
      const run = join(dir, `damaged-${k}`);
      cpSync(base, run, { recursive: true });
      writeFileSync(join(run, file), damage(readFileSync(join(run, file))));
      const r = cli(...command, run);
      expect(r.code, `${file} #${k}: ${r.err}`).toBe(2); // a damaged input file is bad input
      const errors = r.err.split('\n').filter((l) => l.startsWith('error:'));
      expect(errors, file).toHaveLength(1);
      expect(errors[0], file).toMatch(message);
      expect(r.err, file).not.toMatch(/HDF5-DIAG|\n\s+at /); // no HDF5 dump, no stack trace
    });
  }, 300_000);
});

function flip(b: Buffer, at: number): Buffer {
  const c = Buffer.from(b);
  c[at] = c[at]! ^ 0x10;
  return c;
}
