// Engine benchmarks: matmul GFLOP/s beside a plain-JS loop, per-dispatch cost, MLP training step.
import type { Engine } from '../src/gpu/engine.ts';
import { matmul, type MatmulVariant } from '../src/gpu/kernels/matmul.ts';
import { fill } from '../src/gpu/kernels/elementwise.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { makeTrainer, mlpStep } from '../src/nn/train-mlp.ts';
import { record, timeGpu, timeCpu } from './harness.ts';

/** Plain-JS ikj f32 matmul over the first `rows` rows (the rate is per FLOP, so a row subset is representative). */
function jsMatmulRate(B: number, d: number, H: number): number {
  const rows = Math.min(B, Math.max(4, Math.round(2e8 / (2 * d * H)))); // ≈0.2 GFLOP per call
  const a = Float32Array.from({ length: rows * d }, (_, i) => Math.sin(i));
  const b = Float32Array.from({ length: d * H }, (_, i) => Math.cos(i));
  const c = new Float32Array(rows * H);
  const s = timeCpu(
    () => {
      c.fill(0);
      for (let i = 0; i < rows; i++)
        for (let k = 0; k < d; k++) {
          const aik = a[i * d + k]!,
            bo = k * H,
            co = i * H;
          for (let j = 0; j < H; j++) c[co + j]! += aik * b[bo + j]!;
        }
    },
    { targetS: 0.3, samples: 3 },
  );
  return (2 * rows * d * H) / s / 1e9;
}

function gpuMatmulRate(e: Engine, B: number, d: number, H: number, variant?: MatmulVariant, transB = false) {
  const a = fill(e, e.empty([B, d]), 0.01),
    b = fill(e, e.empty(transB ? [H, d] : [d, H]), 0.02);
  const outs: { dispose(): void }[] = [];
  return timeGpu(
    e,
    () => {
      outs.push(matmul(e, a, b, { variant, transB }));
    },
    { targetS: 0.5 },
  ).then((s) => {
    outs.forEach((o) => o.dispose());
    a.dispose();
    b.dispose();
    return (2 * B * d * H) / s / 1e9;
  });
}

export async function engineBenchmarks(e: Engine, quick: boolean): Promise<void> {
  const dev = { adapter: e.info.description || e.info.architecture, backend: e.info.backend };
  // --- matmul grid, GPU beside plain JS in the same run
  const grid: [number, number, number][] = [];
  for (const B of [1024, 8192]) for (const d of [100, 1000]) for (const H of [256, 1024]) grid.push([B, d, H]);
  for (const [B, d, H] of quick ? grid.slice(0, 2) : grid) {
    const gpu = await gpuMatmulRate(e, B, d, H);
    const js = jsMatmulRate(B, d, H);
    record({ name: 'matmul_gpu', value: gpu, unit: 'GFLOP/s', B, d, H, ...dev });
    record({ name: 'matmul_js', value: js, unit: 'GFLOP/s', B, d, H });
    record({ name: 'matmul_speedup_vs_js', value: gpu / js, unit: 'x', B, d, H });
  }
  // --- kernel variants on one shape (all on this adapter), incl. the transposed-B path of the backward pass
  if (!quick) {
    for (const variant of ['rowu', 'strided', 'tiled'] as const) {
      record({
        name: `matmul_variant_${variant}`,
        value: await gpuMatmulRate(e, 1024, 1000, 256, variant),
        unit: 'GFLOP/s',
        B: 1024,
        d: 1000,
        H: 256,
        ...dev,
      });
    }
    record({
      name: 'matmul_transB_auto',
      value: await gpuMatmulRate(e, 1024, 1000, 256, undefined, true),
      unit: 'GFLOP/s',
      B: 1024,
      d: 1000,
      H: 256,
      ...dev,
    });
  }
  // --- amortised cost of a dispatch inside one encoder (tiny kernel, 1000 dispatches per submit)
  const t = e.empty([64]);
  const per = await timeGpu(
    e,
    () => {
      for (let i = 0; i < 1000; i++) fill(e, t, i);
    },
    { targetS: 0.3 },
  );
  t.dispose();
  record({
    name: 'dispatch_amortized',
    value: (per / 1000) * 1e6,
    unit: 'us/dispatch',
    dispatches_per_submit: 1000,
    ...dev,
  });
  // --- MLP (d → H → H → d, tanh) forward + backward + AdamW, one command encoder per step
  for (const [d, H, batch] of quick
    ? [[100, 256, 1024]]
    : [
        [100, 256, 1024],
        [1000, 1024, 1024],
      ]) {
    const gpu = new WebGPUBackend(e);
    const { mlp, opt } = makeTrainer(gpu, [d!, H!, H!, d!], 0, 1000);
    const x = fill(e, e.empty([batch!, d!]), 0.1),
      y = fill(e, e.empty([batch!, d!]), 0.2);
    const s = await timeGpu(
      e,
      () =>
        e.scope(() => {
          mlpStep(gpu, mlp, opt, x, y);
        }),
      { targetS: 1, samples: 3, maxReps: 50 },
    );
    const flop = 3 * 2 * batch! * (d! * H! + H! * H! + H! * d!); // forward + two backward matmuls per layer
    record({ name: 'mlp_train_step', value: s * 1e3, unit: 'ms/step', d: d!, H: H!, batch: batch!, ...dev });
    record({
      name: 'mlp_train_step_gflops',
      value: flop / s / 1e9,
      unit: 'GFLOP/s',
      d: d!,
      H: H!,
      batch: batch!,
      ...dev,
    });
    [x, y, ...mlp.parameters(), ...opt.state().m, ...opt.state().v].forEach((z) => z.dispose());
  }
}
