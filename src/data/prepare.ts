// The preprocessing pipeline of the reference (spec §8), from a Screen as read from an h5ad to the data LCD trains on
// and the evaluation uses:
//   1. counts are checked (non-negative integers) and QC-filtered (cells, genes, perturbations);
//   2. targets outside the gene panel: an error by default (naming them), or dropped (the reference), or kept
//      (LCD's embeddings are keyed by name, so it can model them; CLIPR then skips them);
//   3. the split (splits.ts);
//   4. gene selection when more than `nGenes` genes remain: seurat HVG statistics on the control + training singles
//      (counts normalised to the control median library size, log1p), genes ranked by targeted-in-test,
//      targeted-in-train, marker count (top-20 Wilcoxon vs control), dispersions_norm; the first `nGenes` kept;
//   5. counts normalised by CP10k over the selected genes, then log1p (normalize.ts); log1p input is used as is;
//   6. top-20 marker genes per environment (test ones included) on the selected genes: the `_20` DE gene sets.
import type { Screen, Environment } from './dataset.ts';
import { validateScreen } from './dataset.ts';
import { assertCounts, librarySizes, median, normalizeLog1p } from './normalize.ts';
import { qcScreen, NO_QC, type QcThresholds, type QcReport } from './qc.ts';
import { hvgSeurat, hvgOrder } from './hvg.ts';
import { markerGenes, wilcoxonScores, topK } from './markers.ts';
import { splitScreen, subScreen, type Split, type SplitSpec } from './splits.ts';
import { InputError } from '../core/errors.ts';

/** Below this many cells a perturbation gets a warning in the preprocessing log. */
export const FEW_CELLS = 10;
export type UnmeasuredTargets = 'error' | 'drop' | 'keep';

export interface PrepareOptions {
  split: SplitSpec;
  seed?: number;
  /** QC thresholds (NORMAN_QC is the reference's); none when absent. */
  qc?: Partial<QcThresholds>;
  nGenes?: number; // default 1000
  unmeasuredTargets?: UnmeasuredTargets;
  nMarkers?: number; // default 20
  source?: string; // for messages (the file)
  /** How a fix is spelled where the user sets it (default the CLI's `--name value`; the web app names its field). */
  spell?: (option: 'unmeasured-targets', value: string) => string;
}

export interface Prepared {
  /** Log1p-normalised screen on the selected genes: what LCD trains on and what predictions are compared with. */
  screen: Screen;
  /** The raw counts on the selected genes (counts input only): what the measurement model is fitted to. */
  counts: Screen | null;
  split: Split;
  /** Top-k marker gene indices (into screen.genes) per environment name. */
  markers: Record<string, number[]>;
  /** HVG rank of every selected gene (0 = most variable), for the `_hvg_a-b` bins. */
  hvgRank: number[];
  qc: QcReport | null;
  unmeasured: { policy: UnmeasuredTargets; targets: string[]; droppedPerturbations: string[] };
  log: string[];
}

const selectColumns = (e: Environment, d: number, idx: readonly number[]): Environment => {
  const values = new Float32Array(e.cells * idx.length);
  for (let c = 0; c < e.cells; c++)
    idx.forEach((g, j) => {
      values[c * idx.length + j] = e.values[c * d + g]!;
    });
  return { ...e, values };
};

