// Launcher for random_normal.wgsl (Philox-4x32-10 + Box–Muller; stream defined in the shader header).
import type { Engine } from '../engine.ts';
import { foldGrid } from '../engine.ts';
import type { GpuTensor } from '../tensor.ts';

const WG = 64;

/** Split a non-negative integer seed (< 2^53) into the two 32-bit key words. */
export function seedWords(seed: number): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  return [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
}

export function randomNormal(
  e: Engine,
  shape: readonly number[],
  seed: number,
  c1 = 0,
  c2 = 0,
  scale = 1,
  into?: GpuTensor,
): GpuTensor {
  const out = into ?? e.empty(shape, 'normal');
  const [seedLo, seedHi] = seedWords(seed);
  e.dispatch(
    'random_normal',
    { WG },
    [out],
    { n: out.size, seedLo, seedHi, c1: c1 >>> 0, c2: c2 >>> 0, scale },
    foldGrid(Math.ceil(out.size / 4 / WG)),
  );
  return out;
}
