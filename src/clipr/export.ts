// Exports of a CLIPR result: the causal matrix a_causal (entry [i, j] = effect of gene i on the drift of gene j)
// as CSV with gene names on both axes and as JSON, a ranked edge list, and ndarray views for the API.
import ndarray, { type NdArray } from 'ndarray';
import type { CliprResult } from './clipr.ts';
import { toCsv } from '../io/csv.ts';

export interface Edge {
  source: string;
  target: string;
  effect: number;
  /** Whether the perturbations identify this entry (see identifiability). */
  identified: boolean;
}

/**
 * Which entries of a_causal the perturbations identify (spec §6.3): the effect of gene i on gene j is read from the
 * responses to perturbing i and j, so only entries between two perturbed panel genes are identified, and none when
 * fewer than two panel genes were perturbed. Rows and columns of never-perturbed genes are whatever the
 * regularised solve made of them (the exact score itself gets their signs wrong).
 */
export function identifiability(
  r: CliprResult,
  genes: readonly string[],
): { perturbed: string[]; enough: boolean; entries: number; of: number; mask: Uint8Array; note: string } {
  const d = r.d,
    perturbed = new Set(r.genes),
    enough = perturbed.size >= 2,
    mask = new Uint8Array(d * d);
  if (enough) for (const i of perturbed) for (const j of perturbed) if (i !== j) mask[i * d + j] = 1;
  const entries = enough ? perturbed.size * (perturbed.size - 1) : 0;
  const note = !enough
    ? `only ${perturbed.size} gene(s) of the panel were perturbed: CLIPR identifies no causal effect; the matrix is not a result`
    : perturbed.size < d
      ? `${perturbed.size} of ${d} genes were perturbed: only the ${entries} entries among them are identified; rows and columns of the other ${d - perturbed.size} genes are not`
      : `every gene was perturbed: all ${entries} off-diagonal entries are identified`;
  return { perturbed: r.genes.map((g) => genes[g]!), enough, entries, of: d * (d - 1), mask, note };
}

export function causalMatrixCsv(r: CliprResult, genes: readonly string[]): string {
  const d = r.d;
  return toCsv(
    ['source \\ target', ...genes],
    Array.from({ length: d }, (_, i) => [genes[i]!, ...Array.from({ length: d }, (_, j) => r.aCausal[i * d + j]!)]),
  );
}

/** Off-diagonal edges, identified ones first, each group ranked by |effect|; `minAbs` drops the small ones. */
export function rankedEdges(r: CliprResult, genes: readonly string[], minAbs = 0): Edge[] {
  const d = r.d,
    { mask } = identifiability(r, genes),
    out: Edge[] = [];
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      const v = r.aCausal[i * d + j]!;
      if (i !== j && Math.abs(v) >= minAbs)
        out.push({ source: genes[i]!, target: genes[j]!, effect: v, identified: mask[i * d + j] === 1 });
    }
  return out.sort(
    (a, b) =>
      Number(b.identified) - Number(a.identified) ||
      Math.abs(b.effect) - Math.abs(a.effect) ||
      a.source.localeCompare(b.source) ||
      a.target.localeCompare(b.target),
  );
}

/** `reading`: how the model was read (e.g. { driftLevel, anchor }), recorded beside λ. */
export function causalMatrixJson(
  r: CliprResult,
  genes: readonly string[],
  lambda: number,
  reading: Record<string, string | number> = {},
): string {
  const d = r.d;
  const rowsOf = (m: Float64Array) => Array.from({ length: d }, (_, i) => Array.from(m.subarray(i * d, (i + 1) * d)));
  const id = identifiability(r, genes);
  return JSON.stringify({
    description:
      reading.effects === 'total'
        ? "CLIPR total effects, the model's differential expression (not direct effects): a_causal[i][j] = response of gene j to perturbing gene i, signed by the direction gene i moved"
        : 'CLIPR causal matrix: a_causal[i][j] = effect of gene i on the drift of gene j (a_causal = Aᵀ of the linearised drift dx = (A x + b + c_j) dt)',
    genes,
    lambda,
    ...reading,
    form: r.form,
    queryGenes: r.genes.map((g) => genes[g]),
    a_causal: rowsOf(r.aCausal),
    identifiability: { note: id.note, perturbed: id.perturbed, identifiedEntries: id.entries, offDiagonal: id.of },
    /** identified[i][j] = 1 when the perturbations identify a_causal[i][j] */
    identified: Array.from({ length: d }, (_, i) => Array.from(id.mask.subarray(i * d, (i + 1) * d))),
    b: Array.from(r.b),
    c: Object.fromEntries(r.genes.map((g, q) => [genes[g], Array.from(r.c[q]!)])),
    meanShifts: Object.fromEntries(r.genes.map((g, q) => [genes[g], Array.from(r.meanShifts[q]!)])),
  });
}

/** The three output files by name: causal_matrix.csv, causal_matrix.json and edges.csv (a download, a FileStore,
 *  or a folder through src/node/clipr-files.ts). */
export function cliprOutputFiles(
  r: CliprResult,
  genes: readonly string[],
  lambda: number,
  reading: Record<string, string | number> = {},
): Record<string, string> {
  return {
    'causal_matrix.csv': causalMatrixCsv(r, genes),
    'causal_matrix.json': causalMatrixJson(r, genes, lambda, reading),
    'edges.csv': toCsv(
      ['source', 'target', 'effect', 'identified'],
      rankedEdges(r, genes).map((e) => [e.source, e.target, e.effect, e.identified]),
    ),
  };
}

/** ndarray views: aCausal and A as d×d, b as d, c and mean shifts as k×d. */
export function cliprViews(r: CliprResult): {
  aCausal: NdArray<Float64Array>;
  A: NdArray<Float64Array>;
  b: NdArray<Float64Array>;
  c: NdArray<Float64Array>;
  meanShifts: NdArray<Float64Array>;
} {
  const d = r.d,
    k = r.c.length;
  const stack = (xs: Float64Array[]) => {
    const m = new Float64Array(k * d);
    xs.forEach((x, q) => m.set(x, q * d));
    return ndarray(m, [k, d]);
  };
  return {
    aCausal: ndarray(r.aCausal, [d, d]),
    A: ndarray(r.A, [d, d]),
    b: ndarray(r.b, [d]),
    c: stack(r.c),
    meanShifts: stack(r.meanShifts),
  };
}
