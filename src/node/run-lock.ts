// One writer per run folder. A fit (or a resume) holds an exclusive lock on its folder for as long as it runs, so a
// second fit, a resume or a predict into a live folder stops at once with one line naming the holder, instead of two
// processes writing the same model. The lock is proper-lockfile's (an atomic mkdir whose mtime the holder refreshes;
// a lock not refreshed for STALE_MS is stale and taken over), beside a small JSON naming the holder (pid, host,
// command, start time). A holder on this host whose process is gone (SIGKILL, a crash) is stale at once.
import type * as ProperLockfile from 'proper-lockfile';
import { createRequire } from 'node:module';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.ts';
import { InputError } from '../core/errors.ts';

// Loaded on first use: proper-lockfile's signal-exit hooks every catchable signal when it loads, and re-raises one
// no other listener handles, which turns SIGXFSZ (a file-size limit, which Node ignores so that writes fail with
// EFBIG) into death. Only a process that takes or checks a lock pays that; the CLI listens to SIGXFSZ itself.
let loaded: typeof ProperLockfile | undefined;
const lockfile = (): typeof ProperLockfile =>
  (loaded ??= createRequire(import.meta.url)('proper-lockfile') as typeof ProperLockfile);

/** The lock (a directory proper-lockfile makes) and its holder's description, both inside the run folder. */
export const LOCK_NAME = '.lcd-webgpu.lock';
const OWNER_NAME = '.lcd-webgpu.lock.json';
/** A holder refreshes the lock every STALE_MS / 2; one that has not for STALE_MS (a frozen machine) is stale. */
const STALE_MS = 60_000;

interface Holder {
  pid: number;
  host: string;
  command: string;
  started: string;
}

const readHolder = (dir: string): Holder | null => {
  try {
    return JSON.parse(readFileSync(join(dir, OWNER_NAME), 'utf8')) as Holder;
  } catch {
    return null;
  }
};

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
};

/** The holder of `dir`'s lock when a live process holds it, else null (a dead holder's lock is removed). */
export function lockHolder(dir: string): Holder | null {
  const lockPath = join(dir, LOCK_NAME);
  if (!existsSync(lockPath)) return null;
  const h = readHolder(dir);
  if (h && h.host === hostname() && !alive(h.pid)) {
    rmSync(lockPath, { recursive: true, force: true }); // its process is gone: the lock is stale now, not in a minute
    return null;
  }
  if (!lockfile().checkSync(dir, { lockfilePath: lockPath, stale: STALE_MS, realpath: false })) return null;
  return h ?? { pid: NaN, host: '?', command: '?', started: '?' };
}

const describe = (h: Holder) =>
  `${h.command} (pid ${h.pid} on ${h.host}, since ${h.started.replace('T', ' ').slice(0, 19)} UTC)`;

/** Refuse (exit 2) when a live process holds `dir`: what it is and how to go on. */
export function assertNotLocked(dir: string, what: string): void {
  const h = lockHolder(dir);
  if (h)
    throw new InputError(
      `${dir} is in use by ${describe(h)}; ${what} would read a model that is being replaced. Wait for it to finish, or stop it (its checkpoint lets fit --resume continue)`,
    );
}

/**
 * Take `dir`'s lock for `command` (the folder must exist); returns the release. A live holder is refused with one
 * line naming it. A lock lost while held (its folder removed, the machine frozen past STALE_MS) is reported by
 * `onLost` rather than thrown from a timer.
 */
export function lockRunFolder(dir: string, command: string, onLost: (why: string) => void = () => {}): () => void {
  const lockPath = join(dir, LOCK_NAME);
  lockHolder(dir); // clears a dead holder's lock on this host
  let release: () => void;
  try {
    release = lockfile().lockSync(dir, {
      lockfilePath: lockPath,
      stale: STALE_MS,
      update: STALE_MS / 2,
      realpath: false,
      onCompromised: (e: Error) => onLost(e.message),
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
    const h = readHolder(dir);
    throw new InputError(
      `${dir} is in use by ${h ? describe(h) : 'another process'}; wait for it to finish, choose another --out, or stop it (then fit --resume --out ${dir} continues from its checkpoint)`,
    );
  }
  const holder: Holder = { pid: process.pid, host: hostname(), command, started: new Date().toISOString() };
  writeFileAtomic(join(dir, OWNER_NAME), JSON.stringify(holder));
  return () => {
    try {
      release();
    } catch {
      /* the folder (and its lock) may be gone: a failed first fit removes what it made */
    }
    rmSync(join(dir, OWNER_NAME), { force: true });
  };
}

/** Entries of a run folder that are the lock's, not the run's (kept by `fit --force`, ignored by emptiness checks). */
export const LOCK_ENTRIES: readonly string[] = [LOCK_NAME, OWNER_NAME];
