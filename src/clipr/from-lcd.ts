// CLIPR for a trained LCD: the query set is the control plus every in-panel gene perturbed in training (as a
// single-gene query; targets outside the gene panel cannot be linearised and are skipped). Two readings share the
// fixed points: 'response' (the default; responses.ts: effects read from the fixed points alone, direct effects when
// the linear response model explains held-out responses) and 'drift' (the reference's: the network's drift at an
// anchor state and one noise level, solved against the fixed points). The response reading takes each environment's
// state as the mean of cells sampled from the model ('means'), not the probability flow's fixed point from z = 0,
// which is one mode of the learned law: which mode it lands in moved with the training budget on the gene-network
// screens (OVO-AUROC 0.945 → 0.846 from 4,000 to 8,000 steps on one seed, where the sample means gave 0.944 → 0.951).
// By default ('auto') it inverts the model's linear response instead when the means' responses are not linear in each
// other (readResponses below), so that nonlinear screens get direct effects too.
import type { LCD } from '../lcd/model.ts';
import type { TensorLike } from '../ops/backend.ts';
import { LcdDriftModel, type CliprAnchor } from './drift-models.ts';
import { clipr, cliprFromPoints, type CliprResult } from './clipr.ts';
import type { ResponseReadingOptions, ResponseReadingResult, ResponseStates } from './responses.ts';
import { dataShiftGate, DATA_GATE_T, type DataShiftGate } from './data-gate.ts';
import type { Screen } from '../data/dataset.ts';
import { DEFAULT_DRIFT_LEVEL, CLIPR_FLOW_STEPS_PER_LEVEL, CLIPR_RESPONSE_CELLS } from '../lcd/sampler-settings.ts';
import { Rng } from '../reference/rng.ts';
import { randomStream } from '../core/random-streams.ts';
import { InputError } from '../core/errors.ts';

/** How CLIPR reads the trained model (see the file comment); 'response' is the default. */
export type CliprReadingKind = 'response' | 'drift';
/** Where the response reading takes each environment's state: the means of sampled cells, the flow's fixed
 *  points, the model's linear response ('linear': see `linearResponseStates`), or 'auto' (the default): the means
 *  when their responses are linear in each other (held-out R² ≥ DIRECT_MIN_R2, e.g. linear screens), else the
 *  linear response, so that a nonlinear screen gets direct effects instead of the model's differential expression. */
export type CliprPoints = 'auto' | 'means' | 'flow' | 'linear';
/** The embedding scale t of the linear-response states: small enough that the model's responses are linear in t
 *  (measured on a trained gene-network model: the responses per unit t at t = 0.1, 0.25 and 0.5 gave the same
 *  readings to 0.006 OVO-AUROC), large enough that f32 sampling resolves them. */
export const LINEAR_RESPONSE_SCALE = 0.25;

export interface CliprLcdOptions {
  reading?: CliprReadingKind;
  /** Response reading: force direct or total effects instead of choosing by the held-out R² criterion. */
  effects?: ResponseReadingOptions['effects'];
  /** Response reading: each environment's state ('auto', the default: see CliprPoints), the mean of sampled cells
   *  ('means'), the flow's fixed point ('flow', spec §6.1's) or the model's linear response ('linear'). */
  points?: CliprPoints;
  /** Response reading with 'means' or 'linear': cells per environment and the sampler's seed. */
  cells?: number;
  /** Response reading with 'linear': the embedding scale t (default LINEAR_RESPONSE_SCALE). */
  responseScale?: number;
  seed?: number;
  /** Drift reading: the Tikhonov λ of the solve. */
  lambda?: number;
  stepsPerLevel?: number;
  /** Noise level of the drift evaluation. Default 19 (σ ≈ 0.11); the reference reads level 29 (σ = 0.01), where an
   *  error in the network output g is amplified 1/σ = 100× at the origin, far from the data. Measured on linear ER
   *  screens (scripts/clipr-diagnose.ts, 9 trained models, d = 30 and 100): OVO-AUROC 0.65–0.77 at level 29,
   *  0.75–0.82 at level 22, 0.76–0.83 at level 19 (best or within 0.05 of best in every run), lower again at 16. */
  driftLevel?: number;
  /** Where the drifts are evaluated: 'origin' (the reference) or 'control' (the control fixed point). */
  anchor?: CliprAnchor;
  /** Progress of the probability flow or the sampler (levels done, ETA). */
  onFlowProgress?: (p: { done: number; total: number; etaS: number }) => void;
  /** The cells the model was fitted on (a run's data, as the model saw them): the linear response's direct effects
   *  are then gated by the data's shifts (data-gate.ts). Without data the reading is not gated. */
  data?: Screen;
  /** The data gate's t0 (default DATA_GATE_T); 0 turns the gate off. */
  dataGate?: number;
}

