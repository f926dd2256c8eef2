// Parameter initialisation from the Philox stream, so GPU and reference models start bit-identical.
import { normalStream } from '../reference/philox.ts';

/** Flax's lecun_normal: truncated normal (±2σ, redrawn) with variance 1/fan_in, i.e. σ = 1/(0.8796·√fan_in). */
export function lecunNormal(fanIn: number, fanOut: number, seed: number, stream: number): Float64Array {
  const n = fanIn * fanOut;
  // Truncation at ±2 of a unit normal leaves std 0.87962566; divide it out so the variance is exactly 1/fan_in.
  const std = 1 / Math.sqrt(fanIn) / 0.8796256610342398;
  const out = new Float64Array(n);
  let filled = 0,
    round = 0;
  while (filled < n) {
    const z = normalStream(Math.max(64, 2 * (n - filled)), seed, stream, round++);
    for (let i = 0; i < z.length && filled < n; i++) if (Math.abs(z[i]!) <= 2) out[filled++] = z[i]! * std;
  }
  return out;
}
