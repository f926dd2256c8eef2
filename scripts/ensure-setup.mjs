// What `npm start` and `npm test` run first, so that a fresh clone needs only those two commands: the npm
// dependencies when node_modules is missing or older than package-lock.json (`npm ci`), then the WebGPU runtime
// when Dawn finds no adapter (as root: scripts/install-webgpu-runtime.sh; otherwise one line with the command to
// run). Node built-ins only, so it runs before anything is installed. LCD_WEBGPU_SETUP=off skips it.
import { existsSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Whether `npm ci` is due: no node_modules, or the lockfile is newer than npm's record of the installed tree
 * (node_modules/.package-lock.json, which npm rewrites on every install).
 */
export function needsInstall(dir = root) {
  const lock = join(dir, 'package-lock.json'),
    installed = join(dir, 'node_modules', '.package-lock.json');
  if (!existsSync(installed)) return true;
  // npm writes both files in one install; two seconds of slack keep that order from counting as newer
  return existsSync(lock) && statSync(lock).mtimeMs > statSync(installed).mtimeMs + 2000;
}

/** Whether Dawn finds a WebGPU adapter, asked in a child process (a missing driver can abort the process). */
export function hasAdapter(dir = root) {
  const probe =
    "const w = await import('webgpu'); Object.assign(globalThis, w.globals);" +
    'const a = await w.create([]).requestAdapter(); process.exit(a ? 0 : 1);';
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
    cwd: dir,
    stdio: 'ignore',
    timeout: 60_000,
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
  });
  return r.status === 0;
}

const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit' }).status === 0;

function main() {
  if (process.env.LCD_WEBGPU_SETUP === 'off') return 0;
  if (needsInstall()) {
    console.error('setup: node_modules is missing or older than package-lock.json; running npm ci');
    if (!run('npm', ['ci', '--no-audit', '--no-fund'])) {
      console.error('setup: npm ci failed (see above); fix it, then run the command again');
      return 1;
    }
  }
  if (!hasAdapter()) {
    const script = 'bash scripts/install-webgpu-runtime.sh';
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    if (!isRoot || process.platform !== 'linux') {
      console.error(`setup: no WebGPU adapter found; install a GPU driver or the software runtime: sudo ${script}`);
      return 0; // the command itself says what is missing (exit 3 in the CLI, skipped GPU tests outside CI)
    }
    console.error(`setup: no WebGPU adapter found; installing the software runtime (${script})`);
    if (!run('bash', ['scripts/install-webgpu-runtime.sh'])) {
      console.error(`setup: ${script} failed (see above)`);
      return 1;
    }
  }
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main();
