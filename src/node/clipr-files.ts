// CLIPR's output files written into a folder, each atomically.
import type { CliprResult } from '../clipr/clipr.ts';
import { cliprOutputFiles } from '../clipr/export.ts';
import { folderStore } from './folder-store.ts';

/** Write causal_matrix.csv, causal_matrix.json and edges.csv into `dir`. */
export function writeCliprOutputs(
  dir: string,
  r: CliprResult,
  genes: readonly string[],
  lambda: number,
  reading: Record<string, string | number> = {},
): void {
  const store = folderStore(dir);
  for (const [name, text] of Object.entries(cliprOutputFiles(r, genes, lambda, reading))) store.write(name, text);
}
