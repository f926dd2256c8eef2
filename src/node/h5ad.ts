// AnnData files on the local file system. Reading opens the path through h5wasm's Node build (no copy of the file
// in memory); writing encodes the file in memory (data/h5ad-write.ts) and writes it atomically.
import { existsSync, openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { openAndParse, checkHdf5Header, lcdMeta, HDF5_HEAD_BYTES, type AnnData, type H5Node } from '../data/h5ad.ts';
import { encodeH5ad, type AnnDataOut } from '../data/h5ad-write.ts';
import { writeFileAtomic } from './atomic.ts';
import { InputError } from '../core/errors.ts';

type H5 = { ready: Promise<unknown>; File: new (p: string, m: string) => H5Node & { close: () => void } };
let h5: Promise<H5> | null = null;
async function lib(): Promise<H5> {
  h5 ??= import('h5wasm/node').then(async (m) => {
    const mod = (m as unknown as { default?: H5 }).default ?? (m as unknown as H5);
    await mod.ready;
    return mod;
  });
  return h5;
}

export async function readH5ad(path: string, o: { layer?: string } = {}): Promise<AnnData> {
  if (!existsSync(path)) throw new InputError(`${path}: file not found`);
  const fd = openSync(path, 'r');
  const head = new Uint8Array(HDF5_HEAD_BYTES);
  const n = readSync(fd, head, 0, HDF5_HEAD_BYTES, 0),
    size = fstatSync(fd).size;
  closeSync(fd);
  checkHdf5Header(head.subarray(0, n), size, path);
  const h = await lib();
  return openAndParse(() => new h.File(path, 'r'), path, o);
}

/** The file's lcd-webgpu attributes (`lcd_webgpu_<key>` on the root group, without the prefix), read without
 *  reading X: what staleOutputs needs of a predictions file. */
export async function readH5adMeta(path: string): Promise<Record<string, string>> {
  if (!existsSync(path)) throw new InputError(`${path}: file not found`);
  const h = await lib();
  const f = new h.File(path, 'r');
  try {
    return lcdMeta(f);
  } finally {
    f.close();
  }
}

/** Write AnnData to `path` atomically (temporary file, fsync, rename). */
export async function writeH5ad(path: string, a: AnnDataOut): Promise<void> {
  writeFileAtomic(path, await encodeH5ad(a));
}
