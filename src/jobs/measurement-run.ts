// Stage 1 of a fit, the measurement model (the count prior), here or spread over queue workers. Fitted jointly for
// all of its steps (the default) it is one sequential optimisation. With --prior-joint-steps J < --prior-steps the
// first J steps are joint and then each environment's generator goes on alone with θ fixed (CountPrior.fitEnvironment):
// those E fits are independent, so `fit --queue` runs the joint steps here, leaves their state in the run folder and
// queues one 'prior-environment' job per environment; each worker writes its generator and losses to the store, and
// the submitter assembles the same measurement model, bit for bit, that the local loop computes.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend, TensorLike } from '../ops/backend.ts';
import type { Engine } from '../gpu/engine.ts';
import { WebGPUBackend } from '../ops/webgpu-backend.ts';
import { subScreen } from '../data/splits.ts';
import type { Screen } from '../data/dataset.ts';
import { CountPrior, type PriorProgress } from '../measurement/prior.ts';
import { savePrior, loadPrior, generatorTensors, generatorFromTensors } from '../measurement/io.ts';
import { encodeSafetensors, decodeSafetensors, assertFiniteTensors } from '../io/safetensors.ts';
import { folderStore } from '../node/folder-store.ts';
import { writeFileAtomic } from '../node/atomic.ts';
import { InputError } from '../core/errors.ts';
import { loadScreen, RunFolder, type RunInfo } from './run-folder.ts';
import { jobLog, stageProgress, type JobContext } from './job-context.ts';
import { redactedUrl } from './queue/connection.ts';

/** One environment's generator fitted on its own after the joint steps (a 'prior-environment' job). */
export interface PriorEnvironment {
  /** The run folder (the submitter holds its lock; the worker only reads run.json, the counts and the joint state). */
  run: string;
  env: number;
  /** Hash of the joint steps' state the job was queued for: a worker refuses a folder where it has changed. */
  jointId: string;
  /** Where the worker writes the generator and its losses (safetensors). */
  out: string;
}

/** The training environments' raw counts of a run (the measurement model's data). */
const trainingCounts = async (folder: RunFolder, run: RunInfo): Promise<Screen> =>
  subScreen(await loadScreen(folder.paths.counts, { control: 'ctrl', values: 'counts' }), run.split.train);

const jointDir = (folder: RunFolder) => join(folder.paths.measurement, 'joint');
const partsDir = (folder: RunFolder) => join(folder.paths.measurement, 'parts');

function jointStateId(dir: string): string {
  const h = createHash('sha256');
  for (const name of ['measurement.json', 'measurement.safetensors']) h.update(readFileSync(join(dir, name)));
  return h.digest('hex').slice(0, 16);
}

/** The measurement model of a fit: fitted here, or with `queue` its environments on the queue's workers. */
export async function fitMeasurement<T extends TensorLike>(
  backend: Backend<T>,
  folder: RunFolder,
  run: RunInfo,
  seed: number,
  ctx: JobContext & { queue?: string },
): Promise<CountPrior<T>> {
  const counts = await trainingCounts(folder, run);
  const bar = stageProgress(ctx, 'measurement model', (p: PriorProgress) => ({
    done: p.step,
    total: p.steps,
    extra: `loss ${p.loss.toFixed(3)}`,
    etaS: p.etaS,
  }));
  const prior = new CountPrior(backend, { seed, ...run.options.prior });
  try {
    if (!ctx.queue) await prior.fit(counts, { onProgress: bar.onProgress, signal: ctx.signal });
    else await fitOnQueue(backend, prior, counts, folder, { ...ctx, queue: ctx.queue }, bar.onProgress);
  } catch (e) {
    prior.dispose();
    throw e;
  }
  bar.done();
  return prior;
}

