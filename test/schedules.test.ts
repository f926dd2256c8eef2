import { describe, it, expect } from 'vitest';
import { cosineSchedule, warmupCosineSchedule } from '../src/gpu/kernels/schedules.ts';

describe('learning-rate schedules (optax semantics)', () => {
  it('cosine decays from init to alpha·init over decay_steps and stays there', () => {
    const f = cosineSchedule(1e-3, 100);
    expect(f(0)).toBeCloseTo(1e-3, 15);
    expect(f(50)).toBeCloseTo(5e-4, 15);
    expect(f(100)).toBeCloseTo(0, 15);
    expect(f(150)).toBeCloseTo(0, 15);
    expect(cosineSchedule(2, 10, 0.1)(10)).toBeCloseTo(0.2, 15);
  });
  it('warmup-cosine rises linearly to the peak, then follows a cosine to the end value', () => {
    const f = warmupCosineSchedule(3e-4, 5000, 250_000);
    expect(f(0)).toBe(0);
    expect(f(2500)).toBeCloseTo(1.5e-4, 15);
    expect(f(5000)).toBeCloseTo(3e-4, 15);
    expect(f(5000 + 122_500)).toBeCloseTo(1.5e-4, 12);
    expect(f(250_000)).toBeCloseTo(0, 15);
  });
});
