// Faults injected into the real command line (bin/lcd-webgpu.mjs, in-process): SIGTERM and SIGINT during `fit` stop
// it at a step boundary with a checkpoint, exit 143/130 and say how to resume; SIGKILL at a random moment loses at
// most the steps since the last periodic checkpoint. In every case `fit --resume --out <dir>` (no other flag) ends
// with weights bit-identical to an uninterrupted fit. Also: a resume with nothing to resume, and a flag that resume
// would ignore, are clear errors; a fit that fails during preprocessing leaves no folder.
import { describe, it, expect, beforeAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEngine } from './helpers/gpu.ts';
import { scratchRng } from '../src/reference/rng.ts';

const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' };
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['bin/lcd-webgpu.mjs', ...args], { encoding: 'utf8', env });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

/** Run the CLI and send `sig` `delayMs` after LCD's training starts (the line fit prints just before it). */
function interrupted(
  args: string[],
  sig: NodeJS.Signals,
  delayMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['bin/lcd-webgpu.mjs', ...args], { env });
    let out = '',
      err = '',
      armed = false;
    p.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (!armed && out.includes('no measurement model')) {
        armed = true;
        setTimeout(() => p.kill(sig), delayMs);
      }
    });
    p.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    p.on('exit', (code, signal) => resolve({ code, signal, err: out + err }));
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

  it('SIGKILL at random moments: resume from the last periodic checkpoint gives identical weights', async () => {
    const rng = scratchRng(2026);
    for (let k = 0; k < 2; k++) {
      const run = join(dir, `run-kill-${k}`);
      const r = await interrupted(
        ['fit', '--data', data, '--out', run, ...FIT, '--checkpoint-every', '50'],
        'SIGKILL',
        rng.uniformIn(800, 3000),
      );
      expect(r.signal).toBe('SIGKILL');
      expect(existsSync(join(run, 'model', 'weights.safetensors'))).toBe(false);
      const resumed = cli('fit', '--resume', '--out', run);
      expect(resumed.code, resumed.err).toBe(0);
      expect(weights(run).equals(weights(join(dir, 'ref')))).toBe(true);
    }
  }, 300_000);

  it('resume needs only --out, refuses flags it would ignore, and names a folder with nothing to resume', () => {
    let r = cli('fit', '--resume', '--out', join(dir, 'ref'), '--steps', '10');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--resume continues with .* recorded in .*run\.json; drop --steps/);
    r = cli('fit', '--resume', '--out', join(dir, 'nothing-here'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/nothing-here: nothing to resume \(no run\.json/);
  });

  it('a fit that fails while preprocessing leaves no folder behind', () => {
    const out = join(dir, 'failed');
    const r = cli('fit', '--data', data, '--out', out, '--values', 'latent', '--perturbation-key', 'nope');
    expect(r.code).toBe(1);
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
      expect(r.code, `${file} #${k}: ${r.err}`).toBe(1);
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
