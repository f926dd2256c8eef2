// Philox-4x32-10 and the normal stream of shaders/random_normal.wgsl, bit-for-bit (uniforms are exact;
// the normals are evaluated in f64 here and in f32 on the GPU).

import { counterWords, keyWords, type RandomStream } from '../core/random-streams.ts';

const M0 = 0xd2511f53,
  M1 = 0xcd9e8d57,
  W0 = 0x9e3779b9,
  W1 = 0xbb67ae85;

/** 32×32 → 64-bit product as [hi, lo], exact in doubles via 16-bit halves. */
function mulhilo(a: number, b: number): [number, number] {
  const a0 = a & 0xffff,
    a1 = a >>> 16,
    b0 = b & 0xffff,
    b1 = b >>> 16;
  const p00 = a0 * b0,
    p01 = a0 * b1,
    p10 = a1 * b0,
    p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const hi = (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
  return [hi, Math.imul(a, b) >>> 0];
}

export function philox4x32(counter: readonly number[], key: readonly number[]): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter.map((x) => x >>> 0) as [number, number, number, number];
  let [k0, k1] = key.map((x) => x >>> 0) as [number, number];
  for (let r = 0; r < 10; r++) {
    const [hi0, lo0] = mulhilo(M0, c0);
    const [hi1, lo1] = mulhilo(M1, c2);
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/** Uniform in (0, 1) from the top 24 bits, as u01() in philox.wgsl. */
export const u01 = (x: number): number => ((x >>> 8) + 0.5) * 5.9604644775390625e-8;

export function philoxNormal4(counter: readonly number[], key: readonly number[]): [number, number, number, number] {
  const [x, y, z, w] = philox4x32(counter, key);
  const r0 = Math.sqrt(-2 * Math.log(u01(x))),
    t0 = 2 * Math.PI * u01(y);
  const r1 = Math.sqrt(-2 * Math.log(u01(z))),
    t1 = 2 * Math.PI * u01(w);
  return [r0 * Math.cos(t0), r0 * Math.sin(t0), r1 * Math.cos(t1), r1 * Math.sin(t1)];
}

/** n normals of stream s (src/core/random-streams.ts): element i = component i mod 4 of block
 *  (i/4, a, b, domain·256). */
export function normalStream(n: number, s: RandomStream, scale = 1): Float64Array {
  return normalBlocks(n, keyWords(s), counterWords(s), scale);
}

/** n normals from counters (block, w1, w2, w3), block = 0, 1, …: the layout of random_normal.wgsl. */
export function normalBlocks(
  n: number,
  key: readonly number[],
  words: readonly [number, number, number],
  scale = 1,
): Float64Array {
  const out = new Float64Array(n);
  for (let b = 0; b * 4 < n; b++) {
    const z = philoxNormal4([b, words[0], words[1], words[2]], key);
    for (let j = 0; j < 4 && b * 4 + j < n; j++) out[b * 4 + j] = z[j]! * scale;
  }
  return out;
}
