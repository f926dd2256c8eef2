// `predict`: cells for target sets from a fitted run's model (the split's test perturbations by default, or any
// combinations named by the user, unseen ones included), written as predictions.h5ad (obs 'condition', log1p values
// on the run's genes).
import type { Backend, TensorLike } from '../ops/backend.ts';
import { LCD } from '../lcd/model.ts';
import { envName } from '../data/dataset.ts';
import { writeScreenH5ad, RunFolder } from './run-folder.ts';
import { decodeLog1pSamples } from '../data/log1p-zeros.ts';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { WebGPUBackend } from '../ops/webgpu-backend.ts';
import type { Engine } from '../gpu/engine.ts';
import { writeFileAtomic } from '../node/atomic.ts';
import { redactedUrl } from './queue/connection.ts';
import type { SamplerCompose, SamplerKernel } from '../lcd/sampler.ts';
import { hasPrior, loadPrior } from '../measurement/io.ts';
import { folderStore } from '../node/folder-store.ts';
import type { FileStore } from '../io/file-store.ts';
import { decodeEach, type PredictionOutput } from '../measurement/decode.ts';
import { describeSampler } from '../lcd/sampler-settings.ts';
import type { SamplerIntegrator } from '../lcd/sampler.ts';
import { didYouMean } from '../core/near-matches.ts';
import { InputError } from '../core/errors.ts';
import { jobLog, samplingStage, stageProgress, type JobContext } from './job-context.ts';

export interface PredictOptions extends JobContext {
  run: string;
  stepsPerLevel?: number;
  lastLevel?: number;
  integrator?: SamplerIntegrator;
  stepScale?: number;
  /** Sampler kernels: 'auto' (measured on the adapter, remembered), 'layers' or 'fused'. */
  samplerKernel?: SamplerKernel;
  /** How sets of several targets are sampled: 'embedding' (summed embeddings, the default) or 'experts'. */
  compose?: SamplerCompose;
  output?: PredictionOutput;
  perturbations?: string[][];
  cells?: number;
  seed?: number;
  out?: string;
  force?: boolean;
  /** redis://…: sample the batches of perturbations on the workers serving this queue (lcd-webgpu worker). */
  queue?: string;
}

/** The sampler's settings a prediction passes on (the model's own where absent). */
type SamplerChoices = Pick<
  PredictOptions,
  'stepsPerLevel' | 'lastLevel' | 'integrator' | 'stepScale' | 'samplerKernel' | 'compose'
>;

/**
 * One batch of a queued `predict` (a 'predict-batch' job): the sampler's batch `batch` of the prediction's sets (as
 * `LCD.sampleMany` cuts them: LCD.setsPerBatch), decoded through the measurement model when the run has one, its
 * environments numbered from `first` in the decoder's streams. The cells go to `out`, float32, the sets one after
 * another: exactly the part of the local run's cells this batch is.
 */
export interface PredictBatch {
  run: string;
  /** The model the submitter read (its id): a worker refuses a run folder whose model has changed since. */
  modelId: string;
  sets: string[][];
  batch: number;
  first: number;
  cells: number;
  seed: number;
  sampler: SamplerChoices;
  output: PredictionOutput;
  out: string;
}

/** The batch's cells, sampled (and decoded) here: what a worker runs, and what the local run computes batch by batch. */
export async function runPredictBatch(engine: Engine, p: PredictBatch, ctx: JobContext): Promise<void> {
  const backend = new WebGPUBackend(engine);
  const folder = RunFolder.open(p.run, 'predict');
  if (folder.modelId() !== p.modelId)
    throw new InputError(
      `the model in ${p.run} is not the one the prediction was queued for (${p.modelId}); was it fitted again? Run predict again`,
    );
  const model = folderStore(folder.paths.model);
  const lcd = LCD.load(model, backend, folder.info.genes);
  try {
    const bar = stageProgress(ctx, 'sampling', samplingStage);
    let cells = await lcd.sampleBatch(p.sets, p.cells, p.batch, {
      seed: p.seed,
      ...samplerOptions(p.sampler),
      onProgress: bar.onProgress,
    });
    bar.done();
    if (hasPrior(model))
      cells = await decodeStates(engine, backend, model, cells, folder.info.genes.length, p.output, p.seed, p.first);
    const all = new Float32Array(cells.reduce((a, c) => a + c.length, 0));
    cells.reduce((at, c) => (all.set(c, at), at + c.length), 0);
    writeFileAtomic(p.out, new Uint8Array(all.buffer));
  } finally {
    lcd.dispose();
  }
}

