// `evaluate`: LCD's predictions and the baselines (control, pooled perturbed, SALT, PEPER) through one evaluation
// (metrics/evaluate.ts) against the true cells of the test perturbations; writes metrics.json (per perturbation and
// summary), metrics.csv (long format), summary.csv and mean_shifts.csv (observed and predicted mean shift from the
// training control on each test perturbation's marker genes, per method: what the report plots), and prints the
// headline metrics.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../gpu/engine.ts';
import { WebGPUBackend } from '../ops/webgpu-backend.ts';
import { readH5ad } from '../node/h5ad.ts';
import { envMean } from '../data/dataset.ts';
import { subScreen } from '../data/splits.ts';
import { additivePrediction, singleGeneShifts } from '../baselines/additive.ts';
import { controlPrediction, pooledPerturbedPrediction } from '../baselines/simple.ts';
import { Peper, type PeperOptions } from '../baselines/peper.ts';
import type { GpuTensor } from '../gpu/tensor.ts';
import { evaluatePrediction, makeContext, summarize, type EvalRow } from '../metrics/evaluate.ts';
import { columnMeans, type Cells } from '../metrics/expression.ts';
import { writeFileAtomic } from '../node/atomic.ts';
import { readRun, readRunData, runPaths } from './run-folder.ts';

export const HEADLINE = ['mmd_20', 'mmd', 'ed', 'ed_20', 'pearson_de', 'pearson_systema', 'rmse_m', 'de_f1'];

export interface EvaluateOptions {
  run: string;
  predictions?: string;
  baselines?: string[];
  peper?: Partial<PeperOptions>;
  seed?: number;
  log?: (s: string) => void;
}

/** Predicted cells per perturbation name from an h5ad written by predict (obs 'condition'). */
export async function readPredictions(path: string, genes: string[]): Promise<Map<string, Cells>> {
  const ad = await readH5ad(path);
  if (ad.varNames.join() !== genes.join())
    throw new Error(
      `${path}: gene panel differs from the run's (${ad.nVars} vs ${genes.length} genes); predict with the same run`,
    );
  const cond = ad.obs['condition'];
  if (!cond) throw new Error(`${path}: obs has no 'condition' column (available: ${Object.keys(ad.obs).join(', ')})`);
  const d = genes.length,
    rows = new Map<string, number[]>();
  cond.forEach((c, i) => {
    rows.set(c, [...(rows.get(c) ?? []), i]);
  });
  return new Map(
    [...rows].map(([name, idx]) => {
      const v = new Float32Array(idx.length * d);
      idx.forEach((r, k) => v.set(ad.X.subarray(r * d, (r + 1) * d), k * d));
      return [name, { values: v, n: idx.length }];
    }),
  );
}

