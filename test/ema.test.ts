// The weight average of a fit (hyperparameter emaDecay): the warm-up rule, WeightAverage against the closed form on
// the Float64 backend (packed and per tensor) and a whole fit's model against the average of its own per-step
// parameters. Checkpoint and resume of the average: test/lcd-core.test.ts.
import { describe, it, expect } from 'vitest';
import { CpuBackend } from '../src/ops/cpu-backend.ts';
import { WeightAverage, emaDecayAt } from '../src/nn/ema.ts';
import { LCD } from '../src/lcd/model.ts';
import { PARAM_NAMES } from '../src/lcd/score-net.ts';
import { scratchRng } from '../src/reference/rng.ts';
import type { Screen } from '../src/data/dataset.ts';

function screen(d: number, cells: number, seed: number): Screen {
  const rng = scratchRng(seed);
  const env = (name: string, targets: string[], shift: number) => ({
    name,
    targets,
    cells,
    values: Float32Array.from({ length: cells * d }, (_, i) => rng.normal() + (i % d === 0 ? shift : 0)),
  });
  return {
    genes: Array.from({ length: d }, (_, i) => `g${i}`),
    envs: [env('ctrl', [], 0), env('g0', ['g0'], 1.5)],
    kind: 'latent',
  };
}

describe('weight average', () => {
  it('warms up as min(β, (1 + t)/(10 + t)) and rejects a decay outside (0, 1)', () => {
    expect(emaDecayAt(0.999, 1)).toBeCloseTo(2 / 11, 15);
    expect(emaDecayAt(0.999, 90)).toBeCloseTo(91 / 100, 15);
    expect(emaDecayAt(0.9, 1000)).toBe(0.9);
    const B = new CpuBackend();
    const p = [B.fromArray([1, 2], [2])];
    expect(() => new WeightAverage(B, p, 1)).toThrow(/decay must be in \(0, 1\)/);
    expect(() => new WeightAverage(B, p, 0)).toThrow(/decay must be in \(0, 1\)/);
  });

  for (const packed of [true, false])
    it(`equals the closed form Σ over steps on the Float64 backend (${packed ? 'packed' : 'per tensor'})`, async () => {
      const B = new CpuBackend();
      const shapes = [[2, 3], [4]];
      const seq = [0, 1, 2, 3].map((t) =>
        shapes.map((s, k) => Float64Array.from({ length: s[0]! * (s[1] ?? 1) }, (_, i) => Math.sin(7 * t + 3 * k + i))),
      );
      const pk = B.packed(seq[0]!.map((data, k) => ({ data, shape: shapes[k]! })));
      const params = packed ? pk.slices : seq[0]!.map((data, k) => B.fromArray(data, shapes[k]!));
      const avg = new WeightAverage(B, params, 0.5, packed ? pk.whole : undefined);
      const expected = seq[0]!.map((a) => Float64Array.from(a));
      for (let t = 1; t < seq.length; t++) {
        params.forEach((p, k) => B.write(p, seq[t]![k]!));
        avg.update(t);
        const b = emaDecayAt(0.5, t);
        expected.forEach((e, k) => e.forEach((v, i) => (e[i] = b * v + (1 - b) * seq[t]![k]![i]!)));
      }
      for (let k = 0; k < shapes.length; k++)
        expect(Array.from(await B.toArray(avg.averages[k]!))).toEqual(Array.from(expected[k]!));
      avg.dispose();
    });

  it("a fit's model is the average of its own per-step parameters (Float64 backend)", async () => {
    const B = new CpuBackend();
    const hp = { hidden: 8, steps: 4, batchSize: 16, seed: 3, stepsPerLevel: 2 };
    const data = screen(3, 40, 1);
    const raw: Record<(typeof PARAM_NAMES)[number], Float32Array>[] = [];
    for (let k = 0; k <= hp.steps; k++)
      raw.push(await (await new LCD(hp).fit(data, { backend: B, stopAfter: k })).parameterArrays());
    const ema = await (await new LCD({ ...hp, emaDecay: 0.5 }).fit(data, { backend: B })).parameterArrays();
    for (const n of PARAM_NAMES) {
      const e = Float64Array.from(raw[0]![n]);
      for (let t = 1; t <= hp.steps; t++) {
        const b = emaDecayAt(0.5, t);
        e.forEach((v, i) => (e[i] = Math.fround(b * v + (1 - b) * raw[t]![n][i]!)));
      }
      ema[n].forEach((v, i) => expect(Math.abs(v - e[i]!), `${n}[${i}]`).toBeLessThan(1e-6));
    }
    expect(Array.from(ema['mlp.w1'])).not.toEqual(Array.from(raw[hp.steps]!['mlp.w1']));
  });

  it('cannot be combined with early stopping (a clear error)', async () => {
    const B = new CpuBackend();
    await expect(
      new LCD({ hidden: 8, steps: 2, batchSize: 8, emaDecay: 0.9 }).fit(screen(3, 20, 2), {
        backend: B,
        validation: { every: 1, score: async () => 0 },
      }),
    ).rejects.toThrow(/weight average .* early stopping/);
  });
});
