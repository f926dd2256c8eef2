// Launcher for adamw.wgsl, plus the learning-rate schedules (host-side, shared with the CPU reference).
import type { Engine } from '../engine.ts';
import { foldGrid } from '../engine.ts';
import type { GpuTensor } from '../tensor.ts';

const WG = 64;

export interface AdamWHyper {
  lr: number;
  b1: number;
  b2: number;
  eps: number;
  weightDecay: number;
  step: number;
  maxGradNorm?: number;
}

/** Bias-correction terms 1 − βᵗ for step t (1-based). */
export function biasCorrections(h: AdamWHyper): { bc1: number; bc2: number } {
  return { bc1: 1 - Math.pow(h.b1, h.step), bc2: 1 - Math.pow(h.b2, h.step) };
}

export function adamwStep(
  e: Engine,
  param: GpuTensor,
  grad: GpuTensor,
  m: GpuTensor,
  v: GpuTensor,
  h: AdamWHyper,
  gradNormSq?: GpuTensor,
): void {
  const { bc1, bc2 } = biasCorrections(h);
  // With b1 = 0 (the measurement model's optimiser) bc1 = 1: m is just g.
  e.dispatch(
    'adamw',
    { WG },
    [grad, gradNormSq ?? null, param, m, v],
    {
      n: param.size,
      lr: h.lr,
      b1: h.b1,
      b2: h.b2,
      eps: h.eps,
      wd: h.weightDecay,
      bc1: bc1 === 0 ? 1 : bc1,
      bc2,
      maxNorm: gradNormSq ? (h.maxGradNorm ?? 0) : 0,
    },
    foldGrid(Math.ceil(param.size / WG)),
  );
}