export async function evaluateRun(
  engine: Engine,
  o: EvaluateOptions,
): Promise<{ rows: EvalRow[]; summary: ReturnType<typeof summarize> }> {
  const log = o.log ?? (() => {}),
    seed = o.seed ?? 0;
  const run = readRun(o.run),
    screen = await readRunData(o.run, run),
    d = screen.genes.length;
  const train = subScreen(screen, run.split.train);
  const paths = runPaths(o.run);
  const predPath = o.predictions ?? paths.predictions();
  const lcd = existsSync(predPath) ? await readPredictions(predPath, run.genes) : null;
  if (!lcd)
    log(`no predictions at ${predPath}; evaluating the baselines only (run 'lcd-webgpu predict --run ${o.run}' first)`);
  const tests = run.split.test.filter((n) => !lcd || lcd.has(n));
  if (tests.length === 0)
    throw new Error(
      `nothing to evaluate: the run's test perturbations (${run.split.test.join(', ') || 'none'}) have no predictions in ${predPath}`,
    );
  const baselines = o.baselines ?? ['control', 'perturbed', 'additive', 'peper'];
  const byName = new Map(screen.envs.map((e) => [e.name, e]));
  const geneIndex = new Map(run.genes.map((g, i) => [g, i]));

  let peper: Peper<GpuTensor> | null = null,
    peperLosses: { step: number; loss: number }[] = [];
  if (baselines.includes('peper')) {
    const t0 = performance.now();
    const p = await new Peper(new WebGPUBackend(engine), { seed, ...o.peper }).fit(train);
    log(
      `PEPER baseline trained (${p.o.steps} steps, H = ${p.o.hidden}) in ${((performance.now() - t0) / 1e3).toFixed(1)} s`,
    );
    peper = p;
    peperLosses = await p.lossCurve();
  }
  const ctx = makeContext(
    { values: train.envs[0]!.values, n: train.envs[0]!.cells },
    train.envs.slice(1).map((e) => envMean(e, d)),
    d,
    { hvgRank: run.hvgRank, engine },
  );
  const rows: EvalRow[] = [],
    shifts = singleGeneShifts(train),
    shiftRows: string[] = [];
  for (const name of tests) {
    const env = byName.get(name)!,
      truth = { values: env.values, n: env.cells };
    const markers = (run.markers[name] ?? []).map((g) => geneIndex.get(g)!).filter((g) => g !== undefined);
    const methods: [string, Cells][] = [];
    if (lcd) methods.push(['LCD', lcd.get(name)!]);
    for (const b of baselines) {
      if (b === 'control') methods.push([b, { values: controlPrediction(train), n: train.envs[0]!.cells }]);
      else if (b === 'perturbed')
        methods.push([b, pooledPerturbedPrediction(train, lcd?.get(name)?.n ?? env.cells, seed)]);
      else if (b === 'additive')
        methods.push([b, { values: additivePrediction(train, env.targets, shifts), n: train.envs[0]!.cells }]);
      else if (b === 'peper')
        methods.push([b, { values: await peper!.predict(train, env.targets), n: train.envs[0]!.cells }]);
      else throw new Error(`unknown baseline '${b}' (known: control, perturbed, additive, peper)`);
    }
    const cache = {},
      observed = envMean(env, d);
    for (const [method, pred] of methods) {
      rows.push({ perturbation: name, method, metrics: await evaluatePrediction(ctx, pred, truth, markers, cache) });
      const predicted = columnMeans(pred, d);
      for (const g of markers)
        shiftRows.push(
          `${name},${run.genes[g]},${method},${observed[g]! - shifts.ctrlMean[g]!},${predicted[g]! - shifts.ctrlMean[g]!}`,
        );
    }
  }
  peper?.dispose();
  const summary = summarize(rows);
  const metricNames = Object.keys(rows[0]!.metrics);
  writeFileAtomic(
    paths.metricsJson,
    JSON.stringify(
      { tests, methods: Object.keys(summary), summary, rows, peperLosses },
      (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
      1,
    ),
  );
  writeFileAtomic(
    paths.metricsCsv,
    [
      'perturbation,method,metric,value',
      ...rows.flatMap((r) => metricNames.map((m) => `${r.perturbation},${r.method},${m},${r.metrics[m]}`)),
    ].join('\n') + '\n',
  );
  writeFileAtomic(
    paths.summaryCsv,
    [
      'method,metric,mean,median',
      ...Object.entries(summary).flatMap(([me, ms]) =>
        Object.entries(ms).map(([m, s]) => `${me},${m},${s.mean},${s.median}`),
      ),
    ].join('\n') + '\n',
  );
  log(`\nmean over ${tests.length} test perturbations (${tests.join(', ')}):`);
  log(`${'method'.padEnd(12)}${HEADLINE.map((m) => m.padStart(16)).join('')}`);
  for (const [method, ms] of Object.entries(summary))
    log(`${method.padEnd(12)}${HEADLINE.map((m) => (ms[m]?.mean ?? NaN).toFixed(4).padStart(16)).join('')}`);
  writeFileAtomic(paths.meanShiftsCsv, ['perturbation,gene,method,observed,predicted', ...shiftRows].join('\n') + '\n');
  log(`wrote ${paths.metricsJson}, metrics.csv, summary.csv, mean_shifts.csv`);
  return { rows, summary };
}
