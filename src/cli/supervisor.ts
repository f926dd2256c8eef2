// The `lcd-webgpu` launcher's supervisor: the CLI's work runs in a child Node process that this one watches, so
// that what kills a process without running any of its JavaScript still ends in a clear message:
//
// - a native fault inside Dawn or the Vulkan driver (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT) kills only the
//   child; the supervisor names the crash, says what was kept and prints the `fit --resume` line;
// - SIGINT, SIGTERM and SIGHUP sent to the launcher are forwarded once to the child (which writes a checkpoint
//   and exits 130/143/129); the child runs in its own session, so a terminal's Ctrl-C reaches it only through
//   the supervisor and is never delivered twice (twice means "quit at once");
// - if the supervisor itself is SIGKILLed, the child sees its IPC channel close and stops as on SIGTERM
//   (checkpoint written), so no orphan keeps the GPU busy (see watchSupervisor in signals.ts);
// - if the launcher's own parent dies (npm's `npx` wrapper or its `sh -c`, stopped with SIGTERM, does not pass the
//   signal on), the launcher notices it has been re-parented and stops the work as on SIGHUP, with a checkpoint;
// - Dawn's native start-up warnings ("maxDynamic… artificially reduced") are dropped from the child's stderr;
//   every other byte passes through unchanged and at once (progress bars included).
//
// No engine import here: the launcher starts in milliseconds. LCD_WEBGPU_IN_PROCESS=1 skips the supervisor.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';

/** Native start-up notices of the `webgpu` binding that say nothing to a user (printed at requestAdapter). */
export const DAWN_NOISE = /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced/;
const NOISE_PREFIX = 'Warning: maxDynamic';

/** Signals that mean the process died in native code (no JavaScript handler can run). */
const NATIVE_FAULTS = new Set(['SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGFPE', 'SIGABRT']);
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** How often the launcher checks that its parent is still there (a changed ppid means it was re-parented). */
const PARENT_POLL_MS = 1000;

/**
 * A line filter for a byte stream: complete lines matching `drop` are removed, everything else is passed on as
 * soon as it cannot be the start of a dropped line (so `\r` progress frames are not delayed).
 */
export function lineFilter(write: (s: string) => void, drop = DAWN_NOISE, prefix = NOISE_PREFIX) {
  let held = '';
  const maybeNoise = (s: string) => prefix.startsWith(s) || s.startsWith(prefix);
  return {
    push(chunk: string): void {
      let s = held + chunk;
      held = '';
      let nl: number;
      while ((nl = s.indexOf('\n')) >= 0) {
        const line = s.slice(0, nl + 1);
        s = s.slice(nl + 1);
        if (!drop.test(line)) write(line);
      }
      if (s && maybeNoise(s)) held = s;
      else if (s) write(s);
    },
    end(): void {
      if (held && !drop.test(held)) write(held);
      held = '';
    },
  };
}

/** What the user should read after the child died by `signal` running `argv`; null for signals the user sent. */
export function crashMessage(signal: string, argv: readonly string[], runExists: (dir: string) => boolean): string {
  const cmd = argv[0] ?? '';
  const out = optionValue(argv, '--out');
  const what = NATIVE_FAULTS.has(signal)
    ? `lcd-webgpu: the ${cmd || 'command'} process crashed in native code (${signal}), inside the WebGPU runtime ` +
      `(Dawn) or the GPU driver; this is not caused by your data. Please report it with the command line.`
    : `lcd-webgpu: the ${cmd || 'command'} process was killed by ${signal}` +
      (signal === 'SIGKILL' ? ' (by another process or the out-of-memory killer)' : '') +
      '.';
  if (cmd === 'fit' && out && runExists(out))
    return `${what}\nsteps up to the last checkpoint are kept; resume with: lcd-webgpu fit --resume --out ${out}`;
  return what;
}

/** The value of `--name v` or `--name=v` in argv, if given. */
function optionValue(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === name) return argv[i + 1];
    if (argv[i]!.startsWith(name + '=')) return argv[i]!.slice(name.length + 1);
  }
  return undefined;
}

/** Run `script` with `argv` in a supervised child; resolves with the exit status the launcher should end with. */
export function supervise(script: string, argv: readonly string[]): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, script, ...argv], {
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    detached: true, // own session: terminal signals reach the supervisor only, which forwards them once
    env: {
      ...process.env,
      LCD_WEBGPU_SUPERVISED: '1',
      ...(process.stderr.isTTY ? { LCD_WEBGPU_STDERR_TTY: '1' } : {}),
    },
  });
  const filter = lineFilter((s) => process.stderr.write(s));
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => filter.push(s));
  const forward = FORWARDED.map((sig) => {
    const h = () => child.kill(sig);
    process.on(sig, h);
    return [sig, h] as const;
  });
  // Orphaned: the process that started us is gone (its terminal closed, or a wrapper killed without forwarding).
  const parent = process.ppid;
  const orphanWatch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(orphanWatch);
    process.stderr.write('lcd-webgpu: the process that started this command is gone; stopping the work (as SIGHUP)\n');
    child.kill('SIGHUP');
  }, PARENT_POLL_MS);
  orphanWatch.unref();
  return new Promise((resolve) => {
    child.on('error', (err) => {
      process.stderr.write(`lcd-webgpu: could not start the command process: ${err.message}\n`);
      resolve(1);
    });
    child.on('close', (code, signal) => {
      filter.end();
      clearInterval(orphanWatch);
      forward.forEach(([sig, h]) => process.off(sig, h));
      if (signal) {
        process.stderr.write(crashMessage(signal, argv, (d) => existsSync(join(d, 'run.json'))) + '\n');
        resolve(128 + (constants.signals[signal] ?? 0));
      } else resolve(code ?? 1);
    });
  });
}