async function fitOnQueue<T extends TensorLike>(
  backend: Backend<T>,
  prior: CountPrior<T>,
  counts: Screen,
  folder: RunFolder,
  ctx: JobContext & { queue: string },
  onProgress: ((p: PriorProgress) => void) | undefined,
): Promise<void> {
  const o = prior.o,
    log = jobLog(ctx);
  if (o.jointSteps === undefined || o.jointSteps >= o.steps)
    throw new InputError(
      `fit --queue spreads the measurement model's environments over the workers, but all of its ${o.steps} steps are joint (one optimisation over every environment); pass --prior-joint-steps J with J < --prior-steps (then the remaining steps are spent per environment), or fit without --queue`,
    );
  prior.begin(counts);
  await prior.fitJoint(counts, o.jointSteps, { onProgress, signal: ctx.signal });
  const joint = jointDir(folder),
    parts = partsDir(folder);
  rmSync(parts, { recursive: true, force: true });
  mkdirSync(joint, { recursive: true });
  mkdirSync(parts, { recursive: true });
  await savePrior(backend, prior, folderStore(joint));
  const jointId = jointStateId(joint);
  const E = counts.envs.length,
    s = CountPrior.environmentSteps(o, E);
  const jobs = counts.envs.map((_, env): PriorEnvironment => ({
    run: folder.dir,
    env,
    jointId,
    out: join(parts, `env-${env}.safetensors`),
  }));
  log(
    `measurement model: ${o.jointSteps} joint steps done; ${E} environment(s) of ${s} steps each, queued on ${redactedUrl(ctx.queue)}`,
  );
  const { runOnQueue } = await import('./queue/submit.ts'); // BullMQ is loaded by queued runs only
  await runOnQueue(
    ctx.queue,
    jobs.map((j) => ({
      kind: 'prior-environment' as const,
      label: `measurement model, environment ${counts.envs[j.env]!.name} (${j.env + 1} of ${E})`,
      payload: j,
    })),
    ctx,
  );
  for (const j of jobs) readEnvironmentPart(backend, prior, j);
  rmSync(joint, { recursive: true, force: true });
  rmSync(parts, { recursive: true, force: true });
}

/** A worker's generator and losses put in their places, as the local loop leaves them. */
function readEnvironmentPart<T extends TensorLike>(B: Backend<T>, prior: CountPrior<T>, j: PriorEnvironment): void {
  const { tensors, metadata } = decodeSafetensors(readFileSync(j.out), j.out);
  assertFiniteTensors(tensors, j.out);
  prior.replaceGenerator(j.env, generatorFromTensors(B, prior.shape, tensors, 'gen.', j.out));
  prior.losses.push(...(JSON.parse(metadata['losses'] ?? '[]') as { step: number; loss: number }[]));
}

/** A 'prior-environment' job: environment `env`'s generator fitted on its own from the run's joint state. */
export async function runPriorEnvironment(engine: Engine, p: PriorEnvironment, ctx: JobContext): Promise<void> {
  const backend = new WebGPUBackend(engine);
  const folder = RunFolder.open(p.run, null);
  const dir = jointDir(folder);
  let id: string;
  try {
    id = jointStateId(dir);
  } catch {
    throw new InputError(`${dir}: the measurement model's joint state is gone; run the fit again`);
  }
  if (id !== p.jointId)
    throw new InputError(
      `${dir}: the measurement model's joint state is not the one the job was queued for (${p.jointId}); was the fit started again? Run it again`,
    );
  const run = folder.info,
    counts = await trainingCounts(folder, run);
  const prior = loadPrior(backend, folderStore(dir));
  try {
    if (p.env >= counts.envs.length || counts.envs[p.env]!.name !== prior.envNames[p.env])
      throw new InputError(`${p.run}: the run has no training environment ${p.env} (${prior.envNames.length} of them)`);
    prior.losses = [];
    const bar = stageProgress(ctx, 'measurement model', (q: PriorProgress) => ({ done: q.step, total: q.steps }));
    await prior.fitEnvironment(counts, p.env, { onProgress: bar.onProgress, signal: ctx.signal });
    bar.done();
    const tensors = await generatorTensors(backend, prior.shape, prior.generators[p.env]!, 'gen.');
    writeFileAtomic(p.out, encodeSafetensors(tensors, { losses: JSON.stringify(prior.losses) }));
  } finally {
    prior.dispose();
  }
}
