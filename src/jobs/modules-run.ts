// The `modules` job: the causal analysis of a run's CLIPR matrix. Gene modules (src/clipr/modules.ts), their
// enrichment in the user's gene-set files (GMT; nothing is downloaded), and the implication test on the split's
// held-out single-gene perturbations (src/metrics/implication.ts): does a predicted effect t → j imply that j is DE
// when t is perturbed? The same test is run for the training data's DE (the mean shift of every training condition
// that contains t against the control: what the data alone say about t), so the matrix is judged against DE.
// Writes <run>/modules/{modules.csv, modules.json, enrichment.csv, implication.csv}, all or nothing.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { analyseModules, moduleFiles, moduleSizes, topTerms, type ModuleAnalysis } from '../clipr/modules.ts';
import { parseGmt, type GeneSet } from '../stats/gene-sets.ts';
import { implicationTest, IMPLICATION_QUANTILES, type ImplicationRow } from '../metrics/implication.ts';
import { deTest, prepareControl } from '../metrics/de.ts';
import { geneMeans } from '../data/dataset.ts';
import type { Screen } from '../data/dataset.ts';
import { toCsv } from '../io/csv.ts';
import { InputError } from '../core/errors.ts';
import { writeFilesAtomic } from '../node/atomic.ts';
import { RunFolder, type RunInfo } from './run-folder.ts';
import { assertWritableOutDir } from './builtin-screen.ts';
import { jobLog, type JobContext } from './job-context.ts';
import type { Placement } from '../stats/modules.ts';

export interface ModulesRunOptions extends JobContext {
  run: string;
  /** Output folder (default <run>/modules). */
  out?: string;
  force?: boolean;
  /** causal_matrix.json to read (default <run>/clipr/causal_matrix.json). */
  causal?: string;
  /** GMT files. */
  geneSets?: string[];
  cutHeight?: number;
  minSize?: number;
  /** Genes the cut leaves outside every module: joined to the nearest module (default) or left out. */
  place?: Placement;
  fdr?: number;
  quantiles?: number[];
  seed?: number;
}

interface CausalJson {
  genes: string[];
  a_causal: number[][];
  queryGenes?: string[];
  effects?: string;
  reading?: string;
  model_id?: string;
  identifiability?: { note: string; perturbed: string[] };
}

export interface Implication {
  /** Whether the test could run, and if not why. */
  testable: boolean;
  note: string;
  heldOut: string[];
  rows: ImplicationRow[];
}

function readCausal(path: string, run: string): CausalJson {
  if (!existsSync(path))
    throw new InputError(
      `${path}: no causal matrix; run 'lcd-webgpu clipr --run ${run}' first (or pass --causal <causal_matrix.json>)`,
    );
  let j: CausalJson;
  try {
    j = JSON.parse(readFileSync(path, 'utf8')) as CausalJson;
  } catch {
    throw new InputError(`${path}: not valid JSON (the file is damaged); run clipr again with --force`);
  }
  if (!Array.isArray(j?.genes) || !Array.isArray(j.a_causal))
    throw new InputError(`${path}: not a causal_matrix.json of lcd-webgpu clipr (no 'genes' or 'a_causal')`);
  const d = j.genes.length;
  if (j.a_causal.length !== d || j.a_causal.some((r) => !Array.isArray(r) || r.length !== d))
    throw new InputError(
      `${path}: a_causal is not ${d}×${d} (one row and column per gene); run clipr again with --force`,
    );
  return j;
}

export function readGeneSets(files: readonly string[]): GeneSet[] {
  return files.flatMap((f) => {
    if (!existsSync(f))
      throw new InputError(
        `--gene-sets ${f}: file not found (pass GMT files, e.g. MSigDB c5.go.bp.v2025.1.Hs.symbols.gmt)`,
      );
    return parseGmt(readFileSync(f, 'utf8'), f, basename(f).replace(/\.gmt$/i, ''));
  });
}

