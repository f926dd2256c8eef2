// `benchmark`: LCD against the baselines over folds and seeds of one screen, in one table. For each (fold, seed) a run
// folder <out>/runs/fold<k>-seed<s> goes through fit → predict → evaluate (the same jobs as the CLI verbs); a run whose
// metrics.json exists is read back, and a fit interrupted part-way resumes from its checkpoint, so the same command
// continues an interrupted benchmark. The summary: per method and metric, the mean over each run's test
// perturbations, then mean ± sd over runs; per baseline, LCD's paired wins over (run, perturbation) pairs and a
// two-sided Wilcoxon signed-rank p-value. Without --data the built-in screen is simulated into <out>/screen.h5ad.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { Engine } from '../gpu/engine.ts';
import { WebGPUBackend } from '../ops/webgpu-backend.ts';
import type { LcdHyperparameters } from '../lcd/model.ts';
import type { PriorOptions } from '../measurement/prior.ts';
import type { QcThresholds } from '../data/qc.ts';
import type { UnmeasuredTargets } from '../data/prepare.ts';
import type { EvalRow } from '../metrics/evaluate.ts';
import { smallerIsBetter } from '../metrics/evaluate.ts';
import { signedRankTest } from '../stats/signed-rank.ts';
import { nonFiniteAsNull } from '../core/format.ts';
import { jobLog, jobPayload, type JobContext } from './job-context.ts';
import { queueConnection, redactedUrl } from './queue/connection.ts';
import { writeFileAtomic } from '../node/atomic.ts';
import { fitRun } from './fit-run.ts';
import { predictRun } from './predict-run.ts';
import { evaluateRun } from './evaluate-run.ts';
import { simulate } from './simulate.ts';
import { benchmarkPaths, runPaths, RunFolder, type LoadOptions } from './run-folder.ts';
import { toCsv } from '../io/csv.ts';
import { InputError } from '../core/errors.ts';

export const BENCHMARK_METRICS = ['ed', 'mmd_20', 'pearson_de', 'discrimination_score_l1', 'mae'];

/** What every run of a benchmark shares. */
export interface BenchmarkSettings {
  nFolds: number;
  valDoubles: number;
  load?: LoadOptions;
  qc?: Partial<QcThresholds>;
  nGenes?: number;
  unmeasuredTargets?: UnmeasuredTargets;
  lcd?: Partial<LcdHyperparameters>;
  measurement?: 'zip' | 'none';
  prior?: Partial<PriorOptions>;
  /** Predicted cells per test perturbation. */
  cells?: number;
  baselines?: string[];
  peperSteps?: number;
}

export interface BenchmarkOptions extends BenchmarkSettings, JobContext {
  /** The screen (h5ad); absent: the built-in screen, simulated with the first seed into <out>/screen.h5ad. */
  data?: string;
  out: string;
  folds: number[];
  seeds: number[];
  /** redis://… : the runs go to the workers serving this queue (lcd-webgpu worker) instead of this process. */
  queue?: string;
}

export interface BenchmarkResult {
  runs: { fold: number; seed: number; dir: string; tests: string[] }[];
  /** method → metric → mean and sd over runs of the run's mean over its test perturbations. */
  table: Record<string, Record<string, { mean: number; sd: number; runs: number }>>;
  /** LCD against each baseline, per metric, over (run, perturbation) pairs. */
  paired: { baseline: string; metric: string; pairs: number; lcdWins: number; ties: number; p: number }[];
}

