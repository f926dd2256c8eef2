// Gene modules of a CLIPR causal matrix and their gene-set enrichment, as data and as files (modules.csv,
// modules.json, enrichment.csv): one function for the CLI's `modules` job, the report and the web app. The maths
// is in src/stats/modules.ts (distances, average linkage, optimal leaf order, the cut) and src/stats/gene-sets.ts
// (GMT, hypergeometric over-representation, BH).
import { causalModules, type Modules, type ModuleOptions, type Merge, type Placement } from '../stats/modules.ts';
import { enrichModules, type EnrichmentRow, type GeneSet } from '../stats/gene-sets.ts';
import { toCsv } from '../io/csv.ts';

export const DEFAULT_ENRICHMENT_FDR = 0.01;

export interface ModuleAnalysis {
  genes: string[];
  modules: Modules;
  /** Every (module, set) pair with an overlap, by module then p. */
  enrichment: EnrichmentRow[];
  /** Gene-set files given (collections), and how many sets each had. */
  collections: { name: string; sets: number }[];
  fdr: number;
}

export interface ModuleAnalysisOptions extends ModuleOptions {
  geneSets?: readonly GeneSet[];
  /** FDR at which a term counts as enriched (the summary, the report); enrichment.csv keeps every overlap. */
  fdr?: number;
}

/** Modules of a causal matrix (d×d row-major: a_causal[i·d + j] = effect of gene i on gene j) and their
 *  enrichment. */
export function analyseModules(
  aCausal: ArrayLike<number>,
  genes: readonly string[],
  o: ModuleAnalysisOptions = {},
): ModuleAnalysis {
  const d = genes.length;
  if (aCausal.length !== d * d)
    throw new Error(`modules: the causal matrix is not ${d}×${d} (one row and column per gene)`);
  if (!Array.prototype.every.call(aCausal, Number.isFinite))
    throw new Error('modules: the causal matrix has non-finite entries');
  const modules = causalModules(aCausal, d, o);
  const sets = o.geneSets ?? [];
  const enrichment = sets.length ? enrichModules(modules.labels, genes, sets).filter((r) => r.overlap > 0) : [];
  const counts = new Map<string, number>();
  for (const s of sets) counts.set(s.collection, (counts.get(s.collection) ?? 0) + 1);
  return {
    genes: [...genes],
    modules,
    enrichment,
    collections: [...counts].map(([name, n]) => ({ name, sets: n })),
    fdr: o.fdr ?? DEFAULT_ENRICHMENT_FDR,
  };
}

/** Module sizes, index = module. */
export function moduleSizes(labels: ArrayLike<number>): number[] {
  const sizes: number[] = [];
  for (const l of Array.from(labels)) if (l >= 0) sizes[l] = (sizes[l] ?? 0) + 1;
  return Array.from(sizes, (s) => s ?? 0);
}

/** The best terms per module at the FDR cutoff (at most `top` each). */
export function topTerms(a: ModuleAnalysis, top = 5): EnrichmentRow[] {
  const out: EnrichmentRow[] = [],
    per = new Map<number, number>();
  for (const r of a.enrichment) {
    if (r.fdr > a.fdr || (per.get(r.module) ?? 0) >= top) continue;
    per.set(r.module, (per.get(r.module) ?? 0) + 1);
    out.push(r);
  }
  return out;
}

/** The output files: modules.csv (gene, module, position in the dendrogram order, 'tree' or 'nearest': how the gene
 *  came into its module), modules.json (the tree, the cut
 *  and the summary) and, with gene sets, enrichment.csv. `meta` is recorded in modules.json (source, model id …). */
