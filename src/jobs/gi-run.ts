// `gi`: genetic-interaction scores and types of every test double whose two singles were measured, for the observed
// cells and for each method's predicted double (the singles' deltas always come from the observed singles, so the
// scores compare the predicted double alone), then agreement of predicted with observed scores and types, and the
// distribution metrics of evaluate stratified by the observed type. Writes <run>/gi/gi.json and gi.csv.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { Engine } from '../gpu/engine.ts';
import { WebGPUBackend } from '../ops/webgpu-backend.ts';
import { subScreen } from '../data/splits.ts';
import { additivePrediction, singleGeneShifts } from '../baselines/additive.ts';
import { Peper } from '../baselines/peper.ts';
import type { Cells } from '../metrics/expression.ts';
import { GI_TYPES, DEFAULT_GI_THRESHOLDS, type GiThresholds } from '../metrics/gi.ts';
import { writeFileAtomic } from '../node/atomic.ts';
import { RunFolder } from './run-folder.ts';
import { readPredictions, type Predictions } from './evaluate-run.ts';

import { giForDoubles, type GiResult } from '../metrics/gi.ts';
import { toCsv } from '../io/csv.ts';
import { InputError } from '../core/errors.ts';
import { jobLog, type JobContext } from './job-context.ts';
export { giForDoubles, type GiRow, type GiResult } from '../metrics/gi.ts';

export interface GiRunOptions extends JobContext {
  run: string;
  thresholds?: string;
  baselines?: string[];
  peperSteps?: number;
  seed?: number;
}

export async function giRun(engine: Engine, o: GiRunOptions): Promise<GiResult> {
  const log = jobLog(o);
  const folder = RunFolder.open(o.run, 'gi'),
    run = folder.info,
    screen = await folder.readData(),
    train = subScreen(screen, run.split.train);
  const thresholds: GiThresholds = o.thresholds
    ? { ...DEFAULT_GI_THRESHOLDS, ...JSON.parse(readFileSync(o.thresholds, 'utf8')) }
    : DEFAULT_GI_THRESHOLDS;
  for (const t of Object.keys(thresholds))
    if (!(GI_TYPES as readonly string[]).includes(t))
      throw new InputError(`${o.thresholds}: unknown interaction type '${t}' (known: ${GI_TYPES.join(', ')})`);
  const doubles = screen.envs.filter((e) => run.split.test.includes(e.name) && e.targets.length === 2);
  const truth = new Map(doubles.map((e) => [e.name, { values: e.values, n: e.cells }]));
  const predictions: Record<string, Map<string, Cells>> = {};
  const paths = folder.paths;
  const predPath = paths.predictions();
  if (existsSync(predPath)) predictions['LCD'] = await readPredictions(predPath, run.genes);
  else log(`no predictions at ${predPath}; scoring the baselines only`);
  const baselines = o.baselines ?? ['additive'];
  const ctrlN = train.envs[0]!.cells;
  const shifts = singleGeneShifts(train);
  if (baselines.includes('additive'))
    predictions['additive'] = new Map(
      doubles.map((e) => [e.name, { values: additivePrediction(train, e.targets, shifts), n: ctrlN }]),
    );
  if (baselines.includes('peper')) {
    const p = await new Peper(new WebGPUBackend(engine), { seed: o.seed ?? 0, steps: o.peperSteps ?? 2000 }).fit(train);
    const m = new Map<string, Cells>();
    for (const e of doubles) m.set(e.name, { values: await p.predict(train, e.targets), n: ctrlN }); // one async scope at a time
    predictions['peper'] = m;
    p.dispose();
  }
  const res = giForDoubles(train, truth, doubles, predictions, run.valuesIn !== 'latent', thresholds);
  if (res.doubles.length === 0)
    throw new InputError(
      `no test double of run '${o.run}' has both of its singles measured; genetic interactions need them`,
    );

  // distribution metrics of evaluate, stratified by the observed type
  const stratified: Record<string, Record<string, Record<string, number>>> = {};
  const metricsPath = paths.metricsJson;
  if (existsSync(metricsPath)) {
    const m = JSON.parse(readFileSync(metricsPath, 'utf8')) as {
      rows: { perturbation: string; method: string; metrics: Record<string, number | null> }[];
    };
    for (const type of GI_TYPES) {
      const members = res.rows
        .filter((r) => r.source === 'observed' && r.type.split('|').includes(type))
        .map((r) => r.double);
      if (!members.length) continue;
      for (const r of m.rows.filter((r) => members.includes(r.perturbation))) {
        const slot = ((stratified[type] ??= {})[r.method] ??= {});
        for (const k of ['ed', 'mmd', 'pearson_de', 'ed_20', 'mmd_20', 'pearson_de_20'])
          if (r.metrics[k] != null) slot[k] = (slot[k] ?? 0) + r.metrics[k]! / members.length;
      }
    }
  }
  const dir = paths.gi;
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(
    paths.giJson,
    JSON.stringify(
      {
        model_id: (predictions['LCD'] as Predictions | undefined)?.modelId ?? null, // the model of the scored LCD cells
        thresholds,
        genes: res.genes,
        doubles: res.doubles,
        rows: res.rows,
        agreement: res.agreement,
        stratified,
      },
      null,
      1,
    ),
  );
  const cols = [
    'double',
    'source',
    'type',
    'mag',
    'ts_coef_first',
    'ts_coef_second',
    'dominance',
    'corr_fit',
    'dcor',
    'dcor_a',
    'dcor_b',
    'dcor_singles',
    'ts_linear_dcor',
    'dcor_ratio',
  ] as const;
  writeFileAtomic(
    paths.giCsv,
    toCsv(
      cols,
      res.rows.map((r) => cols.map((c) => r[c])),
    ),
  );
  log(`genetic interactions of ${res.doubles.length} doubles on ${res.genes} GI genes:`);
  for (const x of res.doubles)
    log(
      `  ${x.padEnd(20)} observed ${res.rows.find((r) => r.double === x && r.source === 'observed')!.type.padEnd(24)} ${Object.keys(
        predictions,
      )
        .map((m) => `${m}: ${res.rows.find((r) => r.double === x && r.source === m)?.type ?? '–'}`)
        .join('   ')}`,
    );
  for (const [m, a] of Object.entries(res.agreement))
    log(
      `  ${m}: type agreement ${(100 * a.agreement).toFixed(0)} %, squared error of mag ${a.se_mag.toFixed(3)}, of dcor_ratio ${a.se_dcor_ratio.toFixed(3)}`,
    );
  log(`wrote ${paths.giJson} and gi.csv`);
  return res;
}
