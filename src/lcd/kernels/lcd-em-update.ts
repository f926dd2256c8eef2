// Fused kernel `lcd_em_update` (shaders/lcd_em_update.wgsl): one annealed Euler–Maruyama (Langevin) step of LCD's
// sampler in place, z ← z + α·f + √(2α)·ξ with the song drift f = ((s−1)z − σg)/σ², ξ from the Philox stream
// of the step (o.stream); with o.prev the Leimkuhler–Matthews step z ← z + α·f + √(α/2)·(ξ_prev + ξ).
// Test: test/kernels/lcd_em_update.test.ts.
import type { Engine } from '../../gpu/engine.ts';
import { foldGrid } from '../../gpu/grid.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import { streamParams } from '../../gpu/kernels/random.ts';
import { ShapeError } from '../../core/errors.ts';
import { noiseScales, type EmStep } from '../../core/noise-schedule.ts';
import type { RefArray } from '../../reference/kernels.ts';
import { normalStream } from '../../reference/philox.ts';
import { input, type FusedKernel } from '../../ops/fused-kernel.ts';

const WG = 64;

/** LCD's drift f = (D − z)/σ² with D = s·z − σ·g ("cond/song" wrapper, s = 1/√(1+σ²)). */
export const songDrift = (z: number, g: number, sigma: number, s: number): number =>
  ((s - 1) * z - sigma * g) / (sigma * sigma);

/** Counter words 1–3 of the previous step's stream (the key is the same seed's); zeros when there is none. */
function prevCounters(o: EmStep): { p1: number; p2: number; p3: number } {
  if (!o.prev) return { p1: 0, p2: 0, p3: 0 };
  const { c1, c2, c3 } = streamParams(o.prev);
  return { p1: c1, p2: c2, p3: c3 };
}

function gpu(e: Engine, z: GpuTensor, g: GpuTensor, o: EmStep): void {
  if (z.size !== g.size)
    throw new ShapeError(
      `lcd_em_update: state [${z.shape.join('×')}] and network output [${g.shape.join('×')}] differ`,
    );
  e.dispatch(
    'lcd_em_update',
    { WG },
    [g, z],
    {
      n: z.size,
      sigma: o.level.sigma,
      s: o.level.s,
      alpha: o.level.alpha,
      ...noiseScales(o),
      ...streamParams(o.stream),
      ...prevCounters(o),
    },
    foldGrid(Math.ceil(z.size / 4 / WG)),
  );
}

function reference(z: RefArray, g: RefArray, o: EmStep): void {
  const { sigma, s, alpha } = o.level;
  const { noiseScale, prevScale } = noiseScales(o);
  const xi = noiseScale ? normalStream(z.data.length, o.stream, noiseScale) : null;
  const xiPrev = prevScale && o.prev ? normalStream(z.data.length, o.prev, prevScale) : null;
  for (let i = 0; i < z.data.length; i++) {
    const f = songDrift(z.data[i]!, g.data[i]!, sigma, s);
    z.data[i] = z.data[i]! + alpha * f + (xi ? xi[i]! : 0) + (xiPrev ? xiPrev[i]! : 0);
  }
}

export const lcdEmUpdateKernel: FusedKernel<EmStep> = {
  name: 'lcd_em_update',
  inputs: ['z (state, updated in place)', 'g (network output)'],
  outputs: ['z'],
  summary:
    'one Langevin step of the annealed sampler: song drift + Philox noise + Euler–Maruyama (or Leimkuhler–Matthews) update, in place',
  tolerance: { atol: 1e-5, rtol: 1e-4 },
  gpu(e, xs, o) {
    const z = input(this, xs, 0);
    gpu(e, z, input(this, xs, 1), o);
    return [z];
  },
  reference(xs, o) {
    const z = input(this, xs, 0);
    reference(z, input(this, xs, 1), o);
    return [z];
  },
};
