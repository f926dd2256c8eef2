// The measurement model inside a saved model folder (beside LCD's config.json and weights.safetensors):
//   measurement.json          { format, options, shape, envNames, unitScale, losses }
//   measurement.safetensors   theta [1×d] and gen.<env>.<k> for every generator tensor
// A model saved after both stages therefore holds both; the files go through a FileStore (see lcd/io.ts).
import type { Backend, TensorLike } from '../ops/backend.ts';
import type { FileStore } from '../io/file-store.ts';
import { readJson } from '../io/file-store.ts';
import { encodeSafetensors, decodeSafetensors, assertFiniteTensors } from '../io/safetensors.ts';
import { CountPrior, type PriorOptions } from './prior.ts';
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

export async function savePrior<T extends TensorLike>(
  B: Backend<T>,
  prior: CountPrior<T>,
  store: FileStore,
): Promise<void> {
  const layers = generatorLayers(prior.shape),
    tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  tensors['theta'] = { shape: [1, prior.shape.d], data: Float32Array.from(await B.toArray(prior.theta)) };
  for (let e = 0; e < prior.generators.length; e++)
    for (let k = 0; k < prior.generators[e]!.length; k++) {
      const [i, o] = layers[k >> 1]!;
      tensors[`gen.${e}.${k}`] = {
        shape: k % 2 ? [o] : [i, o],
        data: Float32Array.from(await B.toArray(prior.generators[e]![k]!)),
      };
    }
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
  const prior = new CountPrior(B, meta.options);
  prior.shape = meta.shape;
  prior.envNames = meta.envNames;
  prior.unitScale = Float64Array.from(meta.unitScale);
  prior.losses = meta.losses;
  const n = generatorLayers(meta.shape).length * 2;
  prior.generators = meta.envNames.map((_, e) =>
    Array.from({ length: n }, (_, k) => {
      const t = tensors[`gen.${e}.${k}`];
      if (!t) throw new InputError(`${wPath}: tensor gen.${e}.${k} is missing`);
      return B.fromArray(t.data, t.shape);
    }),
  );
  prior.theta = B.fromArray(tensors['theta']!.data, [1, meta.shape.d]);
  return prior;
}
