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
import { Rng } from '../reference/rng.ts';
import { randomStream } from '../core/random-streams.ts';
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
  /** Other run folders whose models sample with this run's: each of the K models gives ⌊cells/K⌋ (the first ones one
   *  more) of every set's cells, so the file holds an equal mixture of their predicted laws (a deep ensemble). */
  ensemble?: string[];
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
  const prior = loadPrior(backend, model);
  try {
    return await decodeEach(engine, states, d, await prior.decoder(), output, seed, first);
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
  const folder = RunFolder.open(o.run, 'predict'),
    run = folder.info;
  const out = o.out ?? folder.paths.predictions(o.output);
  if (existsSync(out) && !o.force)
    throw new InputError(`'${out}' exists; pass --force to overwrite or --out for another file`);
  const members = [openMember(backend, o.run, run.genes, folder)];
  try {
    for (const path of o.ensemble ?? []) members.push(openMember(backend, path, run.genes));
    return await predictWith(backend, o, folder, members, out);
  } finally {
    members.forEach((m) => m.lcd.dispose());
  }
}

/** A model that samples: its run folder, its id, the model itself and whether it decodes through a measurement model. */
interface Member<T extends TensorLike> {
  path: string;
  id: string;
  folder: RunFolder;
  model: FileStore;
  lcd: LCD<T>;
  withPrior: boolean;
}

/** Run `path`'s model, checked to speak the lead run's genes (an ensemble member's run is opened here). */
function openMember<T extends TensorLike>(
  backend: Backend<T>,
  path: string,
  genes: readonly string[],
  opened?: RunFolder,
): Member<T> {
  const folder = opened ?? RunFolder.open(path, 'predict --ensemble');
  const id = folder.modelId();
  if (!id)
    throw new InputError(
      `${path} holds no model yet (its fit has not finished); continue it with: lcd-webgpu fit --resume --out ${path}`,
    );
  const own = folder.info.genes;
  if (own.length !== genes.length || own.some((g, i) => g !== genes[i]))
    throw new InputError(
      `--ensemble: run '${path}' models other genes than the run it joins (${own.length} against ${genes.length}${own.length === genes.length ? ', another order' : ''}); an ensemble's runs must be fitted on the same preprocessed data (fit with the same --data and gene options)`,
    );
  const model = folderStore(folder.paths.model);
  return { path, id, folder, model, lcd: LCD.load(model, backend, [...genes]), withPrior: hasPrior(model) };
}

async function predictWith<T extends TensorLike>(
  backend: Backend<T>,
  o: PredictOptions,
  folder: RunFolder,
  members: Member<T>[],
  out: string,
): Promise<{ names: string[]; cells: Float32Array[] }> {
  const log = jobLog(o),
    run = folder.info,
    output = o.output ?? 'normalized';
  const { lcd, model, withPrior, id } = members[0]!;
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
      if (known.has(t)) {
        const without = members.find((m) => !m.lcd.targets.includes(t));
        if (without)
          throw new InputError(
            `--ensemble: run '${without.path}' never trained on '${t}' (in ${s.join('+')}), which '${o.run}' did; an ensemble's runs must share their training perturbations`,
          );
        continue;
      }
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
    d = run.genes.length,
    K = members.length;
  if (K > 1) {
    if (o.queue) throw new InputError('--ensemble samples here; drop --queue (or predict each run on the queue)');
    if (n < K) throw new InputError(`--cells ${n} is fewer than the ensemble's ${K} models; give each at least one`);
    const odd = members.find((m) => m.withPrior !== withPrior || m.folder.info.valuesIn !== run.valuesIn);
    if (odd)
      throw new InputError(
        `--ensemble: run '${odd.path}' ${odd.withPrior ? 'has' : 'has no'} measurement model and holds ${odd.folder.info.valuesIn} values, unlike '${o.run}'; an ensemble's runs must model the same values the same way`,
      );
  }
  const t0 = performance.now();
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
    // log1p data without a measurement model: the control is sampled with the sets (see memberCells)
    const hurdle = !withPrior && run.valuesIn !== 'latent';
    cells = await sampleOnQueue(
      { ...o, queue: o.queue },
      { run: o.run, modelId: id, cells: n, seed, sampler, output },
      hurdle ? [...sets, []] : sets,
      d,
      out,
    );
    if (withPrior) log(`decoded the latent states through the measurement model (${output})`);
    if (hurdle) cells = await restoreZeros(cells, n, folder, output, log);
  } else {
    const parts: Float32Array[][] = [];
    for (const [k, m] of members.entries()) {
      const nk = Math.floor(n / K) + (k < n % K ? 1 : 0);
      if (K > 1) log(`ensemble model ${k + 1} of ${K} (${m.path}): ${nk} cells per perturbation`);
      // Each model its own noise: with one seed the models' cells would be coupled draw for draw (common random
      // numbers), and a mixture of near-copies is less spread than the law it stands for (energy distance 0.14–0.16
      // against 0.10 on Norman with a shared seed).
      const own = k === 0 ? seed : new Rng(randomStream(seed, 'predict.ensemble', k)).int(2 ** 31);
      parts.push(await memberCells(backend, o, m, sets, nk, own, sampler, output, log));
    }
    // each set's cells: the members' cells one after another (one member: its cells as they are)
    cells = sets.map((_, i) => {
      if (K === 1) return parts[0]![i]!;
      const all = new Float32Array(n * d);
      parts.reduce((at, p) => (all.set(p[i]!, at), at + p[i]!.length), 0);
      return all;
    });
  }
  const names = sets.map((s) => envName(s)),
    experts = o.compose === 'experts';
  log(
    `sampled ${sets.length} × ${n} cells in ${((performance.now() - t0) / 1e3).toFixed(1)} s (${describeSampler(lcd.samplerSettings(o))}${experts ? '; sets of several targets as a product of their singles over the control' : ''}${K > 1 ? `; an equal mixture of ${K} models` : ''})`,
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
      ...(K > 1 ? { ensemble: members.map((m) => `${m.path}:${m.id}`).join(',') } : {}),
    },
  );
  log(`wrote ${out}`);
  return { names, cells };
}

