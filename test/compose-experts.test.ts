// Sampling target sets as a product of experts (predict --compose experts): the score of a set T is
// Σ_{k∈T} g(z; ē_k) − (|T| − 1)·g(z; 0). Checked on the Float64 backend against an independent host-side composition
// of the network's outputs (sets of 0, 1, 2 and 3 targets in one batch, environment-major rows), and singles and the
// control against the plain sampler on the layer path (the same numbers).
import { describe, it, expect } from 'vitest';
import { CpuBackend } from '../src/ops/cpu-backend.ts';
import { ScoreNet } from '../src/lcd/score-net.ts';
import { TargetVocab } from '../src/lcd/embedding.ts';
import { annealedSample, annealedSampleExperts, annealedSampleWith, type SamplerOptions } from '../src/lcd/sampler.ts';
import { N_LEVELS } from '../src/lcd/schedule.ts';

const B = new CpuBackend();
const shape = { d: 5, H: 8, De: 6, G: 3, L: N_LEVELS };
const vocab = new TargetVocab(['a', 'b', 'c']);
const P = 4;
const opts: SamplerOptions = { stepsPerLevel: 2, lastLevel: 4, seed: 7, integrator: 'lm', stepScale: 0.1 };
const singles = (sets: string[][]) => sets.map((t) => t.map((g) => vocab.weights([g])));

describe('product-of-experts sampling', () => {
  it('composes Σ_k g(z; ē_k) − (|T| − 1) g(z; 0) per environment, in one batch of mixed set sizes', async () => {
    const net = ScoreNet.create(B, shape, 3);
    const sets = [['a', 'b'], [], ['c'], ['a', 'b', 'c']];
    const got = await B.toArray(await annealedSampleExperts(B, net, singles(sets), vocab.weights([]), P, opts));
    // Host-side composition: each environment's rows through the network once per expert, summed with its weight.
    const table = net.levelBiasTable();
    const outputAt = (z: ReturnType<typeof B.fromArray>, level: number, s: number) => {
      const zs = z.data,
        d = shape.d,
        g = new Float64Array(zs.length);
      sets.forEach((t, e) => {
        const rows = B.fromArray(zs.slice(e * P * d, (e + 1) * P * d), [P, d]);
        const experts: [Float64Array, number][] = [
          ...t.map((k): [Float64Array, number] => [vocab.weights([k]), 1]),
          [vocab.weights([]), 1 - t.length],
        ];
        for (const [w, coef] of experts) {
          if (coef === 0) continue;
          const { inj1, bias2 } = net.envBiases([w]);
          const out = net.outputAt(rows, s, net.firstLayerBias(inj1, level, table), bias2, P).data;
          for (let i = 0; i < out.length; i++) g[e * P * d + i]! += coef * out[i]!;
        }
      });
      return B.fromArray(g, [zs.length / d, d]);
    };
    const want = await B.toArray(await annealedSampleWith(B, sets.length * P, shape.d, shape.L, outputAt, opts));
    expect(got.length).toBe(want.length);
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-12);
  });

  it('samples singles and the control exactly as the summed-embedding sampler does', async () => {
    const net = ScoreNet.create(B, shape, 5);
    const sets = [[], ['b'], ['a']];
    const experts = await B.toArray(await annealedSampleExperts(B, net, singles(sets), vocab.weights([]), P, opts));
    const plain = await annealedSample(
      B,
      net,
      sets.map((t) => vocab.weights(t)),
      P,
      { ...opts, kernel: 'layers' },
    );
    expect(Array.from(experts)).toEqual(Array.from(await B.toArray(plain)));
  });

  it('differs from the summed embedding on a double (the two compositions are different laws)', async () => {
    const net = ScoreNet.create(B, shape, 6);
    const experts = await B.toArray(
      await annealedSampleExperts(B, net, singles([['a', 'b']]), vocab.weights([]), P, opts),
    );
    const summed = await B.toArray(await annealedSample(B, net, [vocab.weights(['a', 'b'])], P, opts));
    expect(Math.max(...experts.map((v, i) => Math.abs(v - summed[i]!)))).toBeGreaterThan(1e-6);
  });
});
