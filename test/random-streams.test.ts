// The named random-stream registry (src/core/random-streams.ts): distinct purposes never share a Philox block,
// the collisions the old hand-numbered streams allowed are gone, and every registered purpose is used.
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RANDOM_DOMAINS, counterWords, randomStream, type RandomDomain } from '../src/core/random-streams.ts';
import { normalStream } from '../src/reference/philox.ts';
import { Rng } from '../src/reference/rng.ts';
import { CpuBackend } from '../src/ops/cpu-backend.ts';
import { annealedSampleWith } from '../src/lcd/sampler.ts';

const names = Object.keys(RANDOM_DOMAINS) as RandomDomain[];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('named random streams', () => {
  it('gives every purpose its own id, so counter word 3 ranges never overlap', () => {
    const ids = names.map((n) => RANDOM_DOMAINS[n]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id >= 1 && id <= 255).toBe(true);
    // Word 3 = id·256 + round: the largest round of one domain stays below the next id's first word.
    const words = new Set<number>();
    for (const n of names) for (const round of [0, 1, 255]) words.add(counterWords(randomStream(7, n, 3, 4), round)[2]);
    expect(words.size).toBe(names.length * 3);
  });

  it('separates the simulator noise at step k from the count prior states of n = k cells (the old collision)', () => {
    // Before the registry both were Philox (seed, k, 7): the simulator's step k and the prior's control draw of k cells.
    const k = 500;
    const sim = normalStream(64, randomStream(0, 'sim.nonlinear.noise', k));
    const prior = normalStream(64, randomStream(0, 'prior.states', 0, k));
    expect(Array.from(sim)).not.toEqual(Array.from(prior));
    // and the score network's initialisation round 1 from the sampler noise of step 1 at the same seed
    const init = normalStream(16, { ...randomStream(0, 'scoreNet.init', 1) });
    const noise = normalStream(16, randomStream(0, 'sampler.noise', 1, 0));
    expect(Array.from(init)).not.toEqual(Array.from(noise));
  });

  it('draws a different initial state and noise for each sampling chunk', async () => {
    const B = new CpuBackend();
    const run = async (chunk: number) =>
      (
        await annealedSampleWith(B, 4, 3, 30, (z) => B.full(z.shape, 0), {
          stepsPerLevel: 1,
          lastLevel: 1,
          seed: 3,
          chunk,
        })
      ).data;
    const a = await run(0),
      b = await run(1);
    expect(Array.from(a)).toEqual(Array.from(await run(0)));
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });

  it('keeps host generators of different purposes apart under one seed', () => {
    const a = new Rng(randomStream(5, 'dsm.batch', 10)).normals(8);
    const b = new Rng(randomStream(5, 'split.order', 10)).normals(8);
    expect(Array.from(a)).not.toEqual(Array.from(b));
    expect(Array.from(new Rng(randomStream(5, 'dsm.batch', 10)).normals(8))).toEqual(Array.from(a));
  });

  it('rejects coordinates that do not fit a counter word and unknown purposes', () => {
    expect(() => randomStream(0, 'dsm.noise', -1)).toThrow(/coordinate a/);
    expect(() => randomStream(0, 'dsm.noise', 0, 2 ** 32)).toThrow(/coordinate b/);
    expect(() => randomStream(1.5, 'dsm.noise')).toThrow(/seed/);
    expect(() => randomStream(0, 'nope' as RandomDomain)).toThrow(/unknown random domain/);
    expect(() => counterWords(randomStream(0, 'dsm.noise'), 256)).toThrow(/round/);
  });

  it('is the only source of streams in the library: every purpose is used, and none by scratch', () => {
    const src = sourceFiles('src')
      .filter((f) => !f.endsWith('random-streams.ts'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n')
      .replace(/^export const scratchRng = .*$/m, ''); // the tests' helper, defined beside Rng
    for (const n of names) {
      const used = src.includes(`'${n}'`);
      expect(used, `domain '${n}' ${n === 'scratch' ? 'is used by the library' : 'is registered but unused'}`).toBe(
        n !== 'scratch',
      );
    }
  });
});
