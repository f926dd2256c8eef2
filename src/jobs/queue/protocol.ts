// What travels through the queue: one envelope per job, plain JSON, checked on both sides. The envelope carries the
// package version of the submitter (a worker of another version refuses the job: the outputs must be the ones this
// version computes) and the protocol number of its layout; the payload is the job's own plain options (the job
// contract, ../job-context.ts): paths into the store every worker reaches, numbers and names. Failures that no retry
// can mend (bad input, a version mismatch) are marked with INPUT_FAILURE so the submitter reports them as such.
import { createHash } from 'node:crypto';
import { isAbsolute, relative, resolve } from 'node:path';
import type { BenchmarkCell } from '../benchmark-run.ts';
import type { LinearFit, NetworkFit } from '../clipr-benchmark.ts';
import type { PredictBatch } from '../predict-run.ts';
import type { PriorEnvironment } from '../measurement-run.ts';
import type { EvaluateChunk } from '../evaluate-queue.ts';

export const QUEUE_NAME = 'lcd-webgpu';
export const PROTOCOL = 1;
export const INPUT_FAILURE = 'input: ';

export type JobKind =
  'benchmark-cell' | 'network-fit' | 'linear-fit' | 'predict-batch' | 'prior-environment' | 'evaluate-chunk';
export const JOB_KINDS: readonly JobKind[] = [
  'benchmark-cell',
  'network-fit',
  'linear-fit',
  'predict-batch',
  'prior-environment',
  'evaluate-chunk',
];

export interface Envelope {
  protocol: typeof PROTOCOL;
  version: string;
  kind: JobKind;
  /** What the job is, for progress and messages ('fold 1, seed 0'). */
  label: string;
  /** The submitter's working directory, against which the payload's relative paths are read: it is on the store
   *  every worker reaches, at the same path, so a worker writes exactly the files (and records exactly the paths) a
   *  local run writes. */
  cwd: string;
  payload: unknown;
}

/** JSON writes ±Infinity and NaN as null (a QC threshold of "no limit" would come back as 0) and −0 as 0: a payload
 *  carries them as {"$number": "Infinity"} (or "-0") and the worker reads the number back. */
export const encodePayload = (x: unknown): unknown =>
  JSON.parse(
    JSON.stringify(x, (_, v: unknown) =>
      typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))
        ? { $number: Object.is(v, -0) ? '-0' : String(v) }
        : v,
    ),
  );
export const decodePayload = (x: unknown): unknown =>
  JSON.parse(JSON.stringify(x), (_, v: unknown) => {
    const o = v as { $number?: unknown } | null;
    return o &&
      typeof o === 'object' &&
      !Array.isArray(o) &&
      Object.keys(o).length === 1 &&
      typeof o.$number === 'string'
      ? Number(o.$number)
      : v;
  });

/** A job's id from its kind and payload: the same work has the same id, so a submitter that is run again finds the
 *  jobs it queued before instead of queueing them twice. */
export const jobId = (kind: JobKind, payload: unknown): string =>
  `${kind}-${createHash('sha256').update(JSON.stringify(payload)).digest('hex').slice(0, 20)}`;

/** The envelope's fields, or the reason it is not one. */
export function readEnvelope(x: unknown): Envelope | string {
  const e = x as Partial<Envelope> | null;
  if (!e || typeof e !== 'object') return 'the job holds no envelope';
  if (e.protocol !== PROTOCOL) return `the job's protocol is ${String(e.protocol)}, this worker reads ${PROTOCOL}`;
  if (typeof e.version !== 'string' || typeof e.label !== 'string' || typeof e.cwd !== 'string')
    return 'the envelope has no version, label or working directory';
  if (!JOB_KINDS.includes(e.kind as JobKind)) return `unknown job kind '${String(e.kind)}'`;
  return e as Envelope;
}

const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isObj = (v: unknown) => v === undefined || (typeof v === 'object' && v !== null && !Array.isArray(v));

