// A FileStore on a folder of the local file system: reads with readFileSync, writes atomically (temporary file,
// fsync, rename), so an interrupted save never leaves a truncated model or checkpoint.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FileStore } from '../io/file-store.ts';
import { writeFileAtomic } from './atomic.ts';

export function folderStore(dir: string): FileStore {
  return {
    label: dir,
    read: (name) => {
      const p = join(dir, name);
      return existsSync(p) ? new Uint8Array(readFileSync(p)) : undefined;
    },
    write: (name, data) => writeFileAtomic(join(dir, name), data),
    describe: (name) => join(dir, name),
  };
}