/** The implication test of a causal matrix on the run's held-out singles, beside the training data's DE. */
export function implicationOfRun(
  causal: CausalJson,
  aCausal: Float64Array,
  run: RunInfo,
  screen: Screen,
  o: { quantiles?: readonly number[]; seed?: number } = {},
): Implication {
  const genes = causal.genes,
    d = genes.length,
    col = new Map(genes.map((g, i) => [g, i]));
  const test = new Set(run.split.test),
    read = new Set((causal.queryGenes ?? []).flatMap((g) => (col.has(g) ? [col.get(g)!] : [])));
  const singles = screen.envs.filter((e) => test.has(e.name) && e.targets.length === 1);
  const inPanel = singles.filter((e) => col.has(e.targets[0]!));
  const usable = inPanel.filter((e) => read.has(col.get(e.targets[0]!)!));
  const none = (note: string): Implication => ({ testable: false, note, heldOut: [], rows: [] });
  if (!singles.length)
    return none(
      'no single-gene perturbation is held out of training (the split tests doubles only): fit with a split that holds out singles (e.g. --test A,B or a --split-file) to run the implication test',
    );
  if (!inPanel.length)
    return none(
      `the ${singles.length} held-out single(s) target genes outside the gene panel (${singles
        .map((e) => e.name)
        .slice(0, 5)
        .join(', ')}): the causal matrix has no row for them`,
    );
  if (!usable.length)
    return none(
      `the held-out single(s) ${inPanel.map((e) => e.name).join(', ')} target panel genes the model never saw perturbed (in no training condition), so the causal matrix has no row for them`,
    );
  const ctrl = screen.envs.find((e) => e.targets.length === 0);
  if (!ctrl) throw new InputError('the run data have no control cells');
  const ctrlCells = { values: ctrl.values, n: ctrl.cells },
    refs = prepareControl(ctrlCells, d);
  const heldOut = usable.map((e) => {
    const t = deTest({ values: e.values, n: e.cells }, ctrlCells, refs, d);
    return { gene: col.get(e.targets[0]!)!, de: Array.from(t.padj, (p) => p < 0.05) };
  });
  // The training data's DE: for each gene perturbed in training, the mean shift of the pooled training cells of the
  // conditions that contain it (for a held-out single: its training doubles). Each condition's mean once.
  const train = new Set(run.split.train),
    ctrlMean = geneMeans(ctrl.values, ctrl.cells, d);
  const trained = screen.envs
    .filter((e) => train.has(e.name) && e.targets.length)
    .map((e) => ({ targets: e.targets, cells: e.cells, mean: geneMeans(e.values, e.cells, d) }));
  const deMatrix = new Float64Array(d * d),
    deRows: number[] = [];
  for (let t = 0; t < d; t++) {
    const envs = trained.filter((e) => e.targets.includes(genes[t]!));
    if (!envs.length) continue;
    deRows.push(t);
    const n = envs.reduce((s, e) => s + e.cells, 0);
    for (const e of envs)
      for (let j = 0; j < d; j++) deMatrix[t * d + j] += ((e.mean[j]! - ctrlMean[j]!) * e.cells) / n;
  }
  const quantiles = o.quantiles ?? IMPLICATION_QUANTILES;
  const rows = [
    ...implicationTest({
      predictor: 'causal matrix',
      effects: aCausal,
      d,
      rows: [...read],
      heldOut,
      quantiles,
      seed: o.seed,
      stream: 0,
    }),
    ...implicationTest({
      predictor: 'training DE',
      effects: deMatrix,
      d,
      rows: deRows,
      heldOut,
      quantiles,
      seed: o.seed,
      stream: 1,
    }),
  ];
  const skipped = singles.length - usable.length;
  return {
    testable: true,
    note: `${usable.length} held-out single(s) (${usable.map((e) => e.name).join(', ')}) × ${d - 1} genes${skipped ? `; ${skipped} other held-out single(s) not testable (target outside the panel or never perturbed in training)` : ''}`,
    heldOut: usable.map((e) => e.name),
    rows,
  };
}

export function implicationCsv(imp: Implication): string {
  return toCsv(
    [
      'predictor',
      'quantile',
      'threshold',
      'n11',
      'predicted',
      'de',
      'pairs',
      'precision',
      'precision_low',
      'precision_high',
      'base_rate',
      'lift',
      'lift_low',
      'lift_high',
      'fisher_p',
    ],
    imp.rows.map((r) => [
      r.predictor,
      r.quantile,
      r.threshold,
      r.n11,
      r.predicted,
      r.de,
      r.pairs,
      r.precision,
      r.precisionLow,
      r.precisionHigh,
      r.baseRate,
      r.lift,
      r.liftLow,
      r.liftHigh,
      r.fisherP,
    ]),
  );
}

export interface ModulesRunResult {
  out: string;
  files: string[];
  analysis: ModuleAnalysis;
  implication: Implication | null;
}