/** A benchmark cell's payload checked field by field, or the first field that is wrong. */
export function readBenchmarkCell(p: unknown): BenchmarkCell | string {
  const c = p as Record<string, unknown> | null;
  if (!c || typeof c !== 'object') return 'the payload is not an object';
  for (const k of ['data', 'dir'] as const) if (typeof c[k] !== 'string' || !c[k]) return `'${k}' is not a path`;
  for (const k of ['fold', 'seed', 'nFolds', 'valDoubles'] as const)
    if (!isInt(c[k])) return `'${k}' is not a non-negative integer`;
  for (const k of ['load', 'qc', 'lcd', 'prior'] as const) if (!isObj(c[k])) return `'${k}' is not an object`;
  for (const k of ['nGenes', 'cells', 'peperSteps'] as const)
    if (c[k] !== undefined && !isInt(c[k])) return `'${k}' is not a non-negative integer`;
  if (
    c['baselines'] !== undefined &&
    !(Array.isArray(c['baselines']) && c['baselines'].every((b) => typeof b === 'string'))
  )
    return "'baselines' is not a list of names";
  if (c['measurement'] !== undefined && c['measurement'] !== 'zip' && c['measurement'] !== 'none')
    return "'measurement' is neither 'zip' nor 'none'";
  return c as unknown as BenchmarkCell;
}

/** A clipr-benchmark gene-network fit's payload checked field by field, or the first field that is wrong. */
export function readNetworkFit(p: unknown): NetworkFit | string {
  const c = p as Record<string, unknown> | null;
  if (!c || typeof c !== 'object') return 'the payload is not an object';
  for (const k of ['screen', 'out'] as const) if (typeof c[k] !== 'string' || !c[k]) return `'${k}' is not a path`;
  if (!isInt(c['seed'])) return "'seed' is not a non-negative integer";
  if (!isInt(c['steps']) || c['steps'] === 0) return "'steps' is not a positive integer";
  // absent: the library's measurement model (the benchmark sends one only with --prior-steps)
  if (c['prior'] !== undefined && !isObj(c['prior'])) return "'prior' is not an object";
  if (c['trainLevels'] !== undefined && (!isInt(c['trainLevels']) || c['trainLevels'] === 0))
    return "'trainLevels' is not a positive integer";
  return c as unknown as NetworkFit;
}

/** A clipr-benchmark linear-screen fit's payload checked field by field, or the first field that is wrong. */
export function readLinearFit(p: unknown): LinearFit | string {
  const c = p as Record<string, unknown> | null;
  if (!c || typeof c !== 'object') return 'the payload is not an object';
  if (typeof c['out'] !== 'string' || !c['out']) return "'out' is not a path";
  if (!['er', 'sf', 'sfo'].includes(c['graph'] as string)) return "'graph' is not er, sf or sfo";
  for (const k of ['d', 'p', 'steps'] as const)
    if (!isInt(c[k]) || c[k] === 0) return `'${k}' is not a positive integer`;
  if (!isInt(c['seed'])) return "'seed' is not a non-negative integer";
  if (!isObj(c['lcd']) || c['lcd'] === undefined) return "'lcd' is not an object";
  return c as unknown as LinearFit;
}

const isNum = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isFinite(v));

