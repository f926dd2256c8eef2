// The one noise schedule every LCD component reads: closed forms of σ, s and α, and its range check.
import { describe, it, expect } from 'vitest';
import { NoiseSchedule, noiseLevels, songScale, stepSize, N_LEVELS } from '../src/core/noise-schedule.ts';

describe('NoiseSchedule', () => {
  const ref = NoiseSchedule.reference;
  it('has 30 geometric levels from σ = 10 to σ = 0.01 (ratio 1000^(1/29))', () => {
    expect(ref.levels).toHaveLength(N_LEVELS);
    expect(ref.level(0).sigma).toBe(10);
    expect(ref.level(29).sigma).toBeCloseTo(0.01, 15);
    for (let t = 1; t < N_LEVELS; t++)
      expect(ref.level(t - 1).sigma / ref.level(t).sigma).toBeCloseTo(1000 ** (1 / 29), 12);
    expect(Array.from(ref.sigmas)).toEqual(Array.from(noiseLevels()));
  });
  it('gives s = 1/√(1+σ²) and α = 0.01·σ² at every level (anneal_dt 1e-6, σ_min 0.01)', () => {
    for (const l of ref.levels) {
      expect(l.s).toBe(1 / Math.sqrt(1 + l.sigma * l.sigma));
      expect(l.s).toBe(songScale(l.sigma));
      expect(l.alpha).toBeCloseTo(0.01 * l.sigma * l.sigma, 14);
      expect(l.alpha).toBe(stepSize(l.sigma));
    }
    expect(new NoiseSchedule(N_LEVELS, 2e-6).level(5).alpha).toBeCloseTo(2 * ref.level(5).alpha, 14);
  });
  it('refuses a level outside 0 … L−1', () => {
    expect(() => ref.level(30)).toThrow(/noise level 30 is outside 0 … 29/);
    expect(() => ref.level(-1)).toThrow(RangeError);
  });
});
