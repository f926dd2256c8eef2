// The job contract. A job is `job(options)` where the options are the job's own plain data (file paths, numbers,
// names: what run.json records and what a queue could carry as JSON) plus this context: how the job reports, when it
// stops and which device it runs on. Every job takes the same context, so the CLI, the report, the web app, the
// benchmarks and a queue worker call them alike; a job never prints, never exits and never installs signal handlers.
import type { ProgressSink } from '../core/format.ts';
import type { Engine } from '../gpu/engine.ts';
import type { Progress, SampleProgress } from '../lcd/model.ts';

export interface JobContext {
  /** Lines for the user (notes, warnings, results); none by default. The CLI routes them to stdout or stderr. */
  log?: (line: string) => void;
  /** Makes the sink that shows a long stage's progress (a terminal bar, a page's widget); none by default. The
   *  stages are named: 'training', 'measurement model', 'sampling', 'evaluating', 'PEPER baseline', 'probability
   *  flow', 'queued jobs'. */
  progress?: (label: string, total: number) => ProgressSink;
  /** Once aborted, the job stops at its next safe point (a fit writes its checkpoint) and rejects with
   *  InterruptedError. */
  signal?: AbortSignal;
  /** The device the job computes on, where it needs one beside the backend it is given (decoding counts). */
  engine?: Engine;
}

/** A job's options without its context: the plain data that say what to compute. */
export type JobPayload<O> = Omit<O, keyof JobContext>;

const CONTEXT_KEYS = ['log', 'progress', 'signal', 'engine'] as const;
// every key of the context is listed (a new one that is not fails to compile here)
const _everyKey: Record<Exclude<keyof JobContext, (typeof CONTEXT_KEYS)[number]>, never> = {};
void _everyKey;

/** The options without the context (the same keys in the same order, so its JSON is the options' plain part). */
export function jobPayload<O extends JobContext>(o: O): JobPayload<O> {
  const p: Partial<O> = { ...o };
  for (const k of CONTEXT_KEYS) delete p[k];
  return p as JobPayload<O>;
}

/** The context's logger, silent when none was given. */
export const jobLog = (c: JobContext): ((line: string) => void) => c.log ?? (() => {});

/**
 * A stage's progress callback (what LCD, the measurement model, the sampler and PEPER report) drawn on the context's
 * sink, made at the first report so that its total is the run's (on a resume, run.json's); `done` ends it. Without a
 * `progress` in the context both do nothing.
 */
export function stageProgress<P>(
  c: JobContext,
  label: string,
  read: (p: P) => { done: number; total: number; extra?: string; etaS?: number },
): { onProgress: ((p: P) => void) | undefined; done: (message?: string) => void } {
  let sink: ProgressSink | undefined,
    total = NaN;
  return {
    onProgress:
      c.progress &&
      ((p: P) => {
        const r = read(p);
        // a stage that runs twice with another total (CLIPR's default reading samples the means, then perhaps the
        // linear response) gets a bar per pass
        if (sink && r.total !== total) sink.done();
        if (!sink || r.total !== total) sink = c.progress!(label, (total = r.total));
        sink.update(r.done, r.extra, r.etaS);
      }),
    done: (message?: string) => sink?.done(message),
  };
}

/** What LCD's training reports, as a stage: steps, with the loss. */
export const trainingStage = (p: Progress) => ({
  done: p.step,
  total: p.steps,
  extra: `loss ${p.loss.toFixed(4)}`,
  etaS: p.etaS,
});

/** What the sampler reports, as a stage: noise levels. */
export const samplingStage = (p: SampleProgress) => ({ done: p.done, total: p.total, extra: 'levels', etaS: p.etaS });
