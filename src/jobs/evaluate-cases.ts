// The pieces of an evaluation both the local run and a queue worker need: the predictions read from their h5ad, the
// run's test cases, the shared scoring context and each case's methods (the predictions and the baselines), so that
// a test perturbation is scored the same wherever it is scored.
import type { Engine } from '../gpu/engine.ts';
import { readH5ad } from '../node/h5ad.ts';
import { envMean, type Screen } from '../data/dataset.ts';
import { additivePrediction, singleGeneShifts } from '../baselines/additive.ts';
import { controlPrediction, pooledPerturbedPrediction } from '../baselines/simple.ts';
import type { Peper } from '../baselines/peper.ts';
import type { GpuTensor } from '../gpu/tensor.ts';
import { makeContext, type EvalContext, type TestCase } from '../metrics/evaluate.ts';
import type { Cells } from '../metrics/expression.ts';
import { InputError } from '../core/errors.ts';
import type { RunInfo } from './run-folder.ts';

/** Predicted cells per perturbation name, and the id of the model that sampled them (when predict recorded it). */
export type Predictions = Map<string, Cells> & { modelId?: string };

/** Predicted cells per perturbation name from an h5ad written by predict (obs 'condition'). */
export async function readPredictions(path: string, genes: string[]): Promise<Predictions> {
  const ad = await readH5ad(path);
  if (ad.varNames.join() !== genes.join())
    throw new InputError(
      `${path}: gene panel differs from the run's (${ad.nVars} vs ${genes.length} genes); predict with the same run, or score it with evaluate --truth <data.h5ad> --predictions ${path} (genes matched by name)`,
    );
  const cond = ad.obs['condition'];
  if (!cond)
    throw new InputError(`${path}: obs has no 'condition' column (available: ${Object.keys(ad.obs).join(', ')})`);
  const d = genes.length,
    rows = new Map<string, number[]>();
  cond.forEach((c, i) => {
    const r = rows.get(c);
    if (r) r.push(i);
    else rows.set(c, [i]);
  });
  const out: Predictions = new Map(
    [...rows].map(([name, idx]) => {
      const v = new Float32Array(idx.length * d);
      idx.forEach((r, k) => v.set(ad.X.subarray(r * d, (r + 1) * d), k * d));
      return [name, { values: v, n: idx.length }];
    }),
  );
  if (ad.meta['model_id']) out.modelId = ad.meta['model_id'];
  return out;
}

/** The evaluation's shared side: the training control, the training perturbations' means, the HVG ranks. */
export function scoringContext(engine: Engine, train: Screen, hvgRank: number[] | undefined): EvalContext {
  const ctrl = train.envs[0]!,
    d = train.genes.length;
  return makeContext(
    { values: ctrl.values, n: ctrl.cells },
    train.envs.slice(1).map((e) => envMean(e, d)),
    d,
    { hvgRank, engine, log1p: train.kind !== 'latent' },
  );
}

/** Each test case's methods: the predictions (when given) and the baselines, learning from `train`. */
export function methodsOf(
  train: Screen,
  predicted: Map<string, Cells> | null,
  predictedName: string,
  baselines: string[],
  seed: number,
  peper: Peper<GpuTensor> | null,
): (t: TestCase) => Promise<[string, Cells][]> {
  const ctrl = train.envs[0]!,
    shifts = singleGeneShifts(train);
  return async (t) => {
    const methods: [string, Cells][] = [];
    if (predicted) methods.push([predictedName, predicted.get(t.name)!]);
    for (const b of baselines) {
      if (b === 'control') methods.push([b, { values: controlPrediction(train), n: ctrl.cells }]);
      else if (b === 'perturbed')
        methods.push([b, pooledPerturbedPrediction(train, predicted?.get(t.name)?.n ?? t.truth.n, seed)]);
      else if (b === 'additive')
        methods.push([b, { values: additivePrediction(train, t.targets, shifts), n: ctrl.cells }]);
      else methods.push([b, { values: await peper!.predict(train, t.targets), n: ctrl.cells }]);
    }
    return methods;
  };
}

/** A run's test cases by name: true cells, targets and marker genes from the run folder's data and run.json. */
export function runTestCases(run: RunInfo, screen: Screen, names: readonly string[]): TestCase[] {
  const byName = new Map(screen.envs.map((e) => [e.name, e]));
  const geneIndex = new Map(run.genes.map((g, i) => [g, i]));
  return names.map((name) => {
    const env = byName.get(name);
    if (!env) throw new InputError(`the run's data hold no perturbation '${name}'`);
    return {
      name,
      targets: env.targets,
      targetGenes: env.targets.map((t) => geneIndex.get(t)!).filter((g) => g !== undefined),
      truth: { values: env.values, n: env.cells },
      markers: (run.markers[name] ?? []).map((g) => geneIndex.get(g)!).filter((g) => g !== undefined),
    };
  });
}