/** The drift level cliprFromLcd reads by default (see `driftLevel`); the reference's is 29. */
export { DEFAULT_DRIFT_LEVEL };

export function cliprQueryGenes(lcd: { genes: readonly string[]; targets: readonly string[] }): {
  genes: number[];
  skipped: string[];
} {
  const panel = new Map(lcd.genes.map((g, i) => [g, i]));
  const genes: number[] = [],
    skipped: string[] = [];
  for (const t of lcd.targets) {
    const i = panel.get(t);
    if (i === undefined) skipped.push(t);
    else genes.push(i);
  }
  return { genes: genes.sort((a, b) => a - b), skipped };
}

export async function cliprFromLcd<T extends TensorLike>(
  lcd: LCD<T>,
  o: CliprLcdOptions = {},
): Promise<CliprResult & { skipped: string[]; reading?: ResponseReadingResult }> {
  const { genes, skipped } = cliprQueryGenes(lcd as unknown as LCD<TensorLike>);
  const model = new LcdDriftModel(
    lcd,
    o.stepsPerLevel ?? CLIPR_FLOW_STEPS_PER_LEVEL,
    o.driftLevel ?? DEFAULT_DRIFT_LEVEL,
    o.anchor,
  );
  model.onFlowProgress = o.onFlowProgress;
  if ((o.reading ?? 'response') === 'response') {
    const kind = o.points ?? 'auto',
      d = lcd.genes.length;
    if (kind === 'flow')
      return {
        ...withStates(cliprFromPoints(await model.fixedPoints(genes), genes, d, { effects: o.effects }), 'flow'),
        skipped,
      };
    return {
      ...(await readResponses((k) => sampledStates(lcd, genes, k, o), kind, genes, lcd.genes, o)),
      skipped,
    };
  }
  const res = await clipr(model, genes, { lambda: o.lambda ?? 1e-3 });
  return { ...res, skipped };
}

/** The reading's result with the states it inverted named. */
const withStates = <R extends { reading: ResponseReadingResult }>(r: R, states: ResponseStates): R => ({
  ...r,
  reading: { ...r.reading, states },
});

/** Whether 'auto' replaces the means' reading with the linear response's: the criterion (not an option) chose total
 *  effects. With fewer than three perturbed genes the criterion is undefined (no held-out perturbation): nothing to
 *  switch on. */
export const readsLinearInstead = (means: Pick<ResponseReadingResult, 'effects' | 'chosenBy' | 'heldOutR2'>) =>
  means.effects === 'total' && means.chosenBy === 'criterion' && Number.isFinite(means.heldOutR2);

/**
 * The response reading of sampled states ('means', 'linear', or 'auto': see CliprPoints). With 'auto' the means are
 * read first; when their held-out R² fails the criterion (and no effects were forced) the linear response is read
 * as direct effects instead, and the reading keeps the means' R² as the criterion that chose it (`meansR2`).
 * Measured with `clipr-benchmark` (README "CLIPR"): on the gene-network and cascade screens the linear response's
 * direct effects were above the means' total effects in OVO-AUROC on average and called a quarter to a third of
 * their indirect pairs.
 */
