import { InputError } from '../core/errors.ts';
// Where a model's files go: a flat set of named byte blobs. The library reads and writes models through this
// interface only, so the same code saves to a folder in Node (src/node/folder-store.ts), to memory in a page (below),
// or to whatever a host app provides (IndexedDB, OPFS, a download). Writers are expected to be atomic per file.

export interface FileStore {
  /** The file's bytes, or undefined when it does not exist. */
  read(name: string): Uint8Array | undefined;
  /** Replace (or create) a file. */
  write(name: string, data: Uint8Array | string): void;
  /** What the store is, in messages (a folder's path, or 'memory'). */
  readonly label: string;
  /** How the store names a file in error messages (a path for a folder). */
  describe(name: string): string;
}

const utf8 = new TextEncoder();
export const toBytes = (data: Uint8Array | string): Uint8Array => (typeof data === 'string' ? utf8.encode(data) : data);
export const bytesToText = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** An in-memory store (browsers, tests, or bytes to hand on): `files` holds the written blobs by name. */
export function memoryStore(
  files: Record<string, Uint8Array> = {},
  label = 'memory',
): FileStore & { files: Record<string, Uint8Array> } {
  return {
    files,
    label,
    read: (name) => files[name],
    write: (name, data) => {
      files[name] = toBytes(data).slice();
    },
    describe: (name) => `${label}:${name}`,
  };
}

/** Read and parse a JSON file of a store; a clear error names the file when it is not valid JSON. */
export function readJson<T>(store: FileStore, name: string): T | undefined {
  const bytes = store.read(name);
  if (!bytes) return undefined;
  try {
    return JSON.parse(bytesToText(bytes)) as T;
  } catch {
    throw new InputError(`${store.describe(name)}: not valid JSON (the file is damaged)`);
  }
}
