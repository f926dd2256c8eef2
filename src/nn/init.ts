// Parameter initialisation from a named Philox stream, so GPU and reference models start bit-identical.
import { normalBlocks } from '../reference/philox.ts';
import { counterWords, keyWords, type RandomStream } from '../core/random-streams.ts';

/** Flax's lecun_normal: truncated normal (±2σ, redrawn) with variance 1/fan_in, i.e. σ = 1/(0.8796·√fan_in).
 *  Redraw round r reads the stream's round r (counter word 3), so the rounds never overlap. */
export function lecunNormal(fanIn: number, fanOut: number, stream: RandomStream): Float64Array {
  const n = fanIn * fanOut;
  // Truncation at ±2 of a unit normal leaves std 0.87962566; divide it out so the variance is exactly 1/fan_in.
  const std = 1 / Math.sqrt(fanIn) / 0.8796256610342398;
  const out = new Float64Array(n);
  const key = keyWords(stream);
  let filled = 0,
    round = 0;
  while (filled < n) {
    const z = normalBlocks(Math.max(64, 2 * (n - filled)), key, counterWords(stream, round++));
    for (let i = 0; i < z.length && filled < n; i++) if (Math.abs(z[i]!) <= 2) out[filled++] = z[i]! * std;
  }
  return out;
}