export function moduleFiles(a: ModuleAnalysis, meta: Record<string, unknown> = {}): Record<string, string> {
  const { modules: m, genes } = a,
    position = new Map(m.dendrogram.order.map((g, i) => [g, i]));
  const files: Record<string, string> = {
    'modules.csv': toCsv(
      ['gene', 'module', 'position', 'joined_by'],
      genes.map((g, i) => [
        g,
        m.labels[i]! >= 0 ? m.labels[i]! + 1 : '',
        position.get(i)!,
        m.labels[i]! < 0 ? '' : m.placed[i] ? 'nearest' : 'tree',
      ]),
    ),
    'modules.json': JSON.stringify({
      description:
        "gene modules of the causal matrix: distances = shortest paths with edge lengths 1/(|a_ij| + |a_ji|), average linkage, optimal leaf order, the tree cut at cutHeight, clusters below minSize dissolved; with placement 'nearest' each gene left outside joins the module nearest on mean distance (listed in 'placed'); modules numbered from 1 in dendrogram order ('' / 0 in no module)",
      ...meta,
      genes,
      module: Array.from(m.labels, (l) => l + 1),
      order: m.dendrogram.order.map((g) => genes[g]),
      cutHeight: m.cutHeight,
      cut: m.cut === 'silhouette' ? 'the height maximising the mean silhouette' : 'given',
      minSize: m.minSize,
      placement: m.placement,
      placed: genes.filter((_, i) => m.placed[i]),
      silhouette: m.silhouette,
      sizes: moduleSizes(m.labels),
      /** scipy-style linkage rows: [left, right, height, size]; leaves 0..d−1 in gene order, merge i is node d + i */
      linkage: m.dendrogram.merges.map((x: Merge) => [x.left, x.right, x.height, x.size]),
      collections: a.collections,
      fdr: a.fdr,
      enriched: topTerms(a).map((r) => ({
        module: r.module + 1,
        collection: r.collection,
        term: r.term,
        overlap: r.overlap,
        moduleSize: r.moduleSize,
        setSize: r.setSize,
        p: r.p,
        fdr: r.fdr,
      })),
    }),
  };
  if (a.collections.length)
    files['enrichment.csv'] = toCsv(
      ['module', 'collection', 'term', 'overlap', 'module_size', 'set_size', 'universe', 'p', 'fdr', 'genes'],
      a.enrichment.map((r) => [
        r.module + 1,
        r.collection,
        r.term,
        r.overlap,
        r.moduleSize,
        r.setSize,
        r.universe,
        r.p,
        r.fdr,
        r.genes.join(';'),
      ]),
    );
  return files;
}

/** The analysis back from a modules.json (for the report): labels, order, cut and the enriched terms it kept. */
export function moduleAnalysisFromJson(j: {
  genes: string[];
  module: number[];
  order: string[];
  cutHeight: number;
  cut: string;
  minSize: number;
  /** Absent in files written before placement existed (their genes outside the cut stayed in no module). */
  placement?: Placement;
  placed?: string[];
  silhouette: number;
  linkage: [number, number, number, number][];
  collections: { name: string; sets: number }[];
  fdr: number;
  /** The kept terms, as moduleFiles writes them (module numbered from 1). */
  enriched: Omit<EnrichmentRow, 'universe' | 'genes'>[];
}): ModuleAnalysis {
  const idx = new Map(j.genes.map((g, i) => [g, i]));
  return {
    genes: j.genes,
    modules: {
      labels: Int32Array.from(j.module, (m) => m - 1),
      placed: Uint8Array.from(j.genes, (g) => (j.placed?.includes(g) ? 1 : 0)),
      placement: j.placement ?? 'none',
      dendrogram: {
        order: j.order.map((g) => idx.get(g)!),
        merges: j.linkage.map(([left, right, height, size]) => ({ left, right, height, size })),
      },
      cutHeight: j.cutHeight,
      cut: j.cut === 'given' ? 'given' : 'silhouette',
      minSize: j.minSize,
      silhouette: j.silhouette,
      distances: new Float64Array(0),
    },
    enrichment: j.enriched.map((r) => ({ ...r, module: r.module - 1, universe: j.genes.length, genes: [] })),
    collections: j.collections,
    fdr: j.fdr,
  };
}
