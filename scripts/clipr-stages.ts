// Where a fitted gene-network run loses the direct-effect signal (README, CLIPR, "Where the direct-effect signal is
// lost"): the means per environment (control + every perturbed regulator) of each stage's states, inverted by the
// response reading's direct effects (clipr/responses.ts) and scored against the simulator's truth (OVO-AUROC and
// indirect-pair false-positive rate, perturbed × perturbed):
//   latent      the simulator's cells before counts (the same screen simulated again from truth.json's seed), log1p
//               CP10k of their latent expression: what a perfect measurement would leave
//   cells       the run's training cells, log1p CP10k of their counts (what DE and the benchmark's data-direct read)
//   pseudobulk  log1p of each environment's mean CP10k instead of the mean of the log1p
//   prior       the measurement model's latent states (its generator of each environment)
//   lcd         LCD's sampled states
//   linear      the default reading: LCD's linear response (clipr/from-lcd.ts), gated by the run's cells
// Every stage's means are divided by the model's gene scales, as the linear response is read. The ridge λ is the
// reading's cross-validated one and a fixed 0.03; DE is the cells' signed responses.
// --sim-cells N simulates the screen again with N cells per environment for the latent, cells and pseudobulk rows
// (the model rows are unchanged): how much of the cells' loss is sampling noise.
// --rows picks the rows (default all; prior, lcd and linear sample on the GPU and take most of the time).
// Usage: npx tsx scripts/clipr-stages.ts --run <fit folder> --truth <truth.json> [--states 2000] [--sim-cells N]
//          [--rows latent,cells,pseudobulk,prior,lcd,linear]
import { parseArgs } from 'node:util';
import { openFittedRun, truthOnGenes, log1pCells, controlAndSingles, pseudobulkOf } from './lib/fitted-run.ts';
import { normalizeLog1p } from '../src/data/normalize.ts';
import { columnMeans } from '../src/metrics/expression.ts';
import { grnScreen } from '../src/sim/grn.ts';
import { networkScreenOptions } from '../src/jobs/simulate.ts';
import type { Environment, Screen } from '../src/data/dataset.ts';
import { responseReading, signedResponses } from '../src/clipr/responses.ts';
import { linearResponseStates } from '../src/clipr/from-lcd.ts';
import { dataShiftGate } from '../src/clipr/data-gate.ts';

const ROWS = ['latent', 'cells', 'pseudobulk', 'prior', 'lcd', 'linear'] as const;
type Row = (typeof ROWS)[number];
const { values: a } = parseArgs({
  options: {
    run: { type: 'string' },
    truth: { type: 'string' },
    states: { type: 'string', default: '2000' },
    'sim-cells': { type: 'string' },
    rows: { type: 'string', default: ROWS.join(',') },
  },
});
const wanted = a.rows!.split(',') as Row[];
for (const r of wanted) if (!ROWS.includes(r)) throw new Error(`--rows: '${r}' is not one of ${ROWS.join(', ')}`);
if (!a.run || !a.truth)
  throw new Error('usage: npx tsx scripts/clipr-stages.ts --run <fit folder> --truth <truth.json>');
const n = Number(a.states);
const { genes, d, data, prior, lcd } = await openFittedRun(a.run, 'clipr-stages');
const { truth, P, score: scoreOf } = truthOnGenes(a.truth, genes);
const kind = truth.options.kind;
if (kind !== 'grn' && kind !== 'cascade') throw new Error(`${a.truth}: kind '${kind}' is not grn or cascade`);
const scales = lcd.geneScales;

// The same screen simulated again (simulate's own options from truth.json), with its latent cells; checked against
// the run's counts.
const sim = (cells?: number) =>
  grnScreen({
    ...networkScreenOptions({ ...truth.options, kind }, truth.seed),
    ...(cells ? { cells } : {}),
  });
const again = sim(a['sim-cells'] ? Number(a['sim-cells']) : undefined);
if (!a['sim-cells']) {
  const x = log1pCells(again.screen, again.screen.envs[0]!),
    y = log1pCells(data, data.envs[0]!);
  if (x.length !== y.length || x.some((v, i) => Math.abs(v - y[i]!) > 1e-4))
    throw new Error(`${a.truth}: simulating seed ${truth.seed} again does not give the run's control cells`);
}

const envsOf = (s: Screen): Environment[] => controlAndSingles(s, genes, P, a.run!);
const meanOf = (x: ArrayLike<number>, cells: number) => columnMeans({ values: x, n: cells }, d);
const cellScreen = a['sim-cells'] ? again.screen : data;
const log1pCp10k = (s: Screen) => (e: Environment) => meanOf(log1pCells(s, e), e.cells);
const pseudobulk = (e: Environment) => pseudobulkOf(log1pCells(cellScreen, e), e.cells, d);

const score = (a: Float64Array) => {
  const { auroc, fpr } = scoreOf(a);
  return `${auroc.toFixed(3)} (${fpr.toFixed(2)})`;
};
const report = (name: string, means: Float64Array[]) => {
  const z = means.map((x) => x.map((v, i) => v / scales[i]!));
  const cv = responseReading(z, P, d, { effects: 'direct' }),
    fixed = responseReading(z, P, d, { effects: 'direct', lambda: 0.03 });
  console.log(`  ${name.padEnd(11)} ${score(cv.aCausal)}   ${score(fixed.aCausal)}   (λ ${cv.lambda})`);
};
const cellsNote = a['sim-cells'] ? `${a['sim-cells']} simulated` : 'the screen’s';
console.log(`${a.run}: OVO-AUROC (indirect-pair FPR) at the cross-validated λ, at λ 0.03; ${cellsNote} cells`);
const cellEnvs = envsOf(cellScreen),
  cellMeans = cellEnvs.map(log1pCp10k(cellScreen)); // DE and the cells row read the same means
console.log(`  ${'DE (cells)'.padEnd(11)} ${score(signedResponses(cellMeans, P, d))}`);
const rows: Record<Row, () => Promise<void>> = {
  latent: async () =>
    report(
      'latent',
      envsOf(again.latent).map((e) => meanOf(normalizeLog1p(e.values, e.cells, d), e.cells)),
    ),
  cells: async () => report('cells', cellMeans),
  pseudobulk: async () => report('pseudobulk', cellEnvs.map(pseudobulk)),
  prior: async () => {
    const means: Float64Array[] = [];
    for (const e of envsOf(data)) means.push(meanOf(await prior.states(e.name, n), n)); // one GPU scope at a time
    report('prior', means);
  },
  lcd: async () => {
    const sampled = await lcd.sampleMany(
      envsOf(data).map((e) => e.targets),
      n,
      { seed: 3 },
    );
    report(
      'lcd',
      sampled.map((x) => meanOf(x, n)),
    );
  },
  // the default reading, as clipr --run reads it (its own states and standardisation, the cells' gate)
  linear: async () => {
    const r = responseReading(await linearResponseStates(lcd, P), P, d, {
      effects: 'direct',
      gate: dataShiftGate(data, genes, P),
    });
    console.log(`  ${'linear'.padEnd(11)} ${score(r.aCausal)}   (λ ${r.lambda}, gated)`);
  },
};
for (const r of wanted) await rows[r]();
process.exit(0);
