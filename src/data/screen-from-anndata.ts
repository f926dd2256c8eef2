// AnnData → Screen: group cells by the perturbation column (GEARS conventions by default: column 'condition',
// control 'ctrl', combinations 'A+B', singles 'A' or 'A+ctrl'). Errors name the key, the label and what exists.
import type { AnnData } from './h5ad.ts';
import type { Screen, Environment } from './dataset.ts';
import { envName, labelTargets } from './dataset.ts';
import { firstNonCount } from './normalize.ts';
import { InputError } from '../core/errors.ts';
import { countsFromLog1p, type CountsFrom } from './recover-counts.ts';

export interface ScreenOptions {
  perturbationKey?: string; // default 'condition'
  control?: string; // default 'ctrl'
  separator?: string; // default '+'
  /** Keep only cells whose obs[key] equals value (e.g. one cell type). */
  filter?: { key: string; value: string };
  kind?: Screen['kind'];
  /** A file without control cells is an error (default), or allowed (prediction files). */
  requireControl?: boolean;
}

/**
 * What the values of X are, when not declared: what this project recorded when it wrote the file (root attribute
 * lcd_webgpu_values), else counts when every value is a non-negative integer (or the layer read is 'counts'),
 * log1p otherwise. Values that are log1p (declared or detected) must not be negative: a negative value is an error
 * naming the cell, the gene and the flag to pass (--values latent). One rule for the CLI and the web app.
 */
export function detectValueKind(ad: AnnData, declared: Screen['kind'] | 'auto' = 'auto'): Screen['kind'] {
  const recorded = ad.layer === 'X' ? ad.meta['values'] : undefined;
  const kind =
    declared !== 'auto'
      ? declared
      : recorded === 'latent' || recorded === 'log1p' || recorded === 'counts'
        ? recorded
        : ad.layer === 'counts' || firstNonCount(ad.X) < 0
          ? 'counts'
          : 'log1p';
  if (kind === 'log1p') checkNonNegative(ad, declared === 'auto');
  return kind;
}

/** log1p values cannot be negative: a negative value means a damaged count file or centred/scaled expression. */
function checkNonNegative(ad: AnnData, detected: boolean): void {
  const i = ad.X.findIndex((v) => v < 0);
  if (i < 0) return;
  const at = `cell '${ad.obsNames[Math.floor(i / ad.nVars)]}', gene '${ad.varNames[i % ad.nVars]}' holds ${ad.X[i]}`;
  const integers = firstNonCount(ad.X.map(Math.abs)) < 0;
  throw new InputError(
    detected
      ? `${ad.path}: ${ad.layer} has negative values (${at}), so it is neither counts nor log1p${integers ? '; every other value is an integer, as in a count matrix: the file may be damaged' : ''}; if it holds centred or scaled expression, pass --values latent`
      : `${ad.path}: --values log1p, but ${at} (log1p values are never negative); if it holds centred or scaled expression, pass --values latent`,
  );
}