const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sdOf = (xs: number[]) => {
  if (xs.length < 2) return NaN;
  const m = meanOf(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};

/** One fold and seed of a benchmark: plain data, so that a queue can carry it to a worker (queue/). */
export interface BenchmarkCell extends BenchmarkSettings {
  data: string;
  /** The cell's run folder. */
  dir: string;
  fold: number;
  seed: number;
}

/**
 * fit → predict → evaluate of one cell into its run folder, continuing what is there: a model skips the fit, a
 * run.json without one resumes it from its checkpoint, predictions skip the sampling. The same files whether the
 * benchmark runs it or a queue worker does.
 */
export async function runBenchmarkCell(engine: Engine, c: BenchmarkCell, ctx: JobContext): Promise<void> {
  const log = jobLog(ctx),
    paths = runPaths(c.dir),
    B = new WebGPUBackend(engine);
  if (!existsSync(paths.modelConfig)) {
    const resume = existsSync(paths.runJson);
    await fitRun(B, {
      data: c.data,
      out: c.dir,
      force: !resume,
      resume,
      seed: c.seed,
      split: { mode: 'fold', fold: c.fold, nFolds: c.nFolds, nVal: c.valDoubles },
      load: c.load,
      qc: c.qc,
      nGenes: c.nGenes,
      unmeasuredTargets: c.unmeasuredTargets,
      lcd: c.lcd,
      measurement: c.measurement,
      prior: c.prior,
      signal: ctx.signal,
      log,
      progress: ctx.progress,
      engine,
    });
  } else log('model found: fit skipped');
  // A fold can hold no testable combination (on a small screen every held-out double may have a single that never
  // trained): the cell is done with no rows, and the tables average over the runs that have some.
  if (RunFolder.open(c.dir, null).info.split.test.length === 0) {
    log(`fold ${c.fold}, seed ${c.seed}: no test perturbation is left in this fold; it adds no rows to the tables`);
    writeFileAtomic(paths.metricsJson, JSON.stringify({ tests: [], rows: [] }, null, 1));
    return;
  }
  if (!existsSync(paths.predictions()))
    await predictRun(B, { run: c.dir, engine, cells: c.cells, seed: c.seed, force: true, log, progress: ctx.progress });
  await evaluateRun(engine, {
    run: c.dir,
    baselines: c.baselines,
    peper: c.peperSteps ? { steps: c.peperSteps } : undefined,
    seed: c.seed,
    log,
    progress: ctx.progress,
  });
}

export async function benchmarkRun(engine: Engine, o: BenchmarkOptions): Promise<BenchmarkResult> {
  const log = jobLog(o);
  if (o.queue) queueConnection(o.queue); // a malformed URL is refused before anything is written
  mkdirSync(o.out, { recursive: true });
  // The settings a continued benchmark must share with the runs already in the folder.
  const config = JSON.stringify({ ...jobPayload(o), queue: undefined, folds: undefined, seeds: undefined }, null, 1);
  const layout = benchmarkPaths(o.out),
    configPath = layout.config;
  if (existsSync(configPath) && readFileSync(configPath, 'utf8') !== config)
    throw new InputError(
      `${o.out} holds a benchmark with other settings (${configPath}); continue it with the same options, or choose another --out`,
    );
  writeFileAtomic(configPath, config);
  const B = new WebGPUBackend(engine);
  let data = o.data;
  if (!data) {
    data = layout.screen;
    if (!existsSync(data)) {
      await simulate(B, { out: o.out, force: true, seed: o.seeds[0] ?? 0, kind: 'nonlinear' });
      log(`simulated the built-in screen into ${data}`);
    }
  }
  const cells: BenchmarkCell[] = o.seeds.flatMap((seed) =>
    o.folds.map((fold) => ({
      data: data!,
      dir: layout.run(fold, seed),
      fold,
      seed,
      nFolds: o.nFolds,
      valDoubles: o.valDoubles,
      load: o.load,
      qc: o.qc,
      nGenes: o.nGenes,
      unmeasuredTargets: o.unmeasuredTargets,
      lcd: o.lcd,
      measurement: o.measurement,
      prior: o.prior,
      cells: o.cells,
      baselines: o.baselines,
      peperSteps: o.peperSteps,
    })),
  );
  const todo = cells.filter((c) => !existsSync(runPaths(c.dir).metricsJson));
  if (o.queue && todo.length) {
    // Every unfinished cell is a job for the workers; the table below reads their run folders as it reads local ones.
    log(`${todo.length} of ${cells.length} run(s) to do, queued on ${redactedUrl(o.queue)}`);
    // loaded on use: BullMQ and its Redis client are for queued runs only
    const { runOnQueue } = await import('./queue/submit.ts');
    await runOnQueue(
      o.queue,
      todo.map((c) => ({
        kind: 'benchmark-cell' as const,
        label: `fold ${c.fold}, seed ${c.seed}`,
        payload: c,
      })),
      o,
    );
  }
  const runs: BenchmarkResult['runs'] = [],
    rows: { run: number; row: EvalRow }[] = [];
  for (const [k, c] of cells.entries()) {
    const paths = runPaths(c.dir);
    log(`\n[${k + 1}/${cells.length}] fold ${c.fold}, seed ${c.seed} → ${c.dir}`);
    if (!existsSync(paths.metricsJson)) await runBenchmarkCell(engine, c, o);
    else log(o.queue ? 'done by a worker: read back' : 'metrics.json found: read back');
    const m = JSON.parse(readFileSync(paths.metricsJson, 'utf8')) as { tests: string[]; rows: EvalRow[] };
    runs.push({ fold: c.fold, seed: c.seed, dir: c.dir, tests: m.tests });
    for (const row of m.rows) rows.push({ run: k, row });
  }
  const methods = [...new Set(rows.map((r) => r.row.method))];
  const value = (r: EvalRow, metric: string) => {
    const v = r.metrics[metric];
    return v === null || v === undefined ? NaN : v;
  };
  const table: BenchmarkResult['table'] = {};
  for (const method of methods) {
    table[method] = {};
    for (const metric of BENCHMARK_METRICS) {
      const perRun = runs
        .map((_, k) =>
          rows
            .filter((r) => r.run === k && r.row.method === method)
            .map((r) => value(r.row, metric))
            .filter(Number.isFinite),
        )
        .filter((v) => v.length)
        .map(meanOf);
      table[method]![metric] = { mean: perRun.length ? meanOf(perRun) : NaN, sd: sdOf(perRun), runs: perRun.length };
    }
  }
  const paired: BenchmarkResult['paired'] = [];
  const key = (r: { run: number; row: EvalRow }) => `${r.run}|${r.row.perturbation}`;
  const lcd = new Map(rows.filter((r) => r.row.method === 'LCD').map((r) => [key(r), r.row]));
  for (const baseline of methods.filter((m) => m !== 'LCD'))
    for (const metric of BENCHMARK_METRICS) {
      const diffs: number[] = [];
      let wins = 0,
        ties = 0;
      for (const r of rows.filter((x) => x.row.method === baseline)) {
        const l = lcd.get(key(r));
        if (!l) continue;
        const a = value(l, metric),
          b = value(r.row, metric);
        if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
        diffs.push(a - b);
        if (a === b) ties++;
        else if (smallerIsBetter(metric) ? a < b : a > b) wins++;
      }
      paired.push({ baseline, metric, pairs: diffs.length, lcdWins: wins, ties, p: signedRankTest(diffs).p });
    }
  const result: BenchmarkResult = { runs, table, paired };
  writeFileAtomic(layout.json, JSON.stringify(result, nonFiniteAsNull, 1));
  writeFileAtomic(
    layout.csv,
    toCsv(
      ['method', 'metric', 'mean', 'sd', 'runs'],
      Object.entries(table).flatMap(([me, ms]) => Object.entries(ms).map(([m, s]) => [me, m, s.mean, s.sd, s.runs])),
    ),
  );
  writeFileAtomic(
    layout.paired,
    toCsv(
      ['baseline', 'metric', 'pairs', 'lcd_wins', 'ties', 'p'],
      paired.map((p) => [p.baseline, p.metric, p.pairs, p.lcdWins, p.ties, p.p]),
    ),
  );
  printTables(result, log);
  log(`wrote ${layout.json}, benchmark.csv, paired.csv`);
  return result;
}

function printTables(r: BenchmarkResult, log: (s: string) => void): void {
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : '–');
  const withTests = r.runs.filter((x) => x.tests.length).length;
  log(
    `\nmean ± sd over ${withTests} runs (each run: the mean over its test perturbations)${withTests < r.runs.length ? `; ${r.runs.length - withTests} fold(s) had no test perturbation` : ''}:`,
  );
  log(`${'method'.padEnd(11)}${BENCHMARK_METRICS.map((m) => m.padStart(26)).join('')}`);
  for (const [method, ms] of Object.entries(r.table))
    log(
      `${method.padEnd(11)}${BENCHMARK_METRICS.map((m) => `${f(ms[m]!.mean)} ± ${f(ms[m]!.sd)}`.padStart(26)).join('')}`,
    );
  log(
    `\nLCD against each baseline, paired over (run, perturbation): LCD wins / pairs, ties if any (two-sided signed-rank p)`,
  );
  log(`${'baseline'.padEnd(11)}${BENCHMARK_METRICS.map((m) => m.padStart(26)).join('')}`);
  for (const baseline of [...new Set(r.paired.map((p) => p.baseline))])
    log(
      `${baseline.padEnd(11)}${BENCHMARK_METRICS.map((m) => {
        const p = r.paired.find((x) => x.baseline === baseline && x.metric === m)!;
        const ties = p.ties ? `, ${p.ties} tied` : '';
        return `${p.lcdWins}/${p.pairs}${ties} (p ${Number.isFinite(p.p) ? p.p.toPrecision(2) : '–'})`.padStart(26);
      }).join('')}`,
    );
}
