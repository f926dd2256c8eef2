// The submitting side: a job that splits its work (today: the benchmark's runs) queues one job per piece, waits for
// the workers, and returns once every piece is done, so that it can read the pieces' outputs from the store as if it
// had computed them itself. Waiting survives a Redis restart (the commands wait for the server) and a worker's death
// (BullMQ moves a job whose worker stopped renewing its lock back to the queue, and another worker resumes it). A
// piece that fails for a data reason fails once and stops the run with its message; a piece that fails on every
// attempt stops it with the last reason.
import { Queue, type Job } from 'bullmq';
import { InputError, InterruptedError } from '../../core/errors.ts';
import { PACKAGE_VERSION } from '../../node/package-version.ts';
import { jobLog, type JobContext } from '../job-context.ts';
import { queueConnection, redactedUrl, reportOutages } from './connection.ts';
import { encodePayload, INPUT_FAILURE, jobId, PROTOCOL, QUEUE_NAME, type Envelope, type JobKind } from './protocol.ts';

export interface QueuedPiece {
  kind: JobKind;
  label: string;
  payload: unknown;
}

/** Attempts per job: a worker killed outright costs one (BullMQ counts a stalled job too). */
export const JOB_ATTEMPTS = 3;
const POLL_MS = 500;

export async function runOnQueue(url: string, pieces: readonly QueuedPiece[], ctx: JobContext): Promise<void> {
  const log = jobLog(ctx),
    where = redactedUrl(url);
  const queue = new Queue(QUEUE_NAME, { connection: queueConnection(url) });
  const reachable = reportOutages(queue, where, log),
    cwd = process.cwd();
  try {
    const ids: string[] = [];
    for (const p of pieces) {
      const payload = encodePayload(p.payload);
      const id = jobId(p.kind, { cwd, payload });
      // A finished job of an earlier submission stays in Redis until its submitter removes it; one that is still
      // waiting or running is the same work and is waited for rather than queued again.
      const old = await queue.getJob(id);
      if (old && ['completed', 'failed'].includes(await old.getState())) await old.remove();
      const envelope: Envelope = {
        protocol: PROTOCOL,
        version: PACKAGE_VERSION,
        kind: p.kind,
        label: p.label,
        cwd,
        payload,
      };
      await queue.add(p.kind, envelope, {
        jobId: id,
        attempts: JOB_ATTEMPTS,
        backoff: { type: 'fixed', delay: 1000 },
      });
      ids.push(id);
    }
    const bar = ctx.progress?.('queued jobs', ids.length);
    const done = new Set<string>();
    let warnedNoWorker = false;
    const started = Date.now();
    while (done.size < ids.length) {
      if (ctx.signal?.aborted)
        throw new InterruptedError(String(ctx.signal.reason ?? 'signal'), done.size, undefined, {
          name: 'waiting for the queued jobs',
          steps: ids.length,
          unsaved: 'the queued jobs go on on the workers (run the same command again to wait for them)',
        });
      let fraction = 0;
      for (const id of ids) {
        if (done.has(id)) continue;
        const job = (await queue.getJob(id)) as Job | undefined;
        if (!job)
          throw new Error(`queued job ${id} is gone from ${where} (was the queue emptied?); run the command again`);
        const state = await job.getState();
        if (state === 'completed') {
          done.add(id);
          await job.remove();
          continue;
        }
        if (state === 'failed') {
          const label = (job.data as Envelope).label,
            reason = job.failedReason ?? 'no reason given';
          if (reason.startsWith(INPUT_FAILURE))
            throw new InputError(`queued run ${label} failed: ${reason.slice(INPUT_FAILURE.length)}`);
          throw new Error(`queued run ${label} failed on every attempt (${job.attemptsMade}): ${reason}`);
        }
        const p = job.progress as { done?: number; total?: number } | number;
        if (typeof p === 'object' && p?.total) fraction += Math.min(1, (p.done ?? 0) / p.total);
      }
      reachable();
      const workers = (await queue.getWorkers()).length;
      if (workers === 0 && !warnedNoWorker && Date.now() - started > 5000) {
        warnedNoWorker = true;
        log(`note: no worker serves ${where} yet; start one (or several) with: lcd-webgpu worker --queue ${where}`);
      }
      bar?.update(done.size, `${workers} worker(s)${fraction ? `, ${fraction.toFixed(1)} job(s) in progress` : ''}`);
      if (done.size < ids.length) await new Promise((r) => setTimeout(r, POLL_MS));
    }
    bar?.done(`${ids.length} job(s) done`);
  } finally {
    await queue.close();
  }
}
