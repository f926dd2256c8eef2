// Gene-set collections (GMT files) and over-representation of gene modules in them, Float64, engine-free.
//
// GMT: one set per line, `name <TAB> description <TAB> gene <TAB> gene …` (the MSigDB / Enrichr format).
// Over-representation of a set S in a module M, within a universe U (the panel's genes, so a set is only judged on
// the genes that could have been found): with N = |U|, K = |S ∩ U|, n = |M| and k = |M ∩ S|, the one-sided
// hypergeometric tail p = P(X ≥ k), X ~ Hypergeometric(N, K, n) (Fisher's exact test, one-sided, as Enrichr and
// scipy.stats.hypergeom.sf(k − 1, N, K, n)). The tail is summed term by term from k upwards, so small p-values keep
// their precision (1 − CDF would round them to 0). Benjamini–Hochberg FDR over the sets tested for each module
// (Enrichr's convention: one family of tests per gene list).
import jstat from 'jstat';
import { benjaminiHochberg } from './rank-tests.ts';
import { InputError } from '../core/errors.ts';

export interface GeneSet {
  name: string;
  description: string;
  genes: string[];
  /** Which file (collection) it came from. */
  collection: string;
}

/** Parse a GMT text; `source` names the file in errors. Duplicate genes within a set are dropped. */
export function parseGmt(text: string, source: string, collection = source): GeneSet[] {
  const sets: GeneSet[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || line.startsWith('#')) return;
    const f = line.split('\t');
    if (f.length < 3 || !f[0]!.trim())
      throw new InputError(
        `${source}, line ${i + 1}: not a GMT line (expected "name<TAB>description<TAB>gene<TAB>…", got ${f.length} tab-separated field(s)); pass a GMT gene-set file such as MSigDB's c5.go.*.symbols.gmt`,
      );
    const genes = [
      ...new Set(
        f
          .slice(2)
          .map((g) => g.trim())
          .filter(Boolean),
      ),
    ];
    sets.push({ name: f[0]!.trim(), description: f[1]!.trim(), genes, collection });
  });
  if (!sets.length) throw new InputError(`${source}: no gene sets in the file (empty or comments only)`);
  return sets;
}

/** GMT text of named gene sets (description in the second column). */
export function formatGmt(sets: Record<string, readonly string[]>, description = ''): string {
  return Object.entries(sets)
    .map(([name, genes]) => [name, description, ...genes].join('\t'))
    .join('\n')
    .concat('\n');
}

/** P(X ≥ k) for X ~ Hypergeometric(N, K, n): the upper tail summed from k (exact in the tail). */
export function hypergeometricUpperTail(k: number, N: number, K: number, n: number): number {
  const hi = Math.min(K, n);
  if (k <= Math.max(0, n - (N - K))) return 1;
  let p = 0;
  for (let x = k; x <= hi; x++) p += jstat.jStat.hypgeom.pdf(x, N, K, n);
  return Math.min(1, p);
}

export interface EnrichmentRow {
  module: number;
  collection: string;
  term: string;
  /** |module ∩ set| and the sizes the test used. */
  overlap: number;
  moduleSize: number;
  setSize: number;
  universe: number;
  p: number;
  fdr: number;
  /** The overlapping genes. */
  genes: string[];
}

export interface EnrichmentOptions {
  /** Sets with fewer genes in the universe are not tested (default 3). */
  minSetSize?: number;
}

/**
 * Over-representation of every module (labels ≥ 0; −1 = no module) in every set, within the universe `genes`.
 * Rows sorted by module, then p. Sets are restricted to the universe; sets too small there are skipped.
 */
export function enrichModules(
  labels: ArrayLike<number>,
  genes: readonly string[],
  sets: readonly GeneSet[],
  o: EnrichmentOptions = {},
): EnrichmentRow[] {
  const minSet = o.minSetSize ?? 3,
    N = genes.length;
  const universe = new Set(genes);
  const tested = sets
    .map((s) => ({ ...s, inU: s.genes.filter((g) => universe.has(g)) }))
    .filter((s) => s.inU.length >= minSet);
  const modules = [...new Set(Array.from(labels).filter((l) => l >= 0))].sort((a, b) => a - b);
  const rows: EnrichmentRow[] = [];
  for (const m of modules) {
    const members = new Set(genes.filter((_, g) => labels[g] === m));
    const part = tested.map((s) => {
      const hit = s.inU.filter((g) => members.has(g));
      return {
        module: m,
        collection: s.collection,
        term: s.name,
        overlap: hit.length,
        moduleSize: members.size,
        setSize: s.inU.length,
        universe: N,
        p: hit.length ? hypergeometricUpperTail(hit.length, N, s.inU.length, members.size) : 1,
        fdr: NaN,
        genes: hit,
      };
    });
    const q = benjaminiHochberg(part.map((r) => r.p));
    part.forEach((r, i) => (r.fdr = q[i]!));
    rows.push(...part.sort((a, b) => a.p - b.p || a.term.localeCompare(b.term)));
  }
  return rows;
}