/** One model's n cells of every set, here: sampled, decoded through its measurement model, and for log1p data
 *  without one its zeros restored (the control is sampled with the sets, last, so the batch is the same for
 *  --output normalized and latent, to calibrate where a sampled value reads as zero: data/log1p-zeros.ts). */
async function memberCells<T extends TensorLike>(
  backend: Backend<T>,
  o: PredictOptions,
  m: Member<T>,
  sets: string[][],
  n: number,
  seed: number,
  sampler: SamplerChoices,
  output: PredictionOutput,
  log: (line: string) => void,
): Promise<Float32Array[]> {
  const d = m.folder.info.genes.length,
    hurdle = !m.withPrior && m.folder.info.valuesIn !== 'latent';
  const bar = stageProgress(o, 'sampling', samplingStage);
  let cells = await m.lcd.sampleMany(hurdle ? [...sets, []] : sets, n, {
    seed,
    ...samplerOptions(sampler),
    onProgress: bar.onProgress,
  });
  bar.done();
  for (const line of o.engine?.tuning.describe() ?? []) log(`kernel choice: ${line}`);
  if (m.withPrior) {
    cells = await decodeStates(o.engine!, backend, m.model, cells, d, output, seed);
    log(`decoded the latent states through the measurement model (${output})`);
  }
  return hurdle ? restoreZeros(cells, n, m.folder, output, log) : cells;
}

/** log1p samples of a run without a measurement model, the sampled control last: each gene's zeros restored by the
 *  hurdle calibrated on that control (normalized output), the control dropped. */
async function restoreZeros(
  cells: Float32Array[],
  n: number,
  folder: RunFolder,
  output: PredictionOutput,
  log: (line: string) => void,
): Promise<Float32Array[]> {
  const sampledControl = cells.pop()!;
  if (output !== 'normalized') return cells;
  const raw = cells;
  const restored = decodeLog1pSamples(
    raw,
    sampledControl,
    n,
    (await folder.readData()).envs[0]!,
    folder.info.genes.length,
  );
  const share = (xs: Float32Array[], f: (v: number) => boolean) =>
    xs.reduce((a, x) => a + x.filter(f).length, 0) / xs.reduce((a, x) => a + x.length, 0);
  log(
    `restored zeros: ${(100 * share(raw, (v) => v < 0)).toFixed(1)} % of the sampled values were negative; ${(100 * share(restored, (v) => v === 0)).toFixed(1)} % are zeros after each gene's threshold, calibrated on the model's control (--output latent keeps the raw samples)`,
  );
  return restored;
}
