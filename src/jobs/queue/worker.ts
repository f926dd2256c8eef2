// The serving side: `lcd-webgpu worker --queue URL` takes jobs one at a time on its own device until it is stopped.
// Each job is an envelope (protocol.ts) whose payload is a job's plain options; the worker runs that job with its own
// context (log lines to the job's log in Redis and to its own output, progress to the job's progress, its stop
// signal) and writes the outputs into the store the payload names. Bad input and a version mismatch fail the job
// once (BullMQ's UnrecoverableError), everything else is retried, by this worker or another.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { InputError } from '../../core/errors.ts';
import type { Engine } from '../../gpu/engine.ts';
import { PACKAGE_VERSION } from '../../node/package-version.ts';
import { runBenchmarkCell } from '../benchmark-run.ts';
import { jobLog, type JobContext } from '../job-context.ts';
import { queueConnection, redactedUrl, reportOutages } from './connection.ts';
import {
  decodePayload,
  INPUT_FAILURE,
  QUEUE_NAME,
  readBenchmarkCell,
  readEnvelope,
  readNetworkFit,
  readLinearFit,
  readPredictBatch,
  readPriorEnvironment,
  readEvaluateChunk,
  outsideStore,
  type JobKind,
} from './protocol.ts';
import { runLinearFit, runNetworkFit } from '../clipr-benchmark.ts';
import { runPredictBatch } from '../predict-run.ts';
import { runPriorEnvironment } from '../measurement-run.ts';
import { runEvaluateChunk } from '../evaluate-queue.ts';

export interface WorkerOptions extends JobContext {
  queue: string;
  /** How long a job's lock lives without renewal: a worker that stops renewing it (killed, frozen) loses its job to
   *  another worker after about this long. */
  lockSeconds?: number;
  /** Stop after this many jobs (tests, and a worker that should give its device back). */
  maxJobs?: number;
  /** The folder this worker reads and writes under (default: its working directory): a job whose folder or paths
   *  lie outside it is refused. */
  store?: string;
}

/** A checked payload bound to its job, or the reason the payload was refused. */
const withPayload = <P>(
  p: P | string,
  job: (p: P, ctx: JobContext) => Promise<void>,
): ((ctx: JobContext) => Promise<void>) | string => (typeof p === 'string' ? p : (ctx) => job(p, ctx));

export interface WorkerSummary {
  done: number;
  failed: number;
}

export async function serveQueue(engine: Engine, o: WorkerOptions): Promise<WorkerSummary> {
  const log = jobLog(o),
    where = redactedUrl(o.queue),
    lockMs = (o.lockSeconds ?? 30) * 1000;
  const summary: WorkerSummary = { done: 0, failed: 0 },
    store = resolve(o.store ?? process.cwd());
  if (!existsSync(store)) throw new InputError(`--store ${store}: no such folder (the shared folder the jobs use)`);
  const worker = new Worker(
    QUEUE_NAME,
    async (job: Job) => {
      const env = readEnvelope(job.data);
      if (typeof env === 'string') throw new UnrecoverableError(`${INPUT_FAILURE}${env}`);
      if (env.version !== PACKAGE_VERSION)
        throw new UnrecoverableError(
          `${INPUT_FAILURE}${env.label} was queued by lcd-webgpu ${env.version}, and this worker (${hostname()}) runs ${PACKAGE_VERSION}: serve the queue with workers of the submitter's version`,
        );
      // Each kind: its payload's check and the job function the local run calls too.
      const payload = decodePayload(env.payload);
      const kinds: Record<JobKind, () => ((ctx: JobContext) => Promise<void>) | string> = {
        'benchmark-cell': () => withPayload(readBenchmarkCell(payload), (c, ctx) => runBenchmarkCell(engine, c, ctx)),
        'network-fit': () => withPayload(readNetworkFit(payload), (f, ctx) => runNetworkFit(engine, f, ctx)),
        'linear-fit': () => withPayload(readLinearFit(payload), (f, ctx) => runLinearFit(engine, f, ctx)),
        'predict-batch': () => withPayload(readPredictBatch(payload), (b, ctx) => runPredictBatch(engine, b, ctx)),
        'prior-environment': () =>
          withPayload(readPriorEnvironment(payload), (e, ctx) => runPriorEnvironment(engine, e, ctx)),
        'evaluate-chunk': () => withPayload(readEvaluateChunk(payload), (c, ctx) => runEvaluateChunk(engine, c, ctx)),
      };
      const run = kinds[env.kind]();
      if (typeof run === 'string') throw new UnrecoverableError(`${INPUT_FAILURE}${env.label}: ${run}`);
      const outside = outsideStore(store, env, payload);
      if (outside)
        throw new UnrecoverableError(
          `${INPUT_FAILURE}${env.label} was refused by ${hostname()}: ${outside} (start the worker with --store <the shared folder>)`,
        );
      if (!existsSync(env.cwd))
        throw new UnrecoverableError(
          `${INPUT_FAILURE}${env.label}: the submitter's folder ${env.cwd} is not on this worker's storage (${hostname()}); serve the queue from machines that mount the store at the same path`,
        );
      log(`job ${job.id} (${env.label}), attempt ${job.attemptsMade + 1}: started`);
      // One job at a time per worker, so the process's working directory can be the job's for its duration.
      const home = process.cwd();
      process.chdir(env.cwd);
      const abort = new AbortController(),
        stop = () => abort.abort(o.signal?.reason);
      o.signal?.addEventListener('abort', stop, { once: true });
      try {
        await run({
          log: (line) => {
            void job.log(line).catch(() => {});
            log(`  ${line}`);
          },
          progress: (label, total) => ({
            update: (done) => void job.updateProgress({ label, done, total }).catch(() => {}),
            done: () => {},
          }),
          signal: abort.signal,
        });
      } catch (e) {
        if (e instanceof InputError) throw new UnrecoverableError(`${INPUT_FAILURE}${e.message}`);
        throw e;
      } finally {
        o.signal?.removeEventListener('abort', stop);
        process.chdir(home);
      }
      log(`job ${job.id} (${env.label}): done`);
    },
    {
      connection: queueConnection(o.queue),
      concurrency: 1, // one device per worker: jobs run one at a time
      lockDuration: lockMs,
      stalledInterval: lockMs,
      maxStalledCount: 2,
      autorun: false,
    },
  );
  worker.on('ready', reportOutages(worker, where, log));
  const finished = new Promise<void>((resolve) => {
    const end = () => void worker.close().then(resolve);
    worker.on('completed', () => {
      summary.done++;
      if (o.maxJobs !== undefined && summary.done + summary.failed >= o.maxJobs) end();
    });
    worker.on('failed', (job, e) => {
      summary.failed++;
      log(`job ${job?.id ?? '?'} failed: ${e.message}`);
      if (o.maxJobs !== undefined && summary.done + summary.failed >= o.maxJobs) end();
    });
    // A stop signal aborts the running job (a fit writes its checkpoint; the job is retried elsewhere and resumes)
    // and closes the worker.
    if (o.signal?.aborted) end();
    else o.signal?.addEventListener('abort', end, { once: true });
  });
  log(
    `serving ${where} (queue '${QUEUE_NAME}', lcd-webgpu ${PACKAGE_VERSION}, pid ${process.pid} on ${hostname()}, store ${store})`,
  );
  void worker.run();
  await finished;
  log(`worker stopped: ${summary.done} job(s) done, ${summary.failed} failed`);
  return summary;
}