async function readResponses(
  states: (kind: 'means' | 'linear') => Promise<Float64Array[]>,
  kind: 'auto' | 'means' | 'linear',
  genes: readonly number[],
  modelGenes: readonly string[],
  o: CliprLcdOptions,
): Promise<CliprResult & { reading: ResponseReadingResult }> {
  const d = modelGenes.length;
  // the gate is measured on the linear response only, and computed only when that is read
  const gate = (k: 'means' | 'linear') => (k === 'linear' ? gateFor(modelGenes, genes, o) : undefined);
  const first = kind === 'auto' ? 'means' : kind;
  const res = withStates(
    cliprFromPoints(await states(first), genes, d, { effects: effectsFor(first, o), gate: gate(first) }),
    first,
  );
  if (kind !== 'auto' || !readsLinearInstead(res.reading)) return res;
  const lin = withStates(
    cliprFromPoints(await states('linear'), genes, d, { effects: 'direct', gate: gate('linear') }),
    'linear',
  );
  return { ...lin, reading: { ...lin.reading, chosenBy: 'criterion', meansR2: res.reading.heldOutR2 } };
}

/** The data gate of a reading (none without data, or with dataGate 0). */
function gateFor(
  modelGenes: readonly string[],
  genes: readonly number[],
  o: CliprLcdOptions,
): DataShiftGate | undefined {
  const t0 = o.dataGate ?? DATA_GATE_T;
  if (!(t0 >= 0)) throw new InputError(`CLIPR: the data gate's t0 must be ≥ 0 (0: off), got ${t0}`);
  return o.data && t0 > 0 ? dataShiftGate(o.data, modelGenes, genes, t0) : undefined;
}

/** The linear response is linear by construction (a derivative), so its reading inverts it unless total effects
 *  are asked for: the held-out R² criterion measures how well held-out perturbations are predicted, which stays low
 *  on sparse networks even for exact linear responses (on exact steady states at t = 0.01, seeds 0–2: 0.52–0.68 on
 *  the gene-network family, 0.56–0.93 on the cascade family), not whether the responses are linear. */
const effectsFor = (kind: 'means' | 'flow' | 'linear', o: CliprLcdOptions) =>
  kind === 'linear' && (o.effects ?? 'auto') === 'auto' ? 'direct' : o.effects;

/** The response reading's states from sampled cells: each environment's mean ('means') or the linear response
 *  ('linear'), under o.seed. */
async function sampledStates<T extends TensorLike>(
  lcd: LCD<T>,
  genes: readonly number[],
  kind: 'means' | 'linear',
  o: CliprLcdOptions,
): Promise<Float64Array[]> {
  return kind === 'linear'
    ? linearResponseStates(lcd, genes, o)
    : lcd.sampleMeans([[], ...genes.map((j) => [lcd.genes[j]!])], o.cells ?? CLIPR_RESPONSE_CELLS, {
        seed: o.seed ?? 0,
        onProgress: o.onFlowProgress,
      });
}

/**
 * The response reading of an ensemble: K fits of the same data (the same genes and training targets, e.g. other
 * `--seed`s). Each model's states (sampled means or linear responses) are drawn with its own seed (model 0 with
 * o.seed, model k with one drawn from stream 'clipr.ensemble' at k), averaged over the models, and read once. The
 * reading of one fit moves with its fit seed (the linear-direct reading of one cascade screen read 0.922, 0.939 and
 * 0.955 OVO-AUROC for fit seeds 0–2); the average of their states is what the fits agree on.
 */