export function prepareScreen(raw: Screen, o: PrepareOptions): Prepared {
  const where = o.source ?? 'data',
    seed = o.seed ?? 0,
    log: string[] = [];
  validateScreen(raw);
  let s = raw,
    qc: QcReport | null = null;
  if (s.kind === 'counts')
    for (const e of s.envs) assertCounts(e.values, s.genes.length, s.genes, `${where} (perturbation '${e.name}')`);
  if (o.qc) {
    const r = qcScreen(s, { ...NO_QC, ...o.qc });
    s = r.screen;
    qc = r.report;
    log.push(
      `QC: ${qc.cellsOut}/${qc.cellsIn} cells, ${qc.genesOut}/${qc.genesIn} genes kept; ${qc.droppedPerturbations.length} perturbations below the cell minimum dropped${
        qc.droppedPerturbations.length
          ? ` (${qc.droppedPerturbations
              .slice(0, 5)
              .map((p) => `${p.name}: ${p.cells}`)
              .join(', ')})`
          : ''
      }`,
    );
  }

  // targets outside the panel
  const panel = new Set(s.genes),
    policy = o.unmeasuredTargets ?? 'error',
    spell = o.spell ?? ((option: string, value: string) => `pass --${option} ${value}`);
  const outside = [...new Set(s.envs.flatMap((e) => e.targets).filter((t) => !panel.has(t)))].sort();
  let dropped: string[] = [];
  if (outside.length) {
    if (policy === 'error') {
      throw new InputError(
        `${where}: ${outside.length} perturbation target(s) are not in the gene panel (${outside.slice(0, 8).join(', ')}${outside.length > 8 ? ', …' : ''}); ` +
          `${spell('unmeasured-targets', 'drop')} to remove those perturbations (the reference's rule) or ${spell('unmeasured-targets', 'keep')} to model them by name`,
      );
    }
    if (policy === 'drop') {
      dropped = s.envs.filter((e) => e.targets.some((t) => !panel.has(t))).map((e) => e.name);
      s = { ...s, envs: s.envs.filter((e) => !dropped.includes(e.name)) };
      log.push(`dropped ${dropped.length} perturbations targeting genes outside the panel`);
    } else log.push(`${outside.length} targets lie outside the gene panel and are modelled by name (CLIPR skips them)`);
  }
  if (s.envs.length < 2) {
    throw new InputError(
      `${where}: no perturbed environment is left after filtering${qc ? ` (QC kept ${qc.cellsOut}/${qc.cellsIn} cells and dropped ${qc.droppedPerturbations.length} perturbations below ${o.qc?.minCellsPerPerturbation ?? 1} cells)` : ''}; loosen the QC thresholds`,
    );
  }

  // A perturbation with a handful of cells trains its embedding on that handful: say so, with the flag that drops it.
  const few = s.envs.slice(1).filter((e) => e.cells < FEW_CELLS);
  if (few.length)
    log.push(
      `warning: ${few.length} perturbation(s) have fewer than ${FEW_CELLS} cells (${few
        .slice(0, 5)
        .map((e) => `${e.name}: ${e.cells}`)
        .join(
          ', ',
        )}${few.length > 5 ? ', …' : ''}); their distributions are estimated from those cells alone (drop them with --min-cells-per-perturbation ${FEW_CELLS})`,
    );

  const split = splitScreen(s, o.split, seed);
  log.push(
    `split ${split.mode} (seed ${seed}): ${split.train.length} training environments, ${split.test.length} test${split.val?.length ? `, ${split.val.length} validation (held out, not tested)` : ''}${split.discarded.length ? `, ${split.discarded.length} test combinations discarded (a gene never trained: ${split.discarded.slice(0, 5).join(', ')})` : ''}`,
  );
  if (split.unused?.length)
    log.push(
      `${split.unused.length} condition(s) are in no list of the split and are not used: ${split.unused.slice(0, 8).join(', ')}${split.unused.length > 8 ? ', …' : ''}`,
    );

  // gene selection
  const d = s.genes.length,
    nGenes = o.nGenes ?? 1000;
  // val conditions stay in the data (not trained on), so predict/evaluate --perturbations can score them later
  const kept = new Set([...split.train, ...(split.val ?? [])]),
    byName = new Map(s.envs.map((e) => [e.name, e]));
  const hvgScreen = subScreen(s, [s.envs[0]!.name, ...split.train.filter((n) => byName.get(n)!.targets.length === 1)]);
  const logged =
    s.kind === 'counts'
      ? withValues(hvgScreen, (e) =>
          normalizeTo(e, d, median(librarySizes(hvgScreen.envs[0]!.values, hvgScreen.envs[0]!.cells, d))),
        )
      : hvgScreen;
  const pooled = concatEnvs(logged.envs);
  const hvg = hvgSeurat(pooled, pooled.length / d, d);
  let selected = Array.from({ length: d }, (_, g) => g);
  if (d > nGenes) {
    const inTest = new Set(split.test.flatMap((n) => byName.get(n)!.targets)),
      inTrain = new Set(split.train.flatMap((n) => byName.get(n)!.targets));
    const markerCount = new Float64Array(d);
    for (const sc of wilcoxonScores(logged)) for (const g of topK(sc, 20)) markerCount[g]!++;
    const dn = (g: number) => (Number.isNaN(hvg.dispersionsNorm[g]!) ? -Infinity : hvg.dispersionsNorm[g]!);
    const key = (g: number): number[] => [
      inTest.has(s.genes[g]!) ? 1 : 0,
      inTrain.has(s.genes[g]!) ? 1 : 0,
      markerCount[g]!,
      dn(g),
    ];
    selected = selected
      .sort((a, b) => {
        const ka = key(a),
          kb = key(b);
        for (let i = 0; i < 4; i++) if (ka[i] !== kb[i]) return kb[i]! - ka[i]!;
        return a - b;
      })
      .slice(0, nGenes)
      .sort((a, b) => a - b);
    log.push(`selected ${nGenes} of ${d} genes (targeted genes first, then marker count, then seurat dispersion)`);
  }
  const order = hvgOrder(hvg),
    rankOf = new Map(order.map((g, r) => [g, r]));
  const selRanks = selected.map((g) => rankOf.get(g)!);
  const hvgRank = selRanks.map((r) => selRanks.filter((q) => q < r).length);

  const genes = selected.map((g) => s.genes[g]!);
  const selectedEnvs = s.envs
    .filter((e) => kept.has(e.name) || split.test.includes(e.name))
    .map((e) => selectColumns(e, d, selected));
  const envs =
    s.kind === 'counts'
      ? selectedEnvs.map((e) => ({ ...e, values: normalizeLog1p(e.values, e.cells, genes.length) }))
      : selectedEnvs;
  const screen: Screen = { genes, envs, kind: s.kind === 'latent' ? 'latent' : 'log1p' };
  const markers = markerGenes(screen, o.nMarkers ?? 20);
  const counts = s.kind === 'counts' ? { genes, envs: selectedEnvs, kind: 'counts' as const } : null;
  return {
    screen,
    counts,
    split,
    markers,
    hvgRank,
    qc,
    unmeasured: { policy, targets: outside, droppedPerturbations: dropped },
    log,
  };
}

function normalizeTo(e: Environment, d: number, target: number): Float32Array {
  return normalizeLog1p(e.values, e.cells, d, target > 0 ? target : 1e4);
}
function withValues(s: Screen, f: (e: Environment) => Float32Array): Screen {
  return { ...s, envs: s.envs.map((e) => ({ ...e, values: f(e) })) };
}
function concatEnvs(envs: Environment[]): Float32Array {
  const out = new Float32Array(envs.reduce((n, e) => n + e.values.length, 0));
  let at = 0;
  for (const e of envs) {
    out.set(e.values, at);
    at += e.values.length;
  }
  return out;
}
