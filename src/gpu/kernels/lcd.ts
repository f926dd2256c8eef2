// Launcher for lcd_em_update.wgsl (the fused sampler step).
import type { Engine } from '../engine.ts';
import { foldGrid } from '../engine.ts';
import type { GpuTensor } from '../tensor.ts';
import { seedWords } from './random.ts';
import { ShapeError } from '../errors.ts';
import type { EmStep } from '../../core/noise-schedule.ts';

export type { EmStep };

const WG = 64;

/** z ← z + α·((s−1)z − σg)/σ² + √(2α)·ξ in place (ξ from the Philox stream (seed, step, stream)). */
export function lcdEmUpdate(e: Engine, z: GpuTensor, g: GpuTensor, o: EmStep): void {
  if (z.size !== g.size)
    throw new ShapeError(`lcdEmUpdate: state [${z.shape.join('×')}] and network output [${g.shape.join('×')}] differ`);
  const [seedLo, seedHi] = seedWords(o.seed);
  e.dispatch(
    'lcd_em_update',
    { WG },
    [g, z],
    {
      n: z.size,
      sigma: o.level.sigma,
      s: o.level.s,
      alpha: o.level.alpha,
      noiseScale: o.noise ? Math.sqrt(2 * o.level.alpha) : 0,
      seedLo,
      seedHi,
      step: o.step >>> 0,
      stream: o.stream >>> 0,
    },
    foldGrid(Math.ceil(z.size / 4 / WG)),
  );
}