const samplerOptions = (s: SamplerChoices) => ({
  stepsPerLevel: s.stepsPerLevel,
  lastLevel: s.lastLevel,
  integrator: s.integrator,
  stepScale: s.stepScale,
  kernel: s.samplerKernel,
  compose: s.compose,
});

/** Sampled states through the run's measurement model, environment `first + k` on chunk first + k of its stream. */
async function decodeStates<T extends TensorLike>(
  engine: Engine,
  backend: Backend<T>,
  model: FileStore,
  states: Float32Array[],
  d: number,
  output: PredictionOutput,
  seed: number,
  first = 0,
): Promise<Float32Array[]> {
  const prior = loadPrior(backend, model),
    logitPi = await prior.logits();
  try {
    return await decodeEach(engine, states, d, { unitScale: prior.unitScale, logitPi }, output, seed, first);
  } finally {
    prior.dispose();
  }
}

/** Every batch of the prediction as a job on the queue; the workers' cells read back in the local run's order. */
async function sampleOnQueue(
  o: PredictOptions & { queue: string },
  p: Omit<PredictBatch, 'sets' | 'batch' | 'first' | 'out'>,
  sets: readonly string[][],
  d: number,
  out: string,
): Promise<Float32Array[]> {
  const perBatch = LCD.setsPerBatch(p.cells),
    batches = Math.ceil(sets.length / perBatch);
  const parts = `${out}.parts`;
  rmSync(parts, { recursive: true, force: true });
  mkdirSync(parts, { recursive: true });
  const jobs = Array.from({ length: batches }, (_, c): PredictBatch => ({
    ...p,
    sets: sets.slice(c * perBatch, (c + 1) * perBatch),
    batch: c,
    first: c * perBatch,
    out: join(parts, `batch-${c}.f32`),
  }));
  jobLog(o)(`${batches} batch(es) of at most ${perBatch} perturbations, queued on ${redactedUrl(o.queue)}`);
  const { runOnQueue } = await import('./queue/submit.ts'); // BullMQ is loaded by queued runs only
  await runOnQueue(
    o.queue,
    jobs.map((j) => ({
      kind: 'predict-batch' as const,
      label: `perturbations ${j.first + 1}–${j.first + j.sets.length} of ${sets.length}`,
      payload: j,
    })),
    o,
  );
  const cells: Float32Array[] = [];
  for (const j of jobs) {
    const b = readFileSync(j.out),
      all = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    if (all.length !== j.sets.length * p.cells * d)
      throw new Error(`${j.out} holds ${all.length} values, not ${j.sets.length} × ${p.cells} cells × ${d} genes`);
    j.sets.forEach((_, k) => cells.push(all.slice(k * p.cells * d, (k + 1) * p.cells * d)));
  }
  rmSync(parts, { recursive: true, force: true });
  return cells;
}

