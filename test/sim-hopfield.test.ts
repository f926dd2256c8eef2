// The Hopfield simulator's fused step (hopfield_em) against its op-by-op step: on an adapter whose products take
// matmul_rowu (the software adapters CI runs on), the chains are bit for bit the op-by-op ones after many steps, so
// screens simulated before the fused step are simulated again exactly; on the f64 backend both paths agree to
// rounding; a width the kernel does not take (d % 4 ≠ 0) runs op by op.
import { describe, expect, it } from 'vitest';
import { testEngine } from './helpers/gpu.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { CpuBackend } from '../src/ops/cpu-backend.ts';
import type { Backend, TensorLike } from '../src/ops/backend.ts';
import { NONLINEAR_DEFAULTS, envBias, sampleHopfieldParams, simulateHopfield } from '../src/sim/nonlinear.ts';
import { hopfieldEmFits } from '../src/sim/kernels/hopfield-em.ts';
import { Rng } from '../src/reference/rng.ts';
import { randomStream } from '../src/core/random-streams.ts';

const engine = await testEngine();

/** Chains of 3 environments (control and two singles) after `steps` steps, by the chosen path. */
async function chains<T extends TensorLike>(B: Backend<T>, d: number, steps: number, opByOp: boolean) {
  const o = { ...NONLINEAR_DEFAULTS, d };
  const p = sampleHopfieldParams(o, new Rng(randomStream(4, 'sim.nonlinear.params')));
  const cells = 40,
    sets = [[], [0], [d - 1]];
  const bias = new Float64Array(sets.length * cells * d);
  sets.forEach((t, e) => {
    const v = envBias(p, t);
    for (let c = 0; c < cells; c++) bias.set(v, (e * cells + c) * d);
  });
  const x0 = B.full([sets.length * cells, d], 0),
    b = B.fromArray(bias, [sets.length * cells, d]);
  const x = simulateHopfield(B, p, x0, b, 0.04, steps, 9, 3, opByOp);
  const out = await B.toArray(x);
  [x0, b, x].forEach((t) => B.dispose(t));
  return out;
}

describe.skipIf(!engine)('Hopfield simulator: fused step vs op-by-op step (GPU)', () => {
  it('200 steps of 120 chains × 24 genes: bit for bit the op-by-op chains where products take matmul_rowu', async () => {
    const B = new WebGPUBackend(engine!);
    const fused = await chains(B, 24, 200, false),
      ops = await chains(B, 24, 200, true);
    expect(fused.every(Number.isFinite)).toBe(true);
    const sd = Math.sqrt(ops.reduce((a, v) => a + v * v, 0) / ops.length);
    expect(sd).toBeGreaterThan(0.3); // the chains moved (noise and drift), so equality is not trivial
    if (engine!.tuning.describe().some((l) => l.startsWith('matmul: rowu'))) expect(fused).toEqual(ops);
    else for (let i = 0; i < ops.length; i++) expect(Math.abs(fused[i]! - ops[i]!)).toBeLessThan(1e-3);
  });
});

describe('Hopfield simulator on the f64 backend', () => {
  it('the fused twin and the op-by-op path agree to rounding (20 steps)', async () => {
    const B = new CpuBackend();
    const fused = await chains(B, 24, 20, false),
      ops = await chains(B, 24, 20, true);
    for (let i = 0; i < ops.length; i++) expect(Math.abs(fused[i]! - ops[i]!)).toBeLessThan(1e-12);
  });
  it('widths the kernel does not take run op by op', async () => {
    expect(hopfieldEmFits(24)).toBe(true);
    expect(hopfieldEmFits(30)).toBe(false);
    expect(hopfieldEmFits(68)).toBe(false);
    const out = await chains(new CpuBackend(), 30, 5, false);
    expect(out.length).toBe(120 * 30);
    expect(out.every(Number.isFinite)).toBe(true);
  });
});
