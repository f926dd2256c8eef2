// The measurement model inside a saved model folder (beside LCD's config.json and weights.safetensors):
//   measurement.json          { format, options, shape, envNames, unitScale, losses }
//   measurement.safetensors   theta [1×d], zero_slope [1×1] or [1×d] (options.zeroInflation 'state' or 'state-gene'
//                             only) and gen.<env>.<k>
//                             for every generator tensor
// A model saved after both stages therefore holds both; the files go through a FileStore (see lcd/io.ts).
import type { Backend, TensorLike } from '../ops/backend.ts';
import type { FileStore } from '../io/file-store.ts';
import { readJson } from '../io/file-store.ts';
import { encodeSafetensors, decodeSafetensors, assertFiniteTensors } from '../io/safetensors.ts';
import { CountPrior, withPriorChoices, type PriorOptions } from './prior.ts';
import { generatorLayers, type GeneratorShape } from './generator.ts';
import { InputError } from '../core/errors.ts';

interface PriorMeta {
  format: 'lcd-webgpu-measurement/1';
  options: PriorOptions;
  shape: GeneratorShape;
  envNames: string[];
  unitScale: number[];
  losses: { step: number; loss: number }[];
}

type HostTensors = Record<string, { shape: number[]; data: Float32Array }>;

/** One generator's tensors for a safetensors file, named `${prefix}${k}` in generatorLayers order (kernel, bias per
 *  layer): `gen.<env>.` in measurement.safetensors, `gen.` in a queued environment's part file. */
export async function generatorTensors<T extends TensorLike>(
  B: Backend<T>,
  shape: GeneratorShape,
  generator: readonly T[],
  prefix: string,
): Promise<HostTensors> {
  const layers = generatorLayers(shape),
    out: HostTensors = {};
  for (const [k, t] of generator.entries()) {
    const [i, o] = layers[k >> 1]!;
    out[`${prefix}${k}`] = { shape: k % 2 ? [o] : [i, o], data: Float32Array.from(await B.toArray(t)) };
  }
  return out;
}

/** The generator named `${prefix}k` in decoded safetensors `tensors` (read from `path`, named in the error). */
export function generatorFromTensors<T extends TensorLike>(
  B: Backend<T>,
  shape: GeneratorShape,
  tensors: Record<string, { shape: number[]; data: ArrayLike<number> }>,
  prefix: string,
  path: string,
): T[] {
  return Array.from({ length: generatorLayers(shape).length * 2 }, (_, k) => {
    const t = tensors[`${prefix}${k}`];
    if (!t) throw new InputError(`${path}: tensor ${prefix}${k} is missing`);
    return B.fromArray(t.data, t.shape);
  });
}

export async function savePrior<T extends TensorLike>(
  B: Backend<T>,
  prior: CountPrior<T>,
  store: FileStore,
): Promise<void> {
  const tensors: HostTensors = {
    theta: { shape: [1, prior.shape.d], data: Float32Array.from(await B.toArray(prior.theta)) },
  };
  if (prior.beta)
    tensors['zero_slope'] = { shape: [...prior.beta.shape], data: Float32Array.from(await B.toArray(prior.beta)) };
  for (const [e, g] of prior.generators.entries())
    Object.assign(tensors, await generatorTensors(B, prior.shape, g, `gen.${e}.`));
  store.write('measurement.safetensors', encodeSafetensors(tensors, { format: 'lcd-webgpu-measurement/1' }));
  const meta: PriorMeta = {
    format: 'lcd-webgpu-measurement/1',
    options: prior.o,
    shape: prior.shape,
    envNames: prior.envNames,
    unitScale: [...prior.unitScale],
    losses: prior.losses,
  };
  store.write('measurement.json', JSON.stringify(meta));
}

export const hasPrior = (store: FileStore): boolean => store.read('measurement.json') !== undefined;

export function loadPrior<T extends TensorLike>(B: Backend<T>, store: FileStore): CountPrior<T> {
  const p = store.describe('measurement.json');
  const meta = readJson<PriorMeta>(store, 'measurement.json');
  if (!meta) throw new InputError(`${p}: file not found`);
  if (meta.format !== 'lcd-webgpu-measurement/1') throw new InputError(`${p}: unknown format '${meta.format}'`);
  const wPath = store.describe('measurement.safetensors'),
    weights = store.read('measurement.safetensors');
  if (!weights) throw new InputError(`${wPath}: file not found`);
  const { tensors } = decodeSafetensors(weights, wPath);
  assertFiniteTensors(tensors, wPath);
  // models saved before these options existed hold neither: they are the reference's
  const prior = new CountPrior(B, withPriorChoices(meta.options));
  prior.shape = meta.shape;
  prior.envNames = meta.envNames;
  prior.unitScale = Float64Array.from(meta.unitScale);
  prior.losses = meta.losses;
  prior.generators = meta.envNames.map((_, e) => generatorFromTensors(B, meta.shape, tensors, `gen.${e}.`, wPath));
  prior.theta = B.fromArray(tensors['theta']!.data, [1, meta.shape.d]);
  const zi = meta.options.zeroInflation;
  if (zi === 'state' || zi === 'state-gene') {
    const slope = tensors['zero_slope'],
      k = zi === 'state' ? 1 : meta.shape.d;
    if (!slope || slope.data.length !== k)
      throw new InputError(
        `${wPath}: tensor zero_slope ${slope ? `holds ${slope.data.length} values, not ${k}` : 'is missing'} (measurement.json says the zero inflation is '${zi}')`,
      );
    prior.beta = B.fromArray(slope.data, [1, k]);
  }
  return prior;
}
