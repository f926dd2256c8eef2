// Saved-model format (documented in the README): a folder with
//   config.json          { format, hyperparameters, genes, targets, standardization {mean, scale, constant?}, shape, step, losses }
//   weights.safetensors  F32 tensors named as ScoreNet PARAM_NAMES (checkpoints add adam.m.*, adam.v.*, and best.* or ema.* when kept)
// The files go through a FileStore (a folder in Node, memory in a page); each is written whole, weights first, so a
// config always has its weights.
import type { FileStore } from '../io/file-store.ts';
import { readJson } from '../io/file-store.ts';
import { encodeSafetensors, decodeSafetensors, assertFiniteTensors } from '../io/safetensors.ts';
import { PARAM_NAMES, paramShapes, N_LEVELS, type ParamName, type ScoreNetShape } from './score-net.ts';
import type { LcdHyperparameters } from './hyperparameters.ts';
import { InputError } from '../core/errors.ts';

/** The saved model's two files (their names, for callers that look into a model folder before loading it). */
export const MODEL_FILES = { config: 'config.json', weights: 'weights.safetensors' } as const;

export interface SavedModel {
  format: 'lcd-webgpu/1';
  hyperparameters: LcdHyperparameters;
  genes: string[];
  targets: string[];
  standardization: { mean: number[]; scale: number[]; constant?: number[] };
  shape: ScoreNetShape;
  step: number;
  losses: { step: number; loss: number }[];
  /** Early stopping (fit's validation hook): the score at each validation step and the step whose parameters these
   *  are (absent when the fit had no validation). */
  validation?: ValidationRecord;
  params: Record<ParamName, Float32Array>;
}

export interface ValidationRecord {
  scores: { step: number; score: number }[];
  bestStep: number;
}

export async function saveModel(
  store: FileStore,
  meta: Omit<SavedModel, 'params'>,
  params: Record<ParamName, Float32Array>,
  extra: Record<string, Float32Array> = {},
): Promise<void> {
  const shapes = paramShapes(meta.shape);
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const n of PARAM_NAMES) tensors[n] = { shape: shapes[n], data: params[n] };
  for (const [k, v] of Object.entries(extra)) tensors[k] = { shape: [v.length], data: v };
  store.write(MODEL_FILES.weights, encodeSafetensors(tensors, { format: meta.format }));
  store.write(MODEL_FILES.config, JSON.stringify(meta, null, 1));
}

/** A saved config's hyperparameters as the model was trained: a config written before `trainLevels` existed is of a
 *  model that trained every noise level. (Every reader of config.json goes through here: the loader and the report.) */
export function savedHyperparameters<H extends Partial<LcdHyperparameters>>(hp: H): H & { trainLevels: number } {
  return { ...hp, trainLevels: hp.trainLevels ?? N_LEVELS };
}

export function loadCheckpoint(store: FileStore): (SavedModel & { extra: Record<string, Float32Array> }) | null {
  const cfgPath = store.describe('config.json'),
    wPath = store.describe('weights.safetensors');
  const weights = store.read('weights.safetensors');
  const meta = weights ? readJson<Omit<SavedModel, 'params'>>(store, 'config.json') : undefined;
  if (!weights || !meta) return null;
  if (meta.format !== 'lcd-webgpu/1')
    throw new InputError(`${cfgPath}: unknown model format '${meta.format}' (expected lcd-webgpu/1)`);
  if (meta.hyperparameters) meta.hyperparameters = savedHyperparameters(meta.hyperparameters);
  const { tensors } = decodeSafetensors(weights, wPath);
  const shapes = paramShapes(meta.shape);
  const params = {} as Record<ParamName, Float32Array>;
  for (const n of PARAM_NAMES) {
    const t = tensors[n];
    if (!t) throw new InputError(`${wPath}: tensor '${n}' is missing`);
    if (t.shape.join() !== shapes[n].join())
      throw new InputError(`${wPath}: tensor '${n}' has shape [${t.shape}], expected [${shapes[n]}]`);
    params[n] = t.data;
  }
  const extra: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(tensors))
    if (k.startsWith('adam.') || k.startsWith('best.') || k.startsWith('ema.')) extra[k] = v.data;
  assertFiniteTensors(tensors, wPath);
  return { ...meta, params, extra };
}
