// Runs inside headless Chromium: the same engine, kernels checked against the Float64 reference in the page.
import { Engine } from '../../src/gpu/engine.ts';
import { matmul } from '../../src/gpu/kernels/matmul.ts';
import { reduce } from '../../src/gpu/kernels/reduce.ts';
import { randomNormal } from '../../src/gpu/kernels/random.ts';
import * as ref from '../../src/reference/kernels.ts';
import { normalStream } from '../../src/reference/philox.ts';
import { WebGPUBackend } from '../../src/ops/webgpu-backend.ts';
import { CpuBackend } from '../../src/ops/cpu-backend.ts';
import { makeTrainer, mlpStep } from '../../src/nn/train-mlp.ts';

function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>, atol: number): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (atol + Math.abs(want[i]!)));
  return worst;
}

async function run() {
  const e = await Engine.create();
  const data = (n: number, s: number) => Float64Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + s));
  const [M, K, N] = [33, 20, 24];
  const a = data(M * K, 1), b = data(K * N, 2), bias = data(N, 3);
  const results: Record<string, number> = {};
  for (const variant of ['rowu', 'strided', 'tiled'] as const) {
    const c = matmul(e, e.upload(a, [M, K]), e.upload(b, [K, N]), { bias: e.upload(bias, [N]), act: 'tanh', variant });
    results[`matmul_${variant}`] = maxRelErr(await e.read(c), ref.matmul(ref.refArray(a, [M, K]), ref.refArray(b, [K, N]), { bias: ref.refArray(bias, [N]), act: 'tanh' }).data, 1e-5);
  }
  const x = data(6 * 50, 4).map((v) => v * 20);
  results.logsumexp = maxRelErr(await e.read(reduce(e, 'logsumexp', e.upload(x, [6, 50]), 1)), ref.reduce('logsumexp', ref.refArray(x, [6, 50]), 1).data, 1e-5);
  results.philox = maxRelErr(await e.read(randomNormal(e, [1001], 7, 1, 2)), normalStream(1001, 7, 1, 2), 1e-5);
  // Three training steps of a small tanh MLP: GPU loss vs reference loss.
  const gpu = new WebGPUBackend(e), cpu = new CpuBackend();
  const tg = makeTrainer(gpu, [8, 16, 16, 8], 1, 3), tc = makeTrainer(cpu, [8, 16, 16, 8], 1, 3);
  const xs = data(32 * 8, 5), ys = xs.map(Math.cos);
  const lossGpu: number[] = [], lossCpu: number[] = [];
  for (let s = 0; s < 3; s++) {
    lossGpu.push((await gpu.toArray(mlpStep(gpu, tg.mlp, tg.opt, gpu.fromArray(xs, [32, 8]), gpu.fromArray(ys, [32, 8]))))[0]!);
    lossCpu.push((await cpu.toArray(mlpStep(cpu, tc.mlp, tc.opt, cpu.fromArray(xs, [32, 8]), cpu.fromArray(ys, [32, 8]))))[0]!);
  }
  results.mlp_loss = maxRelErr(lossGpu, lossCpu, 1e-6);
  const info = e.info;
  e.destroy();
  return { info, results };
}

(globalThis as { smokeResult?: Promise<unknown> }).smokeResult = run().catch((err: Error) => ({ error: `${err.name}: ${err.message}` }));
