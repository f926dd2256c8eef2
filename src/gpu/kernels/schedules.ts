// Learning-rate schedules (optax semantics), used by both the GPU optimiser and the reference.

/** optax.cosine_decay_schedule(init, decay_steps): lr(t) = init · ½(1 + cos(π · min(t, T)/T)). */
export function cosineSchedule(init: number, decaySteps: number, alpha = 0): (t: number) => number {
  return (t) => {
    const frac = Math.min(t, decaySteps) / decaySteps;
    return init * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * frac)) + alpha);
  };
}

/**
 * optax.warmup_cosine_decay_schedule(0, peak, warmup, decay_steps, end=0): linear 0 → peak over `warmup`
 * steps, then cosine from peak to `end` over the remaining decay_steps − warmup steps.
 */
export function warmupCosineSchedule(
  peak: number,
  warmupSteps: number,
  decaySteps: number,
  end = 0,
): (t: number) => number {
  return (t) => {
    if (t < warmupSteps) return (peak * t) / warmupSteps;
    const span = Math.max(1, decaySteps - warmupSteps);
    const frac = Math.min(t - warmupSteps, span) / span;
    return end + (peak - end) * 0.5 * (1 + Math.cos(Math.PI * frac));
  };
}
