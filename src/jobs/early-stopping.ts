// Early stopping on held-out training combinations (`fit --early-stopping k`). LCD's DSM loss keeps falling while its
// predictions of unseen combinations get worse: on the shared Norman file (seen2 doubles, three fit seeds) the mean
// energy distance of the test doubles was lower at 2,000 steps than at 4,000, and lower at 4,000 than at 8,000. So
// fit can hold k of the training combinations out of both stages, predict them every `every` steps as `predict`
// would (sampled, decoded through the measurement model when there is one), score them against their observed cells,
// and keep the parameters of the best score (LCD.fit's validation hook). The held-out combinations are recorded as
// the split's validation conditions; they train nothing and are not tested.
import type { Engine } from '../gpu/engine.ts';
import type { TensorLike } from '../ops/backend.ts';
import type { Screen } from '../data/dataset.ts';
import type { Split } from '../data/splits.ts';
import type { LCD } from '../lcd/model.ts';
import { decodeEach, type MeasurementDecoder } from '../measurement/decode.ts';
import { energyDistance } from '../metrics/distribution.ts';
import { Rng } from '../reference/rng.ts';
import { randomStream } from '../core/random-streams.ts';
import { InputError } from '../core/errors.ts';

export interface EarlyStopping {
  /** Training combinations held out for validation (the split's own validation conditions when it has some). */
  doubles: number;
  /** Steps between validation scores. */
  every: number;
}
export const VALIDATION_EVERY = 250;
/** Cells sampled per validation combination. */
const VALIDATION_CELLS = 200;

/** The split with k of its training combinations (perturbations of two or more targets) moved to validation, drawn
 *  from stream 'split.validation'; a split that names validation conditions keeps them. */
export function holdOutValidation(split: Split, screen: Screen, k: number, seed: number): Split {
  if (split.val?.length) return split;
  const targets = new Map(screen.envs.map((e) => [e.name, e.targets.length]));
  const combos = split.train.filter((n) => (targets.get(n) ?? 0) >= 2);
  if (combos.length < k + 1)
    throw new InputError(
      combos.length < 2
        ? `--early-stopping ${k}: the split trains on ${combos.length ? 'one combination' : 'no combination'} of perturbations, so none can be held out for validation (one must stay to learn how perturbations combine); drop --early-stopping, or name validation conditions in a --split-file`
        : `--early-stopping ${k}: the split trains on ${combos.length} combinations, and at least one must stay in training to learn how perturbations combine; use --early-stopping ${combos.length - 1} or fewer`,
    );
  const order = new Rng(randomStream(seed, 'split.validation')).permutation(combos.length);
  const val = order.slice(0, k).map((i) => combos[i]!);
  return { ...split, train: split.train.filter((n) => !val.includes(n)), val };
}

/** The validation score of a model: the mean energy distance between its predicted cells and the observed cells of
 *  the validation combinations, in the space `evaluate` scores (log1p CP10k after the measurement model). */
export function validationScore<T extends TensorLike>(o: {
  /** The run's prepared screen (log1p, or latent values as they are). */
  screen: Screen;
  names: readonly string[];
  seed: number;
  /** The measurement model, when LCD learns its states: predictions are decoded as `predict` decodes them. */
  decodeWith?: { engine: Engine } & MeasurementDecoder;
}): (lcd: LCD<T>) => Promise<number> {
  const d = o.screen.genes.length;
  const envs = o.names.map((n) => o.screen.envs.find((e) => e.name === n)!);
  return async (lcd) => {
    const cells = await lcd.sampleMany(
      envs.map((e) => e.targets),
      VALIDATION_CELLS,
      { seed: o.seed },
    );
    const x = o.decodeWith
      ? await decodeEach(o.decodeWith.engine, cells, d, o.decodeWith, 'normalized', o.seed)
      : cells;
    let total = 0;
    for (const [k, env] of envs.entries())
      total += energyDistance({ values: x[k]!, n: VALIDATION_CELLS }, { values: env.values, n: env.cells }, d);
    return total / envs.length;
  };
}
