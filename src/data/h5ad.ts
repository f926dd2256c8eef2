import { InputError } from '../core/errors.ts';
// Reading AnnData (.h5ad) files with h5wasm: X dense, CSR or CSC (or layers['counts'] when asked), obs string and
// categorical columns, var names. Depends on nothing of the engine. Errors name the file, the key and the fix.
// This module works on bytes (h5wasm's ESM build with its in-memory file system, in Node and in browsers);
// src/node/h5ad.ts reads a path through h5wasm's Node build without copying the file into memory.

export interface AnnData {
  path: string;
  nObs: number;
  nVars: number;
  X: Float32Array; // dense, row-major [nObs × nVars]
  obsNames: string[];
  varNames: string[];
  obs: Record<string, string[]>; // string and categorical columns (numeric columns as strings)
  layer: string; // 'X' or the layer read
  /** This project's root attributes (lcd_webgpu_<key>, e.g. values = latent | log1p | counts), prefix removed. */
  meta: Record<string, string>;
}

/** What the parser needs of an open h5wasm File (the Node and browser builds share the class). */
export type H5Node = {
  type: string;
  keys?: () => string[];
  get?: (k: string) => H5Node | null;
  attrs: Record<string, { value: unknown }>;
  value?: unknown;
  shape?: number[];
};
type Node = H5Node;

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Bytes of the file head that checkHdf5Header needs (signature and superblock addresses). */
export const HDF5_HEAD_BYTES = 96;

/** The end-of-file address HDF5 recorded in the superblock (base + eof), or null when it cannot be read here. */
export function hdf5StoredEof(head: Uint8Array): number | null {
  if (head.length < 12) return null;
  const version = head[8]!;
  const O = version <= 1 ? head[13]! : head[9]!;
  if (O !== 4 && O !== 8) return null;
  const at = version === 0 ? 24 : version === 1 ? 28 : 12; // first address field (base address)
  const read = (k: number): number | null => {
    const off = at + k * O;
    if (off + O > head.length) return null;
    let v = 0;
    for (let i = O - 1; i >= 0; i--) v = v * 256 + head[off + i]!;
    return v;
  };
  // v0/v1: base, free-space info, end of file, driver info; v2/v3: base, superblock extension, end of file, root.
  const base = read(0),
    eof = read(2);
  return base === null || eof === null || eof === 2 ** (8 * O) - 1 ? null : base + eof;
}

/** Throws unless the head is an HDF5 signature (an h5ad is an HDF5 file) and the file is as long as HDF5 recorded
 *  (a truncated copy is named as such, before HDF5 itself prints its diagnostics). */
export function checkHdf5Header(head: Uint8Array, size: number, source: string): void {
  if (size === 0) throw new InputError(`${source}: the file is empty (0 bytes)`);
  if (head.length < 8 || !HDF5_MAGIC.every((b, i) => head[i] === b))
    throw new InputError(
      `${source}: not an HDF5/h5ad file (bad signature); expected an AnnData .h5ad written by anndata/scanpy`,
    );
  // Every HDF5 file holds a superblock and a root group after its signature, far more than the head read here: a
  // shorter file was cut inside its superblock, where HDF5 itself would print pages of diagnostics.
  if (size < HDF5_HEAD_BYTES)
    throw new InputError(
      `${source}: the file is truncated (${size} bytes: the HDF5 signature without its superblock); copy or download it again`,
    );
  const eof = hdf5StoredEof(head);
  if (eof !== null && size < eof)
    throw new InputError(
      `${source}: the file is truncated (${size} bytes, but HDF5 recorded ${eof}); copy or download it again`,
    );
}

const attr = (n: Node, name: string): unknown => n.attrs?.[name]?.value;
const toNumbers = (v: unknown): number[] => Array.from(v as ArrayLike<number | bigint>, (x) => Number(x));

function readColumn(path: string, group: Node, key: string, nRows: number): string[] {
  const node = group.get!(key);
  if (!node) throw new InputError(`${path}: obs column '${key}' is missing`);
  if (node.type === 'Group') {
    const enc = attr(node, 'encoding-type');
    if (enc !== 'categorical') throw new InputError(`${path}: obs['${key}'] has unsupported encoding '${enc}'`);
    const cats = Array.from(node.get!('categories')!.value as ArrayLike<unknown>, String);
    const codes = toNumbers(node.get!('codes')!.value);
    return codes.map((c) => (c < 0 ? '' : cats[c]!));
  }
  const v = node.value as ArrayLike<unknown>;
  if (v.length !== nRows) throw new InputError(`${path}: obs['${key}'] has ${v.length} values for ${nRows} cells`);
  return Array.from(v, String);
}

