// Counter-based host RNG on Philox-4x32-10: the host side of a named random stream (src/core/random-streams.ts);
// call k uses counter (k, a, b, domain·256), key = seed. Every random choice of the simulators and the training loop
// comes from here, so runs are reproducible from an explicit seed and any stream can be regenerated without
// replaying the others.
import { philox4x32, u01 } from './philox.ts';
import { counterWords, keyWords, randomStream, type RandomStream } from '../core/random-streams.ts';

export class Rng {
  private counter = 0;
  private buf: number[] = [];
  private readonly key: [number, number];
  private readonly words: [number, number, number];

  constructor(readonly stream: RandomStream) {
    this.key = keyWords(stream);
    this.words = counterWords(stream);
  }

  private next32(): number {
    if (this.buf.length === 0) this.buf = philox4x32([this.counter++, ...this.words], this.key).reverse();
    return this.buf.pop()!;
  }

  /** Uniform in (0, 1) with 53 random bits. */
  uniform(): number {
    return ((this.next32() >>> 5) * 67108864 + (this.next32() >>> 6) + 0.5) / 9007199254740992;
  }
  /** Uniform in (lo, hi). */
  uniformIn(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }
  /** Standard normal (Box–Muller; the second value is kept for the next call). */
  private spare: number | null = null;
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform())),
      t = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(t);
    return r * Math.cos(t);
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.uniform() * n));
  }
  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }
  rademacher(): number {
    return this.uniform() < 0.5 ? -1 : 1;
  }
  /** A uniformly random permutation of 0..n−1 (Fisher–Yates). */
  permutation(n: number): number[] {
    const p = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [p[i], p[j]] = [p[j]!, p[i]!];
    }
    return p;
  }
  normals(n: number): Float64Array {
    return Float64Array.from({ length: n }, () => this.normal());
  }
}

/** A generator on the `scratch` domain, for tests, benchmarks and scripts (never used by the library itself). */
export const scratchRng = (seed: number, a = 0, b = 0): Rng => new Rng(randomStream(seed, 'scratch', a, b));

export { u01 };
