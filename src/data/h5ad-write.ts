// Writing AnnData (.h5ad) with h5wasm in the layout anndata ≥ 0.8 reads (encoding attributes on every element):
// dense X (float32), obs/var dataframes with a string index and `column-order`, string-array columns, empty
// layers/obsm/obsp/varm/varp/uns dicts. Obs columns are plain string arrays, not categoricals: an anndata categorical
// needs its `ordered` attribute as an HDF5 boolean (an h5py enum), which h5wasm cannot write, and anndata 0.8 (Debian's
// python3-anndata) rejects any other type ("'ordered' must either be 'True' or 'False'"). Every anndata version reads
// string arrays; `adata.obs['condition'].astype('category')` gives the categorical back. Encoded to bytes in h5wasm's in-memory file system (the same in
// Node and browsers); src/node/h5ad.ts writes the bytes to a path atomically.
import { h5wasmMemory, memoryFileName } from './h5ad.ts';

type H5File = {
  create_group(name: string): H5Group;
  get(name: string): H5Group;
  close(): void;
  create_attribute(n: string, v: unknown): void;
};
type H5Group = {
  create_group(name: string): H5Group;
  create_dataset(o: { name: string; data: unknown; shape?: number[]; dtype?: string }): H5Dataset;
  create_attribute(name: string, value: unknown): void;
};
type H5Dataset = { create_attribute(name: string, value: unknown): void };

export interface AnnDataOut {
  X: Float32Array;
  nObs: number;
  nVars: number;
  obsNames: string[];
  varNames: string[];
  /** Obs columns of strings, e.g. { condition: [...] } (written as string arrays). */
  obs: Record<string, string[]>;
  /** uns entries stored as string attributes of the root (e.g. { values: 'log1p' }). */
  meta?: Record<string, string>;
}

function encode(node: { create_attribute(n: string, v: unknown): void }, type: string, version: string): void {
  node.create_attribute('encoding-type', type);
  node.create_attribute('encoding-version', version);
}

/** A dataframe with string columns (at least one: h5wasm cannot write an empty column-order without an HDF5
 *  error). */
function dataframe(parent: H5Group | H5File, name: string, index: string[], cols: Record<string, string[]>): void {
  const g = parent.create_group(name);
  encode(g, 'dataframe', '0.2.0');
  g.create_attribute('_index', '_index');
  g.create_attribute('column-order', Object.keys(cols));
  encode(g.create_dataset({ name: '_index', data: index }), 'string-array', '0.2.0');
  for (const [k, values] of Object.entries(cols))
    encode(g.create_dataset({ name: k, data: values }), 'string-array', '0.2.0');
}

/** The bytes of an .h5ad file holding `a` (anndata ≥ 0.8 layout). */
export async function encodeH5ad(a: AnnDataOut): Promise<Uint8Array> {
  if (Object.keys(a.obs).length === 0) throw new Error('writeH5ad: give at least one obs column (e.g. condition)');
  if (a.X.length !== a.nObs * a.nVars)
    throw new Error(`writeH5ad: X has ${a.X.length} values for ${a.nObs}×${a.nVars}`);
  for (const [k, v] of Object.entries(a.obs))
    if (v.length !== a.nObs) throw new Error(`writeH5ad: obs['${k}'] has ${v.length} values for ${a.nObs} cells`);
  const { h5, FS } = await h5wasmMemory();
  const tmp = memoryFileName('write');
  // HDF5 stamps object headers with the wall clock (the WebAssembly build reads it from Date.now), so the same data
  // would give other bytes on every write. The file is written with the clock held at the epoch (what reproducible
  // builds do with SOURCE_DATE_EPOCH): its bytes are a function of its contents, so two runs, or a local and a
  // queued run, can be compared byte for byte. The write below is synchronous, so nothing else sees the held clock.
  const clock = Date.now;
  Date.now = () => 0;
  const f = new (h5.File as unknown as new (p: string, m: string) => H5File)(tmp, 'w');
  try {
    encode(f, 'anndata', '0.1.0');
    for (const [k, v] of Object.entries(a.meta ?? {})) f.create_attribute(`lcd_webgpu_${k}`, v);
    const root = f as unknown as H5Group;
    encode(root.create_dataset({ name: 'X', data: a.X, shape: [a.nObs, a.nVars], dtype: '<f' }), 'array', '0.2.0');
    dataframe(root, 'obs', a.obsNames, a.obs);
    dataframe(root, 'var', a.varNames, { gene_name: a.varNames }); // GEARS convention: var.gene_name
    for (const k of ['layers', 'obsm', 'obsp', 'varm', 'varp', 'uns']) encode(root.create_group(k), 'dict', '0.1.0');
  } catch (e) {
    f.close();
    FS.unlink(tmp);
    throw e;
  } finally {
    Date.now = clock;
  }
  f.close();
  const bytes = FS.readFile(tmp);
  FS.unlink(tmp);
  return bytes;
}
