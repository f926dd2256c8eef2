import { describe, it, expect } from 'vitest';
import { CpuBackend } from '../src/ops/cpu-backend.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { makeTrainer, mlpStep } from '../src/nn/train-mlp.ts';
import { testEngine } from './helpers/gpu.ts';
import { testData } from './helpers/tolerance.ts';

const engine = await testEngine();

describe.skipIf(!engine)('LCD-shaped MLP (d → H → H → d, tanh) trained on the GPU', () => {
  it('tracks the Float64 reference loss step for step and learns', async () => {
    const e = engine!;
    const [n, d, H, steps] = [64, 12, 32, 25];
    const x = testData(n * d, 1, -2, 2);
    // Nonlinear target: y = sin(x) rolled by one gene.
    const y = Float64Array.from(x, (_, i) => Math.sin(x[i - (i % d) + (((i % d) + 1) % d)]!));
    const cpu = new CpuBackend(),
      gpu = new WebGPUBackend(e);
    const ref = makeTrainer(cpu, [d, H, H, d], 3, steps);
    const dev = makeTrainer(gpu, [d, H, H, d], 3, steps);
    const xr = cpu.fromArray(x, [n, d]),
      yr = cpu.fromArray(y, [n, d]);
    const xg = gpu.fromArray(x, [n, d]),
      yg = gpu.fromArray(y, [n, d]);
    const live0 = e.liveTensorCount;
    const refLoss: number[] = [],
      gpuLoss: number[] = [];
    for (let s = 0; s < steps; s++) {
      refLoss.push((await cpu.toArray(mlpStep(cpu, ref.mlp, ref.opt, xr, yr)))[0]!);
      gpuLoss.push(await e.scope(async () => (await gpu.toArray(mlpStep(gpu, dev.mlp, dev.opt, xg, yg)))[0]!));
      // No tensor survives a step beyond parameters and optimiser state.
      expect(e.liveTensorCount).toBe(live0);
    }
    for (let s = 0; s < steps; s++)
      expect(Math.abs(gpuLoss[s]! - refLoss[s]!) / refLoss[s]!, `step ${s}`).toBeLessThan(2e-3);
    expect(gpuLoss[steps - 1]!).toBeLessThan(0.5 * gpuLoss[0]!);
    const w = await gpu.toArray(dev.mlp.layers[0]!.w);
    const wr = await cpu.toArray(ref.mlp.layers[0]!.w);
    let maxDiff = 0;
    for (let i = 0; i < w.length; i++) maxDiff = Math.max(maxDiff, Math.abs(w[i]! - wr[i]!));
    expect(maxDiff).toBeLessThan(1e-3);
    [xg, yg, ...dev.mlp.parameters(), ...dev.opt.state().m, ...dev.opt.state().v].forEach((t) => t.dispose());
    expect(e.liveTensorCount).toBe(0);
  });
});