export function screenFromAnnData(ad: AnnData, o: ScreenOptions = {}): Screen {
  const key = o.perturbationKey ?? 'condition',
    control = o.control ?? 'ctrl',
    sep = o.separator ?? '+';
  if (ad.nObs === 0) throw new InputError(`${ad.path}: the file holds no cells (0 × ${ad.nVars}); nothing to fit`);
  if (ad.nVars === 0) throw new InputError(`${ad.path}: the file holds no genes (${ad.nObs} × 0); nothing to fit`);
  const seenGene = new Map<string, number>();
  ad.varNames.forEach((g, j) => {
    const first = seenGene.get(g);
    if (first !== undefined)
      throw new InputError(
        `${ad.path}: gene '${g}' names two columns of var (${first} and ${j}), so perturbation targets cannot be matched to genes; make the names unique (anndata: adata.var_names_make_unique())`,
      );
    seenGene.set(g, j);
  });
  const col = ad.obs[key];
  if (!col)
    throw new InputError(
      `${ad.path}: obs has no column '${key}' (available: ${Object.keys(ad.obs).join(', ')}); pass the perturbation column's name`,
    );
  let keep = col.map((_, i) => i);
  if (o.filter) {
    const f = ad.obs[o.filter.key];
    if (!f)
      throw new InputError(
        `${ad.path}: obs has no column '${o.filter.key}' to filter on (available: ${Object.keys(ad.obs).join(', ')})`,
      );
    keep = keep.filter((i) => f[i] === o.filter!.value);
    if (keep.length === 0)
      throw new InputError(
        `${ad.path}: no cell has obs['${o.filter.key}'] = '${o.filter.value}' (values: ${[...new Set(f)].slice(0, 20).join(', ')})`,
      );
  }
  const groups = new Map<string, { targets: string[]; cells: number[] }>();
  for (const i of keep) {
    const label = col[i]!;
    const targets = labelTargets(label, control, sep);
    if (label !== control && targets.length === 0)
      throw new InputError(`${ad.path}: obs['${key}'] label '${label}' names no target`);
    const name = envName(targets);
    const g = groups.get(name) ?? { targets: [...targets].sort(), cells: [] };
    g.cells.push(i);
    groups.set(name, g);
  }
  if (!groups.has(envName([])) && o.requireControl !== false) {
    const labels = [...new Set(keep.map((i) => col[i]!))];
    // the usual spellings of control cells in public screens; one of them present is almost surely the control
    const likely = labels.find((l) => /^(ctrl|control|non[-_ ]?targeting|nt|unperturbed|negctrl)$/i.test(l));
    throw new InputError(
      `${ad.path}: control label '${control}' not found in obs['${key}'] (labels include: ${labels.slice(0, 15).join(', ')}${labels.length > 15 ? ', …' : ''}); ${likely ? `pass --control ${likely}` : 'pass the control label with --control'}`,
    );
  }
  const d = ad.nVars;
  const envs: Environment[] = [...groups.entries()]
    .sort(([a, ga], [b, gb]) => ga.targets.length - gb.targets.length || a.localeCompare(b))
    .map(([name, g]) => {
      const values = new Float32Array(g.cells.length * d);
      g.cells.forEach((c, r) => values.set(ad.X.subarray(c * d, (c + 1) * d), r * d));
      return { name, targets: g.targets, values, cells: g.cells.length };
    });
  return { genes: [...ad.varNames], envs, kind: o.kind ?? (ad.layer === 'counts' ? 'counts' : 'log1p') };
}

/**
 * A screen whose counts are recovered from log1p X (recover-counts.ts), for the CLI's `--counts-from` and the web
 * app alike: the values may not be declared counts or latent, a library-size column must exist, and the note says
 * how the counts were recovered (for the log).
 */
export function screenWithRecoveredCounts(
  ad: AnnData,
  o: ScreenOptions & { values?: Screen['kind'] | 'auto' },
  from: CountsFrom,
  /** How the option is spelled where the user gave it (the CLI: --counts-from). */
  option = '--counts-from',
): { screen: Screen; note: string } {
  const where = ad.path;
  if (o.values === 'counts' || o.values === 'latent' || ad.layer === 'counts')
    throw new InputError(
      `${where}: ${option} recovers counts from log1p values, but the values were declared ${ad.layer === 'counts' ? "layers['counts']" : o.values}; drop one of the two`,
    );
  let library: string[] | undefined;
  if (from.method === 'library') {
    library = ad.obs[from.key];
    if (!library)
      throw new InputError(
        `${where}: obs has no column '${from.key}' of library sizes (available: ${Object.keys(ad.obs).join(', ')})`,
      );
  }
  const r = countsFromLog1p(ad.X, ad.nObs, ad.nVars, from, { library, cellNames: ad.obsNames, where });
  const ks = r.multipliers.map((n, k) => (n ? `×${k + 1}: ${n}` : '')).filter(Boolean);
  const note = `recovered integer counts from log1p X (${from.method === 'library' ? `library sizes obs['${from.key}'], target sum ${from.scale}` : `each cell's scale implied by its smallest value${ks.length ? `; cells per multiplier ${ks.join(', ')}` : ''}`}; largest deviation from an integer ${r.maxDeviation.toFixed(4)})`;
  return { screen: screenFromAnnData({ ...ad, X: r.counts }, { ...o, kind: 'counts' }), note };
}
