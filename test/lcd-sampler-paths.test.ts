// The fused sampler step (epilogue biases + lcd_em_update.wgsl) equals the op-by-op composition.
import { lcdEmUpdateKernel } from '../src/lcd/kernels/lcd-em-update.ts';
import { describe, it, expect } from 'vitest';
import { testEngine } from './helpers/gpu.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { ScoreNet } from '../src/lcd/score-net.ts';
import { outputAtUnfused, emUpdateUnfused } from '../src/lcd/sampler-unfused.ts';
import { N_LEVELS, songScale } from '../src/lcd/schedule.ts';
import { expectClose } from './helpers/tolerance.ts';
import { randomStream } from '../src/core/random-streams.ts';
import { annealedSample } from '../src/lcd/sampler.ts';

const engine = await testEngine();
describe.skipIf(!engine)('fused vs op-by-op sampler step', () => {
  it('produce the same network output and the same updated state', async () => {
    const B = new WebGPUBackend(engine!);
    const net = ScoreNet.create(B, { d: 12, H: 16, De: 8, G: 3, L: N_LEVELS }, 3);
    const [E, P] = [3, 5];
    const { inj1, bias2 } = net.envBiases([
      Float64Array.of(1, 0, 0),
      Float64Array.of(0, 1, 1),
      Float64Array.of(0, 0, 0),
    ]);
    const bias1 = net.firstLayerBias(inj1, 7);
    const z = B.randomNormal([E * P, 12], randomStream(1, 'scratch'));
    const s = 0.8,
      o = {
        level: { sigma: 0.6, s: songScale(0.6), alpha: 0.0036 },
        noise: true,
        stream: randomStream(5, 'sampler.noise', 3, 2),
      };
    const gF = net.outputAt(z, s, bias1, bias2, P),
      gU = outputAtUnfused(B, net, z, s, bias1, bias2, P);
    expectClose(await B.toArray(gF), await B.toArray(gU), { atol: 1e-5, rtol: 1e-4 }, 'network output');
    const zU = emUpdateUnfused(B, z, gU, o);
    B.fused(lcdEmUpdateKernel, [z, gF], o);
    expectClose(await B.toArray(z), await B.toArray(zU), { atol: 1e-5, rtol: 1e-4 }, 'updated state');
    expect(z.shape).toEqual(zU.shape);
  });
});

describe.skipIf(!engine)('sampler kernels: one dispatch per level vs the layer path', () => {
  it('annealedSample gives the same cells with kernel fused and layers (EM and LM, several environments)', async () => {
    const B = new WebGPUBackend(engine!);
    // d, H divisible by 4 (the fused kernel's condition); 3 environments × 6 particles: groups of 4 rows straddle
    // environments; 7 steps per level run as one dispatch per level.
    const net = ScoreNet.create(B, { d: 12, H: 16, De: 8, G: 3, L: N_LEVELS }, 3);
    const weights = [Float64Array.of(1, 0, 0), Float64Array.of(0, 1, 1), Float64Array.of(0, 0, 0)];
    for (const integrator of ['em', 'lm'] as const) {
      const o = { stepsPerLevel: 7, lastLevel: 12, seed: 4, integrator, stepScale: 0.05 };
      const zl = await annealedSample(B, net, weights, 6, { ...o, kernel: 'layers' });
      const zf = await annealedSample(B, net, weights, 6, { ...o, kernel: 'fused' });
      expectClose(await B.toArray(zf), await B.toArray(zl), { atol: 2e-4, rtol: 1e-3 }, `${integrator} cells`);
      [zl, zf].forEach((t) => t.dispose());
    }
    // 'auto' measures once per shape and remembers the choice on the engine.
    const za = await annealedSample(B, net, weights, 6, { stepsPerLevel: 2, lastLevel: 1, seed: 1, kernel: 'auto' });
    za.dispose();
    const used = [...engine!.tuning.used.values()].find((c) => c.question === 'sampler d=12 H=16 rows<=32');
    expect(['layers', 'fused']).toContain(used?.choice);
    expect(['measured', 'remembered', 'default']).toContain(used?.source);
  });
});
