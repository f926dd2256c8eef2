// Atomic file writes: write to a temporary file in the same directory, fsync, then rename over the target,
// so a crash never leaves a truncated file behind.
import {
  openSync,
  writeSync,
  fsyncSync,
  closeSync,
  renameSync,
  mkdirSync,
  rmSync,
  existsSync,
  readdirSync,
} from 'node:fs';
import { dirname, basename, join } from 'node:path';

/** The temporary sibling a file is written to before being renamed over `path` (same directory, so rename is atomic). */
export function temporaryPathFor(path: string): string {
  mkdirSync(dirname(path), { recursive: true });
  return join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
}

const FULL = new Set(['ENOSPC', 'EFBIG', 'EDQUOT']);

/** Write `data` to `path` atomically; on failure nothing partial is left and the previous file is unchanged. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  renameSync(writeTemporary(path, data), path);
}

/**
 * Write several files as one result: every temporary first (each fsynced), then every rename. A failure while
 * writing (a full disk, a size limit) removes the temporaries, so every target keeps its previous content, and a
 * folder this call had to create is removed again: a failed first write leaves no half-built folder.
 */
export function writeFilesAtomic(files: readonly (readonly [string, string | Uint8Array])[]): void {
  const created = new Set<string>(); // every folder (and missing parent) the writes will have to make
  for (const [p] of files) for (let d = dirname(p); !existsSync(d) && d !== dirname(d); d = dirname(d)) created.add(d);
  const temporaries: [string, string][] = [];
  try {
    for (const [path, data] of files) temporaries.push([writeTemporary(path, data), path]);
  } catch (e) {
    for (const [tmp] of temporaries) rmSync(tmp, { force: true });
    // deepest first; a folder is removed only when nothing else was put there meanwhile
    for (const d of [...created].sort((a, b) => b.length - a.length))
      if (existsSync(d) && readdirSync(d).length === 0) rmSync(d, { recursive: true, force: true });
    throw e;
  }
  for (const [tmp, path] of temporaries) renameSync(tmp, path);
}

/** `data` in `path`'s temporary sibling, fsynced; its path. On failure the temporary is removed and a full disk is
 *  named as such. */
function writeTemporary(path: string, data: string | Uint8Array): string {
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
  return tmp;
}