export async function modulesRun(o: ModulesRunOptions): Promise<ModulesRunResult> {
  const log = jobLog(o);
  const folder = RunFolder.open(o.run, 'modules', { runJson: 'optional' }),
    paths = folder.paths,
    out = o.out ?? paths.modules;
  const causalPath = o.causal ?? paths.cliprMatrixJson,
    causal = readCausal(causalPath, o.run);
  if (o.cutHeight !== undefined && !(o.cutHeight > 0))
    throw new InputError(`--cut-height ${o.cutHeight}: must be a positive distance (the reference's is 0.175)`);
  if (o.minSize !== undefined && !(Number.isInteger(o.minSize) && o.minSize >= 1))
    throw new InputError(`--min-size ${o.minSize}: must be a positive whole number of genes`);
  const geneSets = readGeneSets(o.geneSets ?? []);
  assertWritableOutDir(out, o.force);
  const aCausal = Float64Array.from(causal.a_causal.flat()),
    quantiles = o.quantiles ?? IMPLICATION_QUANTILES;
  const analysis = analyseModules(aCausal, causal.genes, {
    cutHeight: o.cutHeight,
    minSize: o.minSize,
    place: o.place,
    geneSets,
    fdr: o.fdr,
  });
  const m = analysis.modules,
    sizes = moduleSizes(m.labels),
    placed = m.placed.filter(Boolean).length,
    none = m.labels.filter((l) => l < 0).length;
  // with the nearest-module placement a gene stays out only when two modules are equally near (no evidence either way)
  const tied = m.placement === 'nearest' && none > 0 ? `, ${none} equally near two modules and left out` : '';
  log(
    `${sizes.length} module(s) of ≥ ${m.minSize} genes (sizes ${sizes.join(', ') || '–'}; ${m.placement === 'nearest' ? `${placed} of ${causal.genes.length} genes joined their nearest module after the cut${tied}` : `${none} of ${causal.genes.length} genes in none`}), cut at ${m.cutHeight.toPrecision(3)} (${m.cut === 'silhouette' ? 'maximal mean silhouette' : 'given'}), silhouette ${m.silhouette.toFixed(3)}`,
  );
  const perturbed = causal.identifiability?.perturbed ?? causal.queryGenes ?? [];
  const identified = perturbed.length >= 2;
  if (!identified)
    log(
      `warning: only ${perturbed.length} gene(s) of the panel were perturbed, so the causal matrix identifies no effect: these modules are not a result (${causal.identifiability?.note ?? 'see causal_matrix.json'})`,
    );
  if (causal.effects === 'total')
    log(
      "note: the causal matrix holds total effects (the model's differential expression), so the modules group genes by shared responses, not by direct regulation",
    );
  for (const c of analysis.collections) log(`gene sets: ${c.sets} in ${c.name}`);
  const top = topTerms(analysis, 3);
  for (const r of top)
    log(`  module ${r.module + 1}: ${r.term} (${r.overlap}/${r.moduleSize} genes, FDR ${r.fdr.toExponential(2)})`);
  if (analysis.collections.length && !top.length) log(`no term enriched at FDR ≤ ${analysis.fdr}`);

  let implication: Implication | null = null;
  if (folder.hasRun()) {
    implication = implicationOfRun(causal, aCausal, folder.info, await folder.readData(), { quantiles, seed: o.seed });
    log(`implication test: ${implication.note}`);
    for (const r of implication.rows.filter((x) => x.quantile === quantiles.at(-1)))
      log(
        `  ${r.predictor}: precision ${r.precision.toFixed(3)} [${r.precisionLow.toFixed(3)}, ${r.precisionHigh.toFixed(3)}] over ${r.predicted} predicted effects (base rate ${r.baseRate.toFixed(3)}, lift ${r.lift.toFixed(2)})`,
      );
  }
  const meta = {
    source: causalPath,
    effects: causal.effects ?? null,
    identified,
    ...(causal.model_id ? { model_id: causal.model_id } : {}),
    ...(implication ? { implication } : {}),
  };
  const files = Object.entries(moduleFiles(analysis, meta));
  if (implication?.testable) files.push(['implication.csv', implicationCsv(implication)]);
  writeFilesAtomic(files.map(([n, t]) => [join(out, n), t] as const));
  log(`wrote ${out}/{${files.map(([n]) => n).join(', ')}}`);
  return { out, files: files.map(([n]) => join(out, n)), analysis, implication };
}
