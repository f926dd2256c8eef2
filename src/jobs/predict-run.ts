// `predict`: cells for target sets from a fitted run's model (the split's test perturbations by default, or any
// combinations named by the user, unseen ones included), written as predictions.h5ad (obs 'condition', log1p values
// on the run's genes).
import type { Backend, TensorLike } from '../ops/backend.ts';
import { LCD } from '../lcd/model.ts';
import { envName } from '../data/dataset.ts';
import { writeScreenH5ad, RunFolder } from './run-folder.ts';
import { decodeLog1pSamples } from '../data/log1p-zeros.ts';
import { existsSync } from 'node:fs';
import type { SamplerKernel } from '../lcd/sampler.ts';
import { hasPrior, loadPrior } from '../measurement/io.ts';
import { folderStore } from '../node/folder-store.ts';
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
  output?: PredictionOutput;
  perturbations?: string[][];
  cells?: number;
  seed?: number;
  out?: string;
  force?: boolean;
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
  const n = o.cells ?? 200;
  const t0 = performance.now();
  const bar = stageProgress(o, 'sampling', samplingStage);
  // log1p data without a measurement model: the control is sampled with the sets (last, so the batch is the same
  // for --output normalized and latent) to calibrate where a sampled value reads as zero (data/log1p-zeros.ts)
  const hurdle = !withPrior && run.valuesIn !== 'latent';
  let cells = await lcd.sampleMany(hurdle ? [...sets, []] : sets, n, {
    seed: o.seed ?? 0,
    stepsPerLevel: o.stepsPerLevel,
    lastLevel: o.lastLevel,
    integrator: o.integrator,
    stepScale: o.stepScale,
    kernel: o.samplerKernel,
    onProgress: bar.onProgress,
  });
  bar.done();
  for (const line of o.engine?.tuning.describe() ?? []) log(`kernel choice: ${line}`);
  if (withPrior) {
    const prior = loadPrior(backend, model),
      logitPi = await prior.logits();
    cells = await decodeEach(
      o.engine!,
      cells,
      run.genes.length,
      { unitScale: prior.unitScale, logitPi },
      output,
      o.seed ?? 0,
    );
    prior.dispose();
    log(`decoded the latent states through the measurement model (${output})`);
  }
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
  const names = sets.map((s) => envName(s));
  log(
    `sampled ${sets.length} × ${n} cells in ${((performance.now() - t0) / 1e3).toFixed(1)} s (${describeSampler(lcd.samplerSettings(o))})`,
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
      model_id: id, // which model made these cells: evaluate and the report compare it with the run's model
    },
  );
  log(`wrote ${out}`);
  return { names, cells };
}