/**
 * The structure of a compressed sparse matrix, checked before any entry is placed: one indptr entry per major row
 * (CSR) or column (CSC) plus one, starting at 0, never decreasing and ending at the number of stored values; every
 * index an integer inside the minor dimension. A damaged file otherwise loops to a huge indptr value or writes
 * values into the wrong cells without a word.
 */
function checkCompressed(
  path: string,
  what: string,
  kind: 'CSR' | 'CSC',
  indptr: readonly number[],
  indices: readonly number[],
  nnz: number,
  majors: number,
  minor: number,
): void {
  const major = kind === 'CSR' ? 'row' : 'column',
    minorName = kind === 'CSR' ? 'columns (genes)' : 'rows (cells)';
  if (indptr.length !== majors + 1)
    throw new InputError(
      `${path}: ${what} ${kind} indptr has ${indptr.length} entries for ${majors} ${major}s (truncated file?)`,
    );
  const fix = 'the file is damaged or was not written by an AnnData writer; write it again (anndata: adata.write_h5ad)';
  if (indices.length !== nnz)
    throw new InputError(`${path}: ${what} ${kind} has ${indices.length} indices for ${nnz} stored values; ${fix}`);
  if (indptr[0] !== 0) throw new InputError(`${path}: ${what} ${kind} indptr starts at ${indptr[0]}, not 0; ${fix}`);
  for (let k = 1; k < indptr.length; k++) {
    const v = indptr[k]!;
    if (!Number.isInteger(v) || v < indptr[k - 1]! || v > nnz)
      throw new InputError(
        `${path}: ${what} ${kind} indptr[${k}] = ${v} at ${major} ${k - 1} is outside ${indptr[k - 1]}…${nnz} (it must not decrease and must stay within the ${nnz} stored values); ${fix}`,
      );
  }
  if (indptr[indptr.length - 1] !== nnz)
    throw new InputError(
      `${path}: ${what} ${kind} indptr ends at ${indptr[indptr.length - 1]}, not at the ${nnz} stored values; ${fix}`,
    );
  for (let k = 0; k < nnz; k++) {
    const i = indices[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= minor)
      throw new InputError(
        `${path}: ${what} ${kind} index ${i} (stored value ${k}) is outside the ${minor} ${minorName}; ${fix}`,
      );
  }
}

function readMatrix(path: string, node: Node, what: string): { data: Float32Array; rows: number; cols: number } {
  if (node.type === 'Dataset') {
    const shape = node.shape!;
    return { data: Float32Array.from(node.value as ArrayLike<number>), rows: shape[0]!, cols: shape[1]! };
  }
  const enc = attr(node, 'encoding-type');
  const [rows, cols] = toNumbers(attr(node, 'shape'));
  if (rows === undefined || cols === undefined) throw new InputError(`${path}: ${what} has no 'shape' attribute`);
  const data = node.get!('data')!.value as ArrayLike<number>,
    indices = toNumbers(node.get!('indices')!.value),
    indptr = toNumbers(node.get!('indptr')!.value);
  const out = new Float32Array(rows * cols);
  if (enc === 'csr_matrix') {
    checkCompressed(path, what, 'CSR', indptr, indices, data.length, rows, cols);
    for (let r = 0; r < rows; r++)
      for (let k = indptr[r]!; k < indptr[r + 1]!; k++) out[r * cols + indices[k]!] = data[k]!;
  } else if (enc === 'csc_matrix') {
    checkCompressed(path, what, 'CSC', indptr, indices, data.length, cols, rows);
    for (let c = 0; c < cols; c++)
      for (let k = indptr[c]!; k < indptr[c + 1]!; k++) out[indices[k]! * cols + c] = data[k]!;
  } else
    throw new InputError(
      `${path}: ${what} has unsupported encoding '${enc}' (expected a dense array, csr_matrix or csc_matrix)`,
    );
  return { data: out, rows, cols };
}

/** Parse an open HDF5 file as AnnData; `path` names it in errors (a path or a file name). */
/** The root group's lcd-webgpu attributes (`lcd_webgpu_<key>`), without the prefix. */
export function lcdMeta(f: Pick<H5Node, 'attrs'>): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(f.attrs ?? {}))
    if (k.startsWith('lcd_webgpu_')) meta[k.slice('lcd_webgpu_'.length)] = String(v.value);
  return meta;
}