export async function predictRun<T extends TensorLike>(
  backend: Backend<T>,
  o: PredictOptions,
): Promise<{ names: string[]; cells: Float32Array[] }> {
  const log = jobLog(o);
  const folder = RunFolder.open(o.run, 'predict'),
    run = folder.info;
  const out = o.out ?? folder.paths.predictions(o.output);
  if (existsSync(out) && !o.force)
    throw new InputError(`'${out}' exists; pass --force to overwrite or --out for another file`);
  const modelDir = folder.paths.model,
    output = o.output ?? 'normalized';
  const id = folder.modelId();
  if (!id)
    throw new InputError(
      `${o.run} holds no model yet (its fit has not finished); continue it with: lcd-webgpu fit --resume --out ${o.run}`,
    );
  const model = folderStore(modelDir);
  const lcd = LCD.load(model, backend, run.genes);
  const withPrior = hasPrior(model);
  if (!withPrior && output === 'counts')
    throw new InputError(
      `run '${o.run}' has no measurement model (its data were ${run.valuesIn === 'counts' ? 'fitted with --measurement none' : 'not counts'}), so it cannot predict counts; use --output normalized`,
    );
  if (withPrior && !o.engine) throw new Error('predictRun: decoding counts needs the engine (pass engine)');
  const sets = o.perturbations ?? run.split.test.map((n) => n.split('+'));
  if (sets.length === 0)
    throw new InputError(`run '${o.run}' has no test perturbations; name some with --perturbations A+B,C`);
  const known = new Set(lcd.targets),
    panel = new Set(lcd.genes);
  for (const s of sets)
    for (const t of s) {
      if (known.has(t)) continue;
      // An unseen gene of the panel is predicted from the mean embedding (spec §4.3); a name that is neither a trained
      // target nor a gene is almost always a typo, and its "prediction" would be the mean perturbation.
      if (!panel.has(t))
        throw new InputError(
          `predict: target '${t}' (in ${s.join('+')}) is neither a perturbation seen in training nor a gene of the panel${didYouMean(t, [...known, ...panel])}; check the name`,
        );
      log(`note: target '${t}' was never perturbed in training; its embedding is the mean of the trained ones`);
    }
  const n = o.cells ?? 200,
    seed = o.seed ?? 0,
    d = run.genes.length;
  const t0 = performance.now();
  // log1p data without a measurement model: the control is sampled with the sets (last, so the batch is the same
  // for --output normalized and latent) to calibrate where a sampled value reads as zero (data/log1p-zeros.ts)
  const hurdle = !withPrior && run.valuesIn !== 'latent';
  const all = hurdle ? [...sets, []] : sets;
  const sampler: SamplerChoices = {
    stepsPerLevel: o.stepsPerLevel,
    lastLevel: o.lastLevel,
    integrator: o.integrator,
    stepScale: o.stepScale,
    samplerKernel: o.samplerKernel,
    ...(o.compose && o.compose !== 'embedding' ? { compose: o.compose } : {}),
  };
  let cells: Float32Array[];
  if (o.queue) {
    cells = await sampleOnQueue(
      { ...o, queue: o.queue },
      { run: o.run, modelId: id, cells: n, seed, sampler, output },
      all,
      d,
      out,
    );
  } else {
    const bar = stageProgress(o, 'sampling', samplingStage);
    cells = await lcd.sampleMany(all, n, { seed, ...samplerOptions(sampler), onProgress: bar.onProgress });
    bar.done();
    for (const line of o.engine?.tuning.describe() ?? []) log(`kernel choice: ${line}`);
    if (withPrior) cells = await decodeStates(o.engine!, backend, model, cells, d, output, seed);
  }
  if (withPrior) log(`decoded the latent states through the measurement model (${output})`);
  const sampledControl = hurdle ? cells.pop()! : null;
  if (sampledControl && output === 'normalized') {
    const raw = cells;
    cells = decodeLog1pSamples(raw, sampledControl, n, (await folder.readData()).envs[0]!, run.genes.length);
    const share = (xs: Float32Array[], f: (v: number) => boolean) =>
      xs.reduce((a, x) => a + x.filter(f).length, 0) / xs.reduce((a, x) => a + x.length, 0);
    log(
      `restored zeros: ${(100 * share(raw, (v) => v < 0)).toFixed(1)} % of the sampled values were negative; ${(100 * share(cells, (v) => v === 0)).toFixed(1)} % are zeros after each gene's threshold, calibrated on the model's control (--output latent keeps the raw samples)`,
    );
  }
  const names = sets.map((s) => envName(s)),
    experts = o.compose === 'experts';
  log(
    `sampled ${sets.length} × ${n} cells in ${((performance.now() - t0) / 1e3).toFixed(1)} s (${describeSampler(lcd.samplerSettings(o))}${experts ? '; sets of several targets as a product of their singles over the control' : ''})`,
  );
  await writeScreenH5ad(
    out,
    run.genes,
    names.map((name, i) => ({ name, values: cells[i]!, cells: n })),
    {},
    {
      values: withPrior
        ? output === 'normalized'
          ? 'log1p'
          : output
        : run.valuesIn === 'latent' || output === 'latent'
          ? 'latent' // a latent screen's states, or a log1p run's raw samples
          : 'log1p',
      method: 'LCD',
      ...(experts ? { composition: 'product of experts' } : {}),
      model_id: id, // which model made these cells: evaluate and the report compare it with the run's model
    },
  );
  log(`wrote ${out}`);
  return { names, cells };
}
