// The energy distance of re-centred cells (the additive baseline's and PEPER's construction: the training control's
// n cells shifted so their mean lands on the prediction) is biased low against independent draws of the same law,
// by ≈ tr(Σ)/(n·E‖X − X′‖) (metrics/distribution.ts, recentringBias). Simulated: zero-inflated genes (70 % zeros, as
// in the Norman file), a truth at the predicted law, n = 60 control cells; the predictor's own law is known, so its
// independent draws give the unbiased reference.
import { describe, it, expect } from 'vitest';
import { energyDistance, recentringBias } from '../src/metrics/distribution.ts';
import { Rng } from '../src/reference/rng.ts';
import { randomStream } from '../src/core/random-streams.ts';

const d = 30,
  n = 60,
  reps = 40;
const rng = new Rng(randomStream(7, 'scratch', 31));
const shift = Float64Array.from({ length: d }, () => 0.4 * rng.normal());
/** n cells: each gene zero with probability 0.7, else N(3.5, 0.6²); plus `s`. */
function draw(cells: number, s?: Float64Array): Float64Array {
  const x = new Float64Array(cells * d);
  for (let i = 0; i < x.length; i++) x[i] = (rng.uniform() < 0.7 ? 0 : 3.5 + 0.6 * rng.normal()) + (s?.[i % d] ?? 0);
  return x;
}
const populationMean = 0.3 * 3.5;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const se = (xs: number[]) => Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / (xs.length - 1) / xs.length);

describe('energy distance of re-centred cells', () => {
  it('is biased low by about tr(Σ)/(n·E‖X − X′‖), which recentringBias estimates from the cells alone', () => {
    const recentred: number[] = [],
      independent: number[] = [],
      estimates: number[] = [];
    for (let r = 0; r < reps; r++) {
      const truth = { values: draw(100, shift), n: 100 };
      // the baseline's construction: control cells minus their own mean plus the target mean (exact here)
      const ctrl = draw(n),
        own = new Float64Array(d);
      for (let i = 0; i < ctrl.length; i++) own[i % d]! += ctrl[i]! / n;
      const x = Float64Array.from(ctrl, (v, i) => v - own[i % d]! + populationMean + shift[i % d]!);
      recentred.push(energyDistance({ values: x, n }, truth, d));
      // independent draws of the same law (the control's shape at the target mean): the unbiased reference, ≈ 0
      independent.push(energyDistance({ values: draw(n, shift), n }, truth, d));
      estimates.push(recentringBias({ values: ctrl, n }, d));
    }
    const bias = mean(independent) - mean(recentred),
      noise = Math.hypot(se(independent), se(recentred));
    expect(Math.abs(mean(independent))).toBeLessThan(3 * se(independent)); // the reference is unbiased
    expect(bias).toBeGreaterThan(5 * noise); // the construction's bias is real
    // and the estimate from the control cells alone matches it within the simulation's noise (or 15 %)
    expect(Math.abs(mean(estimates) - bias)).toBeLessThan(Math.max(3 * noise, 0.15 * bias));
  });

  it('shrinks as 1/n', () => {
    const big = draw(4 * n),
      small = { values: big.subarray(0, n * d), n };
    const ratio = recentringBias(small, d) / recentringBias({ values: big, n: 4 * n }, d);
    expect(ratio).toBeGreaterThan(3);
    expect(ratio).toBeLessThan(5);
  });
});
