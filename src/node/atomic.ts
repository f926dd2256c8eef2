// Atomic file writes: write to a temporary file in the same directory, fsync, then rename over the target,
// so a crash never leaves a truncated file behind.
import { openSync, writeSync, fsyncSync, closeSync, renameSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

/** The temporary sibling a file is written to before being renamed over `path` (same directory, so rename is atomic). */
export function temporaryPathFor(path: string): string {
  mkdirSync(dirname(path), { recursive: true });
  return join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
}

const FULL = new Set(['ENOSPC', 'EFBIG', 'EDQUOT']);

/** Write `data` to `path` atomically; on failure nothing partial is left and the previous file is unchanged. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = temporaryPathFor(path);
  const fd = openSync(tmp, 'w');
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (FULL.has(code))
      throw new Error(
        `${path}: could not write ${data.length} bytes (${code}: the disk or a size limit is full); nothing was written and any previous file is unchanged`,
      );
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}
