// Launcher for random_normal.wgsl (Philox-4x32-10 + Box–Muller) on a named stream (src/core/random-streams.ts).
import type { Engine } from '../engine.ts';
import { foldGrid } from '../grid.ts';
import type { GpuTensor } from '../tensor.ts';
import { counterWords, keyWords, type RandomStream } from '../../core/random-streams.ts';

const WG = 64;

/** The uniform-buffer fields every Philox kernel takes: key words and counter words 1–3 of the stream. */
export function streamParams(s: RandomStream): { seedLo: number; seedHi: number; c1: number; c2: number; c3: number } {
  const [seedLo, seedHi] = keyWords(s);
  const [c1, c2, c3] = counterWords(s);
  return { seedLo, seedHi, c1, c2, c3 };
}

/** Normals of stream s times `scale`, bit-identical in their uniforms to normalStream (src/reference/philox.ts). */
export function randomNormal(
  e: Engine,
  shape: readonly number[],
  stream: RandomStream,
  scale = 1,
  into?: GpuTensor,
): GpuTensor {
  const out = into ?? e.empty(shape, 'normal');
  e.dispatch(
    'random_normal',
    { WG },
    [out],
    { n: out.size, ...streamParams(stream), scale },
    foldGrid(Math.ceil(out.size / 4 / WG)),
  );
  return out;
}