/** A queued predict's batch checked field by field, or the first field that is wrong. */
export function readPredictBatch(p: unknown): PredictBatch | string {
  const c = p as Record<string, unknown> | null;
  if (!c || typeof c !== 'object') return 'the payload is not an object';
  for (const k of ['run', 'out', 'modelId'] as const)
    if (typeof c[k] !== 'string' || !c[k]) return `'${k}' is not a string`;
  for (const k of ['batch', 'first', 'cells', 'seed'] as const)
    if (!isInt(c[k])) return `'${k}' is not a non-negative integer`;
  const sets = c['sets'];
  if (!Array.isArray(sets) || !sets.every((s) => Array.isArray(s) && s.every((t) => typeof t === 'string')))
    return "'sets' is not a list of target lists";
  if (!['normalized', 'counts', 'latent'].includes(c['output'] as string))
    return "'output' is not normalized, counts or latent";
  const s = c['sampler'] as Record<string, unknown> | undefined;
  if (!s || typeof s !== 'object') return "'sampler' is not an object";
  for (const k of ['stepsPerLevel', 'lastLevel', 'stepScale'] as const)
    if (!isNum(s[k])) return `'sampler.${k}' is not a number`;
  if (s['integrator'] !== undefined && s['integrator'] !== 'lm' && s['integrator'] !== 'em')
    return "'sampler.integrator' is neither 'lm' nor 'em'";
  if (s['samplerKernel'] !== undefined && !['auto', 'layers', 'fused'].includes(s['samplerKernel'] as string))
    return "'sampler.samplerKernel' is not auto, layers or fused";
  if (s['compose'] !== undefined && !['embedding', 'experts'].includes(s['compose'] as string))
    return "'sampler.compose' is not embedding or experts";
  return c as unknown as PredictBatch;
}

/** A queued measurement model's environment checked field by field, or the first field that is wrong. */
export function readPriorEnvironment(p: unknown): PriorEnvironment | string {
  const c = p as Record<string, unknown> | null;
  if (!c || typeof c !== 'object') return 'the payload is not an object';
  for (const k of ['run', 'jointId', 'out'] as const)
    if (typeof c[k] !== 'string' || !c[k]) return `'${k}' is not a string`;
  if (!isInt(c['env'])) return "'env' is not a non-negative integer";
  return c as unknown as PriorEnvironment;
}

/** A queued evaluate's chunk checked field by field, or the first field that is wrong. */
export function readEvaluateChunk(p: unknown): EvaluateChunk | string {
  const c = p as Record<string, unknown> | null;
  if (!c || typeof c !== 'object') return 'the payload is not an object';
  for (const k of ['run', 'out'] as const) if (typeof c[k] !== 'string' || !c[k]) return `'${k}' is not a path`;
  for (const k of ['predictions', 'predictionsId'] as const)
    if (c[k] !== null && (typeof c[k] !== 'string' || !c[k])) return `'${k}' is neither a string nor null`;
  if ((c['predictions'] === null) !== (c['predictionsId'] === null))
    return "'predictions' and 'predictionsId' are given together or not at all";
  for (const k of ['names', 'baselines'] as const) {
    const v = c[k];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return `'${k}' is not a list of names`;
  }
  if (!isInt(c['seed'])) return "'seed' is not a non-negative integer";
  return c as unknown as EvaluateChunk;
}

/** The payload fields of each kind that name files or folders (read or written by the worker). */
const PATH_FIELDS: Record<JobKind, readonly string[]> = {
  'benchmark-cell': ['data', 'dir'],
  'network-fit': ['screen', 'out'],
  'linear-fit': ['out'],
  'predict-batch': ['run', 'out'],
  'prior-environment': ['run', 'out'],
  'evaluate-chunk': ['run', 'predictions', 'out'],
};

/** Why a job reaches outside the worker's store (its working directory, or a path of its payload read against it),
 *  or null when every path is inside: a worker reads and writes only under the folder it was told to serve. */
export function outsideStore(store: string, envelope: Envelope, payload: unknown): string | null {
  const root = resolve(store),
    inside = (p: string) => {
      const r = relative(root, p);
      return r === '' || (!r.startsWith('..') && !isAbsolute(r));
    };
  const cwd = resolve(envelope.cwd);
  if (!inside(cwd)) return `its folder ${envelope.cwd} is outside this worker's store ${root}`;
  const fields = payload as Record<string, unknown>;
  for (const k of PATH_FIELDS[envelope.kind]) {
    const v = fields[k];
    if (typeof v === 'string' && !inside(resolve(cwd, v)))
      return `its '${k}' (${v}) is outside this worker's store ${root}`;
  }
  return null;
}