export function parseAnnData(f: H5Node, path: string, o: { layer?: string } = {}): AnnData {
  try {
    for (const k of ['obs', 'var'])
      if (!f.get!(k)) throw new InputError(`${path}: no '${k}' group; not an AnnData file`);
    const obsG = f.get!('obs')!,
      varG = f.get!('var')!;
    const obsIndex = String(attr(obsG, '_index') ?? '_index'),
      varIndex = String(attr(varG, '_index') ?? '_index');
    const obsNames = Array.from(obsG.get!(obsIndex)!.value as ArrayLike<unknown>, String);
    const varNames = Array.from(varG.get!(varIndex)!.value as ArrayLike<unknown>, String);
    let layer = 'X',
      xNode = f.get!('X');
    if (o.layer) {
      const layers = f.get!('layers');
      const avail = layers?.keys?.() ?? [];
      if (!layers || !avail.includes(o.layer))
        throw new InputError(
          `${path}: no layer '${o.layer}' (available layers: ${avail.length ? avail.join(', ') : 'none'}); omit the layer to read X`,
        );
      xNode = layers.get!(o.layer);
      layer = o.layer;
    }
    if (!xNode) throw new InputError(`${path}: no 'X' matrix`);
    const m = readMatrix(path, xNode, layer === 'X' ? 'X' : `layers['${layer}']`);
    if (m.rows !== obsNames.length || m.cols !== varNames.length)
      throw new InputError(
        `${path}: ${layer} is ${m.rows}×${m.cols} but obs has ${obsNames.length} cells and var ${varNames.length} genes`,
      );
    for (let i = 0; i < m.data.length; i++) {
      if (!Number.isFinite(m.data[i]!))
        throw new InputError(
          `${path}: ${layer} has a non-finite value (${m.data[i]}) at cell '${obsNames[Math.floor(i / m.cols)]}', gene '${varNames[i % m.cols]}'; remove or impute it`,
        );
    }
    const order = attr(obsG, 'column-order');
    const cols = (Array.isArray(order) ? order : obsG.keys!()).map(String).filter((k) => k !== obsIndex);
    const obs: Record<string, string[]> = {};
    for (const k of cols) obs[k] = readColumn(path, obsG, k, obsNames.length);
    return { path, nObs: m.rows, nVars: m.cols, X: m.data, obsNames, varNames, obs, layer, meta: lcdMeta(f) };
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    // Our own errors already start with the path; anything from inside HDF5 gets the path and a hint.
    throw msg.startsWith(path)
      ? e
      : new Error(
          `${path}: cannot read the AnnData contents (${msg}); the file may be truncated or not written by anndata`,
        );
  }
}

type H5Module = {
  ready: Promise<{
    FS: { writeFile(p: string, d: Uint8Array): void; readFile(p: string): Uint8Array; unlink(p: string): void };
  }>;
  File: new (p: string, m: string) => H5Node & { close: () => void };
};
let esm: Promise<{ h5: H5Module; FS: Awaited<H5Module['ready']>['FS'] }> | null = null;
/** h5wasm's ESM build (no Node built-ins) and its in-memory file system, loaded once. */
export async function h5wasmMemory(): Promise<{ h5: H5Module; FS: Awaited<H5Module['ready']>['FS'] }> {
  esm ??= import('h5wasm').then(async (m) => {
    const h5 = (m as unknown as { default?: H5Module }).default ?? (m as unknown as H5Module);
    const { FS } = await h5.ready;
    return { h5, FS };
  });
  return esm;
}
let scratch = 0;
/** A unique name in h5wasm's in-memory file system. */
export const memoryFileName = (what: string): string => `/lcd-webgpu-${what}-${++scratch}.h5`;

/** Open an HDF5 file with `open` (either h5wasm build) and parse it as AnnData, closing it afterwards; a file HDF5
 *  cannot open is reported as possibly truncated, naming `source`. */
export function openAndParse(
  open: () => H5Node & { close: () => void },
  source: string,
  o: { layer?: string } = {},
): AnnData {
  let f: H5Node & { close: () => void; file_id?: number | bigint };
  try {
    f = open();
  } catch (e) {
    throw new InputError(`${source}: cannot open as HDF5 (${(e as Error).message}); the file may be truncated`);
  }
  // h5wasm returns a File with a negative id instead of throwing; closing that would print HDF5 diagnostics.
  if (f.file_id !== undefined && f.file_id < 0)
    throw new InputError(`${source}: HDF5 cannot open the file; it may be truncated or damaged`);
  try {
    return parseAnnData(f, source, o);
  } finally {
    f.close();
  }
}

/** Read an AnnData file from its bytes (a browser File's arrayBuffer(), a fetch, a Node Buffer). */
export async function readH5adBytes(bytes: Uint8Array, o: { layer?: string; name?: string } = {}): Promise<AnnData> {
  const source = o.name ?? 'h5ad';
  checkHdf5Header(bytes.subarray(0, HDF5_HEAD_BYTES), bytes.length, source);
  const { h5, FS } = await h5wasmMemory();
  const name = memoryFileName('read');
  FS.writeFile(name, bytes);
  try {
    return openAndParse(() => new h5.File(name, 'r'), source, o);
  } finally {
    FS.unlink(name);
  }
}
