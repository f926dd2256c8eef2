// The report job: reads what a run folder holds (run.json, the model's config and losses, metrics, mean shifts,
// predictions against the observed cells, the causal matrix, its modules, genetic interactions, which outputs an
// earlier model made) into `ReportInputs`, and writes report.html rendered by src/report/report.ts.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { PACKAGE_VERSION } from '../node/package-version.ts';
import { writeFileAtomic } from '../node/atomic.ts';
import { fromCsv } from '../io/csv.ts';
import { cellViewRows } from '../report/cell-views.ts';
import { renderReport, type ReportInputs } from '../report/report.ts';
import { runPaths, RunFolder, type StaleOutput } from './run-folder.ts';
import { readPredictions } from './evaluate-run.ts';

const readJson = <T>(p: string): T | null => (existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as T) : null);
const when = (p: string) => (existsSync(p) ? statSync(p).mtime.toISOString().slice(0, 19).replace('T', ' ') : '–');

/** What the report of `runDir` shows; `stale` when the caller has already found the outputs of an earlier model
 *  (staleOutputs reads the predictions and hashes the model, so it is done once). */
export async function gatherReport(
  runDir: string,
  out = runPaths(runDir).report,
  stale?: readonly StaleOutput[],
): Promise<ReportInputs> {
  const folder = RunFolder.open(runDir, null),
    run = folder.info,
    paths = folder.paths;
  const staleList = stale ?? (await folder.staleOutputs());
  const model = readJson<NonNullable<ReportInputs['model']>>(paths.modelConfig);
  const prior = readJson<{ losses: { step: number; loss: number }[] }>(paths.modelMeasurement);

  let shifts: ReportInputs['shifts'] = null;
  if (existsSync(paths.meanShiftsCsv))
    shifts = fromCsv(readFileSync(paths.meanShiftsCsv, 'utf8'))
      .filter((r) => r.method === 'LCD' || r.method === 'additive')
      .map((r) => ({
        method: r.method!,
        perturbation: r.perturbation!,
        gene: r.gene!,
        observed: Number(r.observed),
        predicted: Number(r.predicted),
      }));

  let cells: ReportInputs['cells'] = null;
  const predPath = paths.predictions();
  if (existsSync(predPath)) {
    const screen = await folder.readData();
    const preds = await readPredictions(predPath, screen.genes);
    const ctrl = screen.envs[0]!;
    const held = screen.envs
      .filter((e) => preds.has(e.name) && e.name !== ctrl.name)
      .map((e) => ({ name: e.name, observed: { values: e.values, n: e.cells }, predicted: preds.get(e.name)! }));
    if (held.length) {
      const markers = Object.fromEntries(
        Object.entries(run.markers).map(([k, gs]) => [k, gs.map((g) => screen.genes.indexOf(g)).filter((i) => i >= 0)]),
      );
      const views = cellViewRows(screen.genes, { values: ctrl.values, n: ctrl.cells }, held.slice(0, 9), {
        topGenes: markers,
        zeros: screen.kind !== 'latent',
      });
      cells = { views, perturbations: held.length };
    }
  }

  return {
    runDir,
    out,
    version: PACKAGE_VERSION,
    run: {
      source: run.source,
      valuesIn: run.valuesIn,
      genes: run.genes.length,
      split: {
        mode: run.split.mode,
        seed: run.split.seed,
        train: run.split.train.length,
        test: run.split.test,
        val: run.split.val,
      },
      lcd: run.options.lcd,
      measurement: run.options.measurement,
      log: run.log,
    },
    model,
    priorLosses: prior?.losses ?? null,
    times: { run: when(paths.runJson), model: when(paths.modelConfig), metrics: when(paths.metricsJson) },
    files: {
      metricsCsv: paths.metricsCsv,
      summaryCsv: paths.summaryCsv,
      meanShiftsCsv: paths.meanShiftsCsv,
      cliprCsv: paths.cliprMatrixCsv,
      modulesCsv: paths.modulesCsv,
      enrichmentCsv: paths.enrichmentCsv,
      implicationCsv: paths.implicationCsv,
      giCsv: paths.giCsv,
    },
    stale: staleList,
    metrics: readJson(paths.metricsJson),
    shifts,
    cells,
    causal: readJson(paths.cliprMatrixJson),
    modules: readJson(paths.modulesJson),
    gi: readJson(paths.giJson),
  };
}

/** Write <run>/report.html (or `out`); returns its path. */
export async function writeReport(
  runDir: string,
  out = runPaths(runDir).report,
  stale?: readonly StaleOutput[],
): Promise<string> {
  writeFileAtomic(out, await renderReport(await gatherReport(runDir, out, stale)));
  return out;
}
