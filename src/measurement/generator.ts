// One generator per training environment (spec §3.2, MLPGenerator): ε ~ N(0, I_k) → latent states s ∈ R^d.
//   h = Dense_k(ε); L× h ← h + Dense_k(silu(Dense_k(h)));  s = Dense_d(h); Lw× s ← s + Dense_d(silu(Dense_w(s)))
// Reference sizes: k = 64, L = 4, w = 256, Lw = 2, SiLU; Dense = lecun-normal kernel, zero bias (Flax defaults).
import type { Backend, TensorLike } from '../ops/backend.ts';
import type { Tape, Var } from '../ops/tape.ts';
import * as ad from '../ops/autodiff.ts';
import { lecunNormal } from '../nn/init.ts';
import { randomStream } from '../core/random-streams.ts';

export interface GeneratorShape {
  d: number;
  latent: number;
  layers: number;
  wide: number;
  wideLayers: number;
}
export const GENERATOR_REFERENCE: Omit<GeneratorShape, 'd'> = { latent: 64, layers: 4, wide: 256, wideLayers: 2 };

/** Dense layer sizes [fanIn, fanOut] in parameter order. */
export function generatorLayers(s: GeneratorShape): [number, number][] {
  const k = s.latent,
    out: [number, number][] = [[k, k]];
  for (let l = 0; l < s.layers; l++) out.push([k, k], [k, k]);
  out.push([k, s.d]);
  for (let l = 0; l < s.wideLayers; l++) out.push([s.d, s.wide], [s.wide, s.d]);
  return out;
}

/** Fresh parameters (kernel, bias per layer) of environment `env`'s generator, as host arrays. */
export function generatorInit(
  s: GeneratorShape,
  seed: number,
  env: number,
): { data: ArrayLike<number>; shape: number[] }[] {
  return generatorLayers(s).flatMap(([i, o], l) => [
    { data: lecunNormal(i, o, randomStream(seed, 'prior.init', env, l)), shape: [i, o] },
    { data: new Float32Array(o), shape: [o] },
  ]);
}

/** Fresh parameters of environment `env`'s generator as the slices of one buffer (`whole`), so an optimiser can update
 *  them in one dispatch (AdamW's `groups`). */
export function initPackedGenerator<T extends TensorLike>(
  B: Backend<T>,
  s: GeneratorShape,
  seed: number,
  env: number,
): { whole: T; slices: T[] } {
  return B.packed(generatorInit(s, seed, env));
}

/** States [M×d] from noise [M×k] through one generator's parameters (as tape Vars, in generatorLayers order). */
export function generatorForward<T extends TensorLike>(
  tape: Tape<T>,
  s: GeneratorShape,
  p: Var<T>[],
  eps: Var<T>,
): Var<T> {
  let k = 0;
  // `skip`: a residual h + Dense(·) added in the product's epilogue (the same sum, bit for bit, without its pass)
  const dense = (x: Var<T>, act: 'identity' | 'silu' = 'identity', skip: Var<T> | null = null) => {
    const y = ad.matmul(tape, x, p[k]!, { bias: p[k + 1]!, act, add: skip });
    k += 2;
    return y;
  };
  let h = dense(eps);
  for (let l = 0; l < s.layers; l++) h = dense(dense(h, 'silu'), 'identity', h);
  let z = dense(h);
  for (let l = 0; l < s.wideLayers; l++) z = dense(dense(z, 'silu'), 'identity', z);
  return z;
}
