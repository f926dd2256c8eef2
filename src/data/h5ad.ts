// Reading AnnData (.h5ad) files with h5wasm: X dense, CSR or CSC (or layers['counts'] when asked), obs string and
// categorical columns, var names. Depends on nothing of the engine. Errors name the file, the key and the fix.
import { existsSync, openSync, readSync, closeSync } from 'node:fs';

export interface AnnData {
  path: string;
  nObs: number;
  nVars: number;
  X: Float32Array;                       // dense, row-major [nObs × nVars]
  obsNames: string[];
  varNames: string[];
  obs: Record<string, string[]>;         // string and categorical columns (numeric columns as strings)
  layer: string;                         // 'X' or the layer read
}

type H5 = typeof import('h5wasm');
let h5: Promise<H5> | null = null;
async function lib(): Promise<H5> {
  h5 ??= import('h5wasm/node').then(async (m) => { const mod = (m as unknown as { default: H5 }).default ?? (m as unknown as H5); await mod.ready; return mod; });
  return h5;
}

type Node = { type: string; keys?: () => string[]; get?: (k: string) => Node | null; attrs: Record<string, { value: unknown }>; value?: unknown; shape?: number[] };

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function checkHdf5(path: string): void {
  if (!existsSync(path)) throw new Error(`${path}: file not found`);
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(8);
  const n = readSync(fd, head, 0, 8, 0);
  closeSync(fd);
  if (n < 8 || !HDF5_MAGIC.every((b, i) => head[i] === b)) throw new Error(`${path}: not an HDF5/h5ad file (bad signature); expected an AnnData .h5ad written by anndata/scanpy`);
}

const attr = (n: Node, name: string): unknown => n.attrs?.[name]?.value;
const toNumbers = (v: unknown): number[] => Array.from(v as ArrayLike<number | bigint>, (x) => Number(x));

function readColumn(path: string, group: Node, key: string, nRows: number): string[] {
  const node = group.get!(key);
  if (!node) throw new Error(`${path}: obs column '${key}' is missing`);
  if (node.type === 'Group') {
    const enc = attr(node, 'encoding-type');
    if (enc !== 'categorical') throw new Error(`${path}: obs['${key}'] has unsupported encoding '${enc}'`);
    const cats = Array.from(node.get!('categories')!.value as ArrayLike<unknown>, String);
    const codes = toNumbers(node.get!('codes')!.value);
    return codes.map((c) => (c < 0 ? '' : cats[c]!));
  }
  const v = node.value as ArrayLike<unknown>;
  if (v.length !== nRows) throw new Error(`${path}: obs['${key}'] has ${v.length} values for ${nRows} cells`);
  return Array.from(v, String);
}

function readMatrix(path: string, node: Node, what: string): { data: Float32Array; rows: number; cols: number } {
  if (node.type === 'Dataset') {
    const shape = node.shape!;
    return { data: Float32Array.from(node.value as ArrayLike<number>), rows: shape[0]!, cols: shape[1]! };
  }
  const enc = attr(node, 'encoding-type');
  const [rows, cols] = toNumbers(attr(node, 'shape'));
  if (rows === undefined || cols === undefined) throw new Error(`${path}: ${what} has no 'shape' attribute`);
  const data = node.get!('data')!.value as ArrayLike<number>, indices = toNumbers(node.get!('indices')!.value), indptr = toNumbers(node.get!('indptr')!.value);
  const out = new Float32Array(rows * cols);
  if (enc === 'csr_matrix') {
    if (indptr.length !== rows + 1) throw new Error(`${path}: ${what} CSR indptr has ${indptr.length} entries for ${rows} rows (truncated file?)`);
    for (let r = 0; r < rows; r++) for (let k = indptr[r]!; k < indptr[r + 1]!; k++) out[r * cols + indices[k]!] = data[k]!;
  } else if (enc === 'csc_matrix') {
    if (indptr.length !== cols + 1) throw new Error(`${path}: ${what} CSC indptr has ${indptr.length} entries for ${cols} columns (truncated file?)`);
    for (let c = 0; c < cols; c++) for (let k = indptr[c]!; k < indptr[c + 1]!; k++) out[indices[k]! * cols + c] = data[k]!;
  } else throw new Error(`${path}: ${what} has unsupported encoding '${enc}' (expected a dense array, csr_matrix or csc_matrix)`);
  return { data: out, rows, cols };
}

export async function readH5ad(path: string, o: { layer?: string } = {}): Promise<AnnData> {
  checkHdf5(path);
  const h = await lib();
  let f: Node & { close: () => void };
  try { f = new (h as unknown as { File: new (p: string, m: string) => Node & { close: () => void } }).File(path, 'r'); } catch (e) { throw new Error(`${path}: cannot open as HDF5 (${(e as Error).message}); the file may be truncated`); }
  try {
    for (const k of ['obs', 'var']) if (!f.get!(k)) throw new Error(`${path}: no '${k}' group; not an AnnData file`);
    const obsG = f.get!('obs')!, varG = f.get!('var')!;
    const obsIndex = String(attr(obsG, '_index') ?? '_index'), varIndex = String(attr(varG, '_index') ?? '_index');
    const obsNames = Array.from(obsG.get!(obsIndex)!.value as ArrayLike<unknown>, String);
    const varNames = Array.from(varG.get!(varIndex)!.value as ArrayLike<unknown>, String);
    let layer = 'X', xNode = f.get!('X');
    if (o.layer) {
      const layers = f.get!('layers');
      const avail = layers?.keys?.() ?? [];
      if (!layers || !avail.includes(o.layer)) throw new Error(`${path}: no layer '${o.layer}' (available layers: ${avail.length ? avail.join(', ') : 'none'}); omit the layer to read X`);
      xNode = layers.get!(o.layer); layer = o.layer;
    }
    if (!xNode) throw new Error(`${path}: no 'X' matrix`);
    const m = readMatrix(path, xNode, layer === 'X' ? 'X' : `layers['${layer}']`);
    if (m.rows !== obsNames.length || m.cols !== varNames.length) throw new Error(`${path}: ${layer} is ${m.rows}×${m.cols} but obs has ${obsNames.length} cells and var ${varNames.length} genes`);
    for (let i = 0; i < m.data.length; i++) {
      if (!Number.isFinite(m.data[i]!)) throw new Error(`${path}: ${layer} has a non-finite value (${m.data[i]}) at cell '${obsNames[Math.floor(i / m.cols)]}', gene '${varNames[i % m.cols]}'; remove or impute it`);
    }
    const order = attr(obsG, 'column-order');
    const cols = (Array.isArray(order) ? order : obsG.keys!()).map(String).filter((k) => k !== obsIndex);
    const obs: Record<string, string[]> = {};
    for (const k of cols) obs[k] = readColumn(path, obsG, k, obsNames.length);
    return { path, nObs: m.rows, nVars: m.cols, X: m.data, obsNames, varNames, obs, layer };
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    // Our own errors already start with the path; anything from inside HDF5 gets the path and a hint.
    throw msg.startsWith(path) ? e : new Error(`${path}: cannot read the AnnData contents (${msg}); the file may be truncated or not written by anndata`);
  } finally { f.close(); }
}
