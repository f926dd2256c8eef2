// Decoding latent states to observations (spec §3.5 and §2): rates u·softplus(s), Poisson draws with the fitted
// zero inflation (per gene, or moving with the state's log rate when the model has slopes; zip_sample.wgsl, on the
// GPU), then the CP10k-log1p normaliser over the modelled genes.
import type { Engine } from '../gpu/engine.ts';
import { zipSample } from './kernels/zip-sample.ts';
import { normalizeLog1p } from '../data/normalize.ts';
import { randomStream } from '../core/random-streams.ts';

export type PredictionOutput = 'normalized' | 'counts' | 'latent';

/** A fitted measurement model as decoding needs it (CountPrior.decoder): the control's unit scaling, the
 *  zero-inflation logits and, for the state-dependent model, their slopes. */
export interface MeasurementDecoder {
  unitScale: ArrayLike<number>;
  logitPi: ArrayLike<number>;
  zeroSlope?: ArrayLike<number>;
}

export async function decodeCounts(
  e: Engine,
  states: Float32Array,
  d: number,
  m: MeasurementDecoder,
  seed: number,
  chunk = 0,
): Promise<Float32Array> {
  return e.scope(async () =>
    Float32Array.from(
      await e.read(
        zipSample(
          e,
          e.upload(states, [states.length / d, d]),
          e.upload(Float32Array.from(m.unitScale), [d]),
          e.upload(Float32Array.from(m.logitPi), [d]),
          randomStream(seed, 'decode.counts', chunk),
          m.zeroSlope && e.upload(Float32Array.from(m.zeroSlope), [d]),
        ),
      ),
    ),
  );
}

/** States → the requested output: latent as is, counts drawn from the measurement model, or counts normalised. */
export async function decode(
  e: Engine,
  states: Float32Array,
  d: number,
  m: MeasurementDecoder,
  output: PredictionOutput,
  seed: number,
  chunk = 0,
): Promise<Float32Array> {
  if (output === 'latent') return states;
  const counts = await decodeCounts(e, states, d, m, seed, chunk);
  return output === 'counts' ? counts : normalizeLog1p(counts, counts.length / d, d);
}

/** Each environment's sampled states decoded, environment k on its own chunk of stream 'decode.counts' (how
 *  `predict`, the web app and early stopping's validation decode alike); `first` is the index of states[0] among all
 *  of a prediction's environments (a queued predict's batch decodes its own slice of them). */
export async function decodeEach(
  e: Engine,
  states: readonly Float32Array[],
  d: number,
  m: MeasurementDecoder,
  output: PredictionOutput,
  seed: number,
  first = 0,
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let k = 0; k < states.length; k++) out.push(await decode(e, states[k]!, d, m, output, seed, first + k));
  return out;
}
