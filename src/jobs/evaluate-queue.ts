// `evaluate --run … --queue URL`: the test perturbations scored in chunks on queue workers. A perturbation's metrics
// depend on nothing but its own cells, the predictions and the training data (metrics/evaluate.ts, evaluateCase), so
// a worker scores its chunk with the same functions the local loop calls and writes the results to the store as
// JSON (numbers exactly, non-finite ones spelled out); the submitter adds the metrics across perturbations
// (combineCases) and writes the same files a local evaluate writes. PEPER is trained once, by the submitter, so it is
// not a queued baseline.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../gpu/engine.ts';
import { subScreen } from '../data/splits.ts';
import { evaluateCase, type CaseResult } from '../metrics/evaluate.ts';
import { writeFileAtomic } from '../node/atomic.ts';
import { InputError } from '../core/errors.ts';
import { RunFolder, runPaths } from './run-folder.ts';
import { methodsOf, readPredictions, runTestCases, scoringContext, type Predictions } from './evaluate-cases.ts';
import { jobLog, type JobContext } from './job-context.ts';
import { decodePayload, encodePayload } from './queue/protocol.ts';
import { redactedUrl } from './queue/connection.ts';

/** Test perturbations per job by default: each costs seconds (the energy distances), a job's start-up about one. */
export const EVALUATE_CHUNK = 8;

/** One chunk of a queued evaluate (an 'evaluate-chunk' job). */
export interface EvaluateChunk {
  run: string;
  /** The predictions h5ad and a hash of its bytes: a worker refuses a file that has changed since. */
  predictions: string | null;
  predictionsId: string | null;
  names: string[];
  baselines: string[];
  seed: number;
  out: string;
}

const fileId = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);

/** A chunk's cases, scored here: what a worker runs. */
export async function runEvaluateChunk(engine: Engine, p: EvaluateChunk, ctx: JobContext): Promise<void> {
  if (p.baselines.includes('peper'))
    throw new InputError('PEPER is not a queued baseline (it is trained once, by the submitter)');
  const folder = RunFolder.open(p.run, null),
    run = folder.info,
    screen = await folder.readData();
  let predicted: Predictions | null = null;
  if (p.predictions) {
    if (fileId(p.predictions) !== p.predictionsId)
      throw new InputError(
        `${p.predictions} is not the file the evaluation was queued for (sampled again since?); run evaluate again`,
      );
    predicted = await readPredictions(p.predictions, run.genes);
  }
  const train = subScreen(screen, run.split.train),
    sctx = scoringContext(engine, train, run.hvgRank);
  const methods = methodsOf(train, predicted, 'LCD', p.baselines, p.seed, null);
  const cases: CaseResult[] = [],
    bar = ctx.progress?.('evaluating', p.names.length);
  for (const t of runTestCases(run, screen, p.names)) {
    cases.push(await evaluateCase(sctx, t, await methods(t)));
    bar?.update(cases.length);
  }
  bar?.done();
  writeFileAtomic(p.out, JSON.stringify(encodePayload(cases.map(plainCase))));
}

/** A case as plain JSON values (typed arrays as arrays). */
const plainCase = (c: CaseResult) => ({
  rows: c.rows,
  means: c.means.map(([m, v]) => [m, Array.from(v)]),
  trueEffect: Array.from(c.trueEffect),
  trueEd: c.trueEd,
  predEd: c.predEd,
});

function readCases(path: string): CaseResult[] {
  const plain = decodePayload(JSON.parse(readFileSync(path, 'utf8'))) as ReturnType<typeof plainCase>[];
  return plain.map((c) => ({
    rows: c.rows,
    means: c.means.map(([m, v]) => [m as string, Float64Array.from(v as number[])]),
    trueEffect: Float64Array.from(c.trueEffect),
    trueEd: c.trueEd,
    predEd: c.predEd,
  }));
}

/** The cases of `names` scored by the queue's workers, in order (scoreMethods' `scoreCases`). */
export function queuedCases(
  o: JobContext & { run: string; queue: string; seed?: number; jobSize?: number },
  predPath: string,
  predicted: Predictions | null,
  names: string[],
): (baselines: string[]) => Promise<CaseResult[]> {
  return async (baselines) => {
    const parts = `${runPaths(o.run).metricsJson}.parts`;
    rmSync(parts, { recursive: true, force: true });
    mkdirSync(parts, { recursive: true });
    const size = o.jobSize ?? EVALUATE_CHUNK,
      chunks = Math.ceil(names.length / size),
      predictionsId = predicted ? fileId(predPath) : null; // hashed once, checked by every job
    const jobs = Array.from({ length: chunks }, (_, c): EvaluateChunk => ({
      run: o.run,
      predictions: predicted ? predPath : null,
      predictionsId,
      names: names.slice(c * size, (c + 1) * size),
      baselines,
      seed: o.seed ?? 0,
      out: join(parts, `chunk-${c}.json`),
    }));
    jobLog(o)(`${chunks} chunk(s) of at most ${size} perturbations, queued on ${redactedUrl(o.queue)}`);
    const { runOnQueue } = await import('./queue/submit.ts'); // BullMQ is loaded by queued runs only
    await runOnQueue(
      o.queue,
      jobs.map((j, c) => ({
        kind: 'evaluate-chunk' as const,
        label: `evaluation, perturbations ${c * size + 1}–${c * size + j.names.length} of ${names.length}`,
        payload: j,
      })),
      o,
    );
    const cases = jobs.flatMap((j) => readCases(j.out));
    rmSync(parts, { recursive: true, force: true });
    return cases;
  };
}