export async function cliprFromEnsemble<T extends TensorLike>(
  lcds: readonly LCD<T>[],
  o: CliprLcdOptions = {},
): Promise<CliprResult & { skipped: string[]; reading?: ResponseReadingResult }> {
  const lead = lcds[0];
  if (!lead) throw new InputError('CLIPR: an ensemble needs at least one model');
  if (lcds.length === 1) return cliprFromLcd(lead, o);
  const kind = o.points ?? 'auto';
  if ((o.reading ?? 'response') !== 'response' || kind === 'flow')
    throw new InputError(
      `an ensemble averages the models' sampled states (--points auto, means or linear), not ${kind === 'flow' ? 'the flow fixed points' : 'the drift reading'}; drop --ensemble or read with --reading response --points auto|means|linear`,
    );
  for (const [k, m] of lcds.entries()) {
    if (m.genes.join('\n') !== lead.genes.join('\n'))
      throw new InputError(
        `ensemble model ${k + 1} models other genes than the first (${m.genes.length} against ${lead.genes.length}); fit every model on the same preprocessed data`,
      );
    if (m.targets.join('\n') !== lead.targets.join('\n'))
      throw new InputError(
        `ensemble model ${k + 1} trained on other perturbation targets than the first; fit every model on the same data and split`,
      );
  }
  const { genes, skipped } = cliprQueryGenes(lead as unknown as LCD<TensorLike>);
  const seed = o.seed ?? 0;
  const averaged = async (k: 'means' | 'linear') => {
    const sum = (await sampledStates(lead, genes, k, o)).map((x) => Float64Array.from(x));
    for (let m = 1; m < lcds.length; m++) {
      const own = new Rng(randomStream(seed, 'clipr.ensemble', m)).int(2 ** 31);
      const states = await sampledStates(lcds[m]!, genes, k, { ...o, seed: own });
      states.forEach((x, e) => x.forEach((v, i) => (sum[e]![i]! += v)));
    }
    return sum.map((x) => x.map((v) => v / lcds.length));
  };
  return {
    ...(await readResponses(averaged, kind, genes, lead.genes, o)),
    skipped,
  };
}

/**
 * The model's linear response to each perturbation, as states: the control's mean x₀ and x₀ + (x_t − x₀)/t for each
 * query gene, where x_t is the mean of cells sampled with the gene's embedding scaled by t (ē = t·E_j, a weaker
 * perturbation than any in the screen) under the same seed and noise as the control (common random numbers, so the
 * small difference is not buried in Monte-Carlo noise). At small t the response is the derivative of the model's
 * mean at the control state, where CLIPR's linear model A Δ_j ≈ −γ_j e_j holds to first order even when the full
 * knock-down saturates.
 *
 * By default the states are in standardised units (each gene divided by its scale in the training data), so the
 * ridge of the response reading treats every gene's response alike instead of shrinking the coefficients of
 * low-variance genes more: on seven trained gene-network and cascade models (five fits of 4,000 steps, two of 8,000)
 * the direct reading's OVO-AUROC rose by 0.001–0.022 (mean 0.013) over data units. Its effects are then in standard deviations
 * of the target per standard deviation of the source.
 */
export async function linearResponseStates<T extends TensorLike>(
  lcd: LCD<T>,
  genes: readonly number[],
  o: Pick<CliprLcdOptions, 'cells' | 'seed' | 'responseScale' | 'onFlowProgress'> & {
    /** 'standardized' (default): every gene divided by its training scale (LCD.geneScales), the coordinates the
     *  network works in; 'state': data units. */
    units?: 'standardized' | 'state';
  } = {},
): Promise<Float64Array[]> {
  const t = o.responseScale ?? LINEAR_RESPONSE_SCALE;
  if (!(t > 0 && t <= 1)) throw new RangeError(`CLIPR: the response scale must be in (0, 1], got ${t}`);
  const weights = [
    new Float64Array(lcd.targets.length),
    ...genes.map((j) => lcd.embeddingWeights([lcd.genes[j]!]).map((w) => w * t)),
  ];
  const means = await lcd.coupledMeans(weights, o.cells ?? CLIPR_RESPONSE_CELLS, {
    seed: o.seed ?? 0,
    onProgress: o.onFlowProgress,
  });
  const x0 = means[0]!,
    scale = o.units === 'state' ? null : lcd.geneScales;
  const states = [x0, ...means.slice(1).map((x) => x.map((v, i) => x0[i]! + (v - x0[i]!) / t))];
  return scale ? states.map((x) => x.map((v, i) => v / scale[i]!)) : states;
}
