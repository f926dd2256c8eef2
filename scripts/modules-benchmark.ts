// Module recovery on planted-module screens (`simulate --kind modules --counts`): for each given seed folder
// <dir>/s<seed>/{sim, run} (sim: simulate's output; run: a fit with clipr --run and modules --run done), the adjusted
// Rand index against the planted modules of
//   - the LCD's causal matrix (the run's modules/modules.json),
//   - the training data's DE matrix through the same pipeline (each single's mean shift of log1p CP10k against the
//     control, signed by its target's own shift: `signedResponses`, the matrix DE gives CLIPR's distances),
//   - the same with every single, the held-out ones too (more data than the LCD was trained on),
//   - clustering the DE response profiles (1 − Pearson correlation, and 1 − |r| of the genes' shifts over the singles, average
//     linkage, the same silhouette cut and the same placement of genes left outside the modules),
// and whether each planted set is enriched at FDR ≤ 0.01 in a module of the LCD's. Prints a table and writes JSON.
//   npx tsx scripts/modules-benchmark.ts <dir> 0,1,2 [out.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRun, readRunData } from '../src/jobs/run-folder.ts';
import { geneMeans } from '../src/data/dataset.ts';
import { signedResponses } from '../src/clipr/responses.ts';
import { adjustedRandIndex, causalModules, correlationDistances, modulesOfDistances } from '../src/stats/modules.ts';
import { parseGmt, enrichModules } from '../src/stats/gene-sets.ts';
import { fromCsv } from '../src/io/csv.ts';

const [dir, seedList, outJson] = process.argv.slice(2);
if (!dir || !seedList) throw new Error('usage: modules-benchmark.ts <dir> <seeds> [out.json]');
const rows: Record<
  'seed' | 'lcd' | 'lcdPlaced' | 'deMatrix' | 'deCorrelation' | 'deAbsCorrelation' | 'deMatrixAllSingles' | 'baseRate',
  number
