// Seconds per sampler step on each path, for the lcd and clipr suites: 'layers' (3 matmuls with fused epilogues + the
// fused update: 4 dispatches per step), 'network' (lcd_langevin_mlp: `perDispatch` steps in one dispatch, the network
// in workgroup memory) and 'op-by-op' (separate primitives: the comparison point). Rows are environment-major,
// `particles` per environment with the per-environment biases bias1, bias2 [E×H]; one noise level.
import type { Engine } from '../src/gpu/engine.ts';
import type { GpuTensor } from '../src/gpu/tensor.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import type { ScoreNet } from '../src/lcd/score-net.ts';
import { lcdEmUpdateKernel } from '../src/lcd/kernels/lcd-em-update.ts';
import { lcdLangevinMlpKernel } from '../src/lcd/kernels/lcd-langevin-mlp.ts';
import { outputAtUnfused, emUpdateUnfused } from '../src/lcd/sampler-unfused.ts';
import type { NoiseLevel } from '../src/core/noise-schedule.ts';
import { randomStream } from '../src/core/random-streams.ts';
import { timeGpu } from './harness.ts';

export type SamplerPath = 'layers' | 'network' | 'op-by-op';

export async function samplerStepSeconds(
  e: Engine,
  net: ScoreNet<GpuTensor>,
  biases: { bias1: GpuTensor; bias2: GpuTensor },
  particles: number,
  /** The initial state [rows × d]; owned by this call (the op-by-op path replaces it) and disposed at the end. */
  z0: GpuTensor,
  o: { level: Pick<NoiseLevel, 'sigma' | 's' | 'alpha'>; noise: boolean },
  paths: readonly SamplerPath[],
  perDispatch = 20,
): Promise<Partial<Record<SamplerPath, number>>> {
  const B = new WebGPUBackend(e);
  const { bias1, bias2 } = biases;
  const p = net.params;
  let z = z0;
  let k = 1;
  const step: Record<SamplerPath, () => void> = {
    layers: () => {
      const g = net.outputAt(z, o.level.s, bias1, bias2, particles);
      B.fused(lcdEmUpdateKernel, [z, g], { ...o, stream: randomStream(1, 'scratch', k++) });
      g.dispose();
    },
    network: () => {
      B.fused(lcdLangevinMlpKernel, [z, p['mlp.w1'], bias1, p['mlp.w2'], bias2, p['mlp.w3'], p['mlp.b3']], {
        ...o,
        stream: randomStream(1, 'scratch', k),
        steps: perDispatch,
        particles,
      });
      k += perDispatch;
    },
    'op-by-op': () => {
      const next = e.scope(() =>
        emUpdateUnfused(B, z, outputAtUnfused(B, net, z, o.level.s, bias1, bias2, particles), {
          ...o,
          stream: randomStream(1, 'scratch', k++),
        }),
      );
      z.dispose();
      z = next;
    },
  };
  const out: Partial<Record<SamplerPath, number>> = {};
  for (const path of paths) {
    const s = await timeGpu(
      e,
      () => {
        step[path]();
        e.flush();
      },
      { targetS: 1 },
    );
    out[path] = path === 'network' ? s / perDispatch : s;
  }
  z.dispose();
  return out;
}
