// `gi`: genetic-interaction scores and types of every test double whose two singles were measured, for the observed
// cells and for each method's predicted double (the singles' deltas always come from the observed singles, so the
// scores compare the predicted double alone), then agreement of predicted with observed scores and types, and the
// distribution metrics of evaluate stratified by the observed type. Writes <run>/gi/gi.json and gi.csv.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { Engine } from '../gpu/engine.ts';
import { WebGPUBackend } from '../ops/webgpu-backend.ts';
import { subScreen } from '../data/splits.ts';
import type { Screen } from '../data/dataset.ts';
import { additivePrediction, singleGeneShifts } from '../baselines/additive.ts';
import { Peper } from '../baselines/peper.ts';
import type { Cells } from '../metrics/expression.ts';
import {
  giScores,
  giGenes,
  giDelta,
  classifyInteraction,
  typeLabel,
  giAgreement,
  GI_TYPES,
  DEFAULT_GI_THRESHOLDS,
  type GiScores,
  type GiThresholds,
  type GiAgreement,
} from '../metrics/gi.ts';
import { writeFileAtomic } from '../node/atomic.ts';
import { readRun, readRunData, runPaths } from './run-folder.ts';
import { readPredictions } from './evaluate-run.ts';

export interface GiRow extends GiScores {
  double: string;
  source: string;
  type: string;
}
export interface GiResult {
  rows: GiRow[];
  agreement: Record<string, GiAgreement>;
  doubles: string[];
  genes: number;
}

/** GI scores of observed and predicted doubles (predictions: method → double name → cells). */
export function giForDoubles(
  train: Screen,
  truth: Map<string, Cells>,
  doubles: { name: string; targets: string[] }[],
  predictions: Record<string, Map<string, Cells>>,
  delog: boolean,
  thresholds: GiThresholds = DEFAULT_GI_THRESHOLDS,
): GiResult {
  const d = train.genes.length,
    ctrlEnv = train.envs[0]!,
    ctrl = { values: ctrlEnv.values, n: ctrlEnv.cells };
  const single = (t: string) => train.envs.find((e) => e.targets.length === 1 && e.targets[0] === t);
  const usable = doubles.filter(
    (x) => x.targets.length === 2 && x.targets.every((t) => single(t)) && truth.has(x.name),
  );
  // The reference's GI-gene rule (mean de-logged expression > 0.5) is about normalised expression; latent states use
  // every gene.
  const genes = delog
    ? giGenes(
        [
          ctrl,
          ...train.envs.slice(1).map((e) => ({ values: e.values, n: e.cells })),
          ...usable.map((x) => truth.get(x.name)!),
        ],
        d,
        delog,
      )
    : Array.from({ length: d }, (_, g) => g);
  const delta = (c: Cells) => giDelta(c, ctrl, d, genes, delog);
  const rows: GiRow[] = [];
  const observed: GiScores[] = [],
    predicted: Record<string, GiScores[]> = {};
  for (const x of usable) {
    const [a, b] = x.targets.map((t) => {
      const e = single(t)!;
      return delta({ values: e.values, n: e.cells });
    }) as [Float64Array, Float64Array];
    const obs = giScores(a, b, delta(truth.get(x.name)!));
    observed.push(obs);
    rows.push({ double: x.name, source: 'observed', type: typeLabel(classifyInteraction(obs, thresholds)), ...obs });
    for (const [method, preds] of Object.entries(predictions)) {
      const p = preds.get(x.name);
      if (!p) continue;
      const s = giScores(a, b, delta(p));
      (predicted[method] ??= []).push(s);
      rows.push({ double: x.name, source: method, type: typeLabel(classifyInteraction(s, thresholds)), ...s });
    }
  }
  const agreement: Record<string, GiAgreement> = {};
  for (const [m, s] of Object.entries(predicted))
    if (s.length === observed.length && s.length > 0) agreement[m] = giAgreement(observed, s, thresholds);
  return { rows, agreement, doubles: usable.map((x) => x.name), genes: genes.length };
}

export interface GiRunOptions {
  run: string;
  thresholds?: string;
  baselines?: string[];
  peperSteps?: number;
  seed?: number;
  log?: (s: string) => void;
}

export async function giRun(engine: Engine, o: GiRunOptions): Promise<GiResult> {
  const log = o.log ?? (() => {});
  const run = readRun(o.run),
    screen = await readRunData(o.run, run),
    train = subScreen(screen, run.split.train);
  const thresholds: GiThresholds = o.thresholds
    ? { ...DEFAULT_GI_THRESHOLDS, ...JSON.parse(readFileSync(o.thresholds, 'utf8')) }
    : DEFAULT_GI_THRESHOLDS;
  for (const t of Object.keys(thresholds))
    if (!(GI_TYPES as readonly string[]).includes(t))
      throw new Error(`${o.thresholds}: unknown interaction type '${t}' (known: ${GI_TYPES.join(', ')})`);
  const doubles = screen.envs.filter((e) => run.split.test.includes(e.name) && e.targets.length === 2);
  const truth = new Map(doubles.map((e) => [e.name, { values: e.values, n: e.cells }]));
  const predictions: Record<string, Map<string, Cells>> = {};
  const paths = runPaths(o.run);
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
    throw new Error(
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
      { thresholds, genes: res.genes, doubles: res.doubles, rows: res.rows, agreement: res.agreement, stratified },
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
    [cols.join(','), ...res.rows.map((r) => cols.map((c) => r[c]).join(','))].join('\n') + '\n',
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