>[] = [];
for (const seed of seedList.split(',').map(Number)) {
  const sim = join(dir, `s${seed}`, 'sim'),
    runDir = join(dir, `s${seed}`, 'run');
  const truth = JSON.parse(readFileSync(join(sim, 'truth.json'), 'utf8')) as { genes: string[]; modules: number[] };
  const mods = JSON.parse(readFileSync(join(runDir, 'modules', 'modules.json'), 'utf8')) as {
    genes: string[];
    module: number[];
    cutHeight: number;
  };
  const planted = new Map(truth.genes.map((g, i) => [g, truth.modules[i]!]));
  const plantedOf = (genes: string[]) => genes.map((g) => planted.get(g)!);
  const lcdAri = adjustedRandIndex(
    mods.module.map((m) => m - 1),
    plantedOf(mods.genes),
  );
  // The training singles' shifts in the run's own data (log1p CP10k of the counts).
  const run = readRun(runDir),
    screen = await readRunData(runDir, run),
    d = screen.genes.length,
    train = new Set(run.split.train);
  const col = new Map(screen.genes.map((g, i) => [g, i]));
  const ctrl = screen.envs.find((e) => e.targets.length === 0)!;
  const deOf = (use: (name: string) => boolean) => {
    const singles = screen.envs.filter((e) => use(e.name) && e.targets.length === 1 && col.has(e.targets[0]!));
    const states = [ctrl, ...singles].map((e) => geneMeans(e.values, e.cells, d));
    return { singles, states, genes: singles.map((e) => col.get(e.targets[0]!)!) };
  };
  const { singles, states, genes } = deOf((n) => train.has(n));
  const de = causalModules(signedResponses(states, genes, d), d);
  const all = deOf(() => true); // every single, the held-out ones too: more than the LCD was given
  const deAll = causalModules(signedResponses(all.states, all.genes, d), d);
  const shifts = new Float64Array(singles.length * d);
  singles.forEach((_, q) => states[q + 1]!.forEach((v, j) => (shifts[q * d + j] = v - states[0]![j]!)));
  const corr = modulesOfDistances(correlationDistances(shifts, singles.length, d), d);
  const absCorr = modulesOfDistances(correlationDistances(shifts, singles.length, d, true), d);
  const sets = parseGmt(readFileSync(join(sim, 'genes.gmt'), 'utf8'), 'genes.gmt');
  const enr = enrichModules(
    mods.module.map((m) => m - 1),
    mods.genes,
    sets,
  );
  const enriched = sets.map((s) => enr.some((r) => r.term === s.name && r.fdr <= 0.01));
  // The implication test of the run (modules --run wrote it), at the highest quantile.
  const imp = fromCsv(readFileSync(join(runDir, 'modules', 'implication.csv'), 'utf8'));
  const qMax = Math.max(...imp.map((r) => Number(r['quantile'])));
  const at = (who: string) => imp.find((r) => r['predictor'] === who && Number(r['quantile']) === qMax)!;
  const impOf = (who: string) =>
    `${Number(at(who)['precision']).toFixed(2)} (${at(who)['n11']}/${at(who)['predicted']}, lift ${Number(at(who)['lift']).toFixed(2)})`;
  // Diagnostic: the same ARI over the genes the LCD's modules placed (where the loss comes from).
  const placed = mods.module.map((m, i) => [m, i] as const).filter(([m]) => m > 0);
  const lcdPlaced = adjustedRandIndex(
    placed.map(([m]) => m),
    placed.map(([, i]) => planted.get(mods.genes[i]!)!),
  );
  const row = {
    seed,
    lcd: lcdAri,
    lcdPlaced,
    lcdModules: Math.max(...mods.module),
    lcdUnassigned: mods.module.filter((m) => m === 0).length,
    deMatrix: adjustedRandIndex(de.labels, plantedOf(screen.genes)),
    deCorrelation: adjustedRandIndex(corr.labels, plantedOf(screen.genes)),
    deAbsCorrelation: adjustedRandIndex(absCorr.labels, plantedOf(screen.genes)),
    deMatrixAllSingles: adjustedRandIndex(deAll.labels, plantedOf(screen.genes)),
    plantedEnriched: enriched.filter(Boolean).length,
    plantedSets: sets.length,
    baseRate: Number(at('causal matrix')['base_rate']),
  };
  rows.push(row);
  console.log(
    `seed ${seed}: ARI LCD ${row.lcd.toFixed(3)} (${row.lcdModules} modules, ${row.lcdUnassigned} genes in none; ${row.lcdPlaced.toFixed(3)} over the placed genes) | DE matrix ${row.deMatrix.toFixed(3)} | DE correlation ${row.deCorrelation.toFixed(3)} (|r| ${row.deAbsCorrelation.toFixed(3)}) | DE matrix, every single ${row.deMatrixAllSingles.toFixed(3)} | planted sets enriched ${row.plantedEnriched}/${row.plantedSets} | implication at q ${qMax}: causal ${impOf('causal matrix')}, training DE ${impOf('training DE')}, base rate ${row.baseRate.toFixed(3)}`,
  );
}
const ms = (k: 'lcd' | 'lcdPlaced' | 'deMatrix' | 'deCorrelation' | 'deAbsCorrelation' | 'deMatrixAllSingles') => {
  const v = rows.map((r) => r[k]),
    m = v.reduce((a, b) => a + b, 0) / v.length;
  return `${m.toFixed(3)} ± ${Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, v.length - 1)).toFixed(3)}`;
};
console.log(
  `mean ± sd over ${rows.length} seeds: LCD ${ms('lcd')} (placed genes ${ms('lcdPlaced')}) | DE matrix ${ms('deMatrix')} | DE correlation ${ms('deCorrelation')} (|r| ${ms('deAbsCorrelation')}) | DE matrix, every single ${ms('deMatrixAllSingles')}`,
);
if (outJson) writeFileSync(outJson, JSON.stringify(rows, null, 1));
