// Fused kernel `ema_vec4`: ema's step four elements per invocation, against the Float64 reference and bit for bit
// against `ema` (the same expression per component), and a length that is not a multiple of 4 refused.
import { describe, it, expect } from 'vitest';
import { emaKernel, emaVec4Kernel } from '../../src/nn/kernels/ema.ts';
import type { Engine } from '../../src/gpu/engine.ts';
import { describeKernel } from '../helpers/conformance.ts';
import { testEngine } from '../helpers/gpu.ts';
import { testData } from '../helpers/tolerance.ts';

const n = 1024;
const params = [testData(n, 41), testData(n, 42), testData(n, 43)];
const decays = [0.1, 0.5, 0.999];

describeKernel(emaVec4Kernel, [
  {
    label: 'three steps, decay 0.1 → 0.5 → 0.999',
    inputs: [
      { data: testData(n, 40), shape: [n] },
      { data: params[0]!, shape: [n] },
    ],
    attrs: (s) => ({ decay: decays[s]! }),
    steps: 3,
    feed: (s) => ({ 1: params[s]! }),
  },
]);

const engine = await testEngine();

describe.skipIf(!engine)('ema_vec4 against ema', () => {
  it('the same bits over three steps', async () => {
    const e = engine as Engine;
    const run = async (kernel: typeof emaKernel) => {
      const avg = e.upload(testData(n, 40), [n]);
      for (let s = 0; s < 3; s++) {
        const p = e.upload(params[s]!, [n]);
        kernel.gpu(e, [avg, p], { decay: decays[s]! });
        p.dispose();
      }
      const v = await e.read(avg);
      avg.dispose();
      return v;
    };
    expect([...(await run(emaVec4Kernel))]).toEqual([...(await run(emaKernel))]);
  });

  it('refuses a length that is not a multiple of 4, naming the scalar kernel', () => {
    const e = engine as Engine;
    const a = e.upload(testData(6, 1), [6]),
      p = e.upload(testData(6, 2), [6]);
    expect(() => emaVec4Kernel.gpu(e, [a, p], { decay: 0.5 })).toThrow(/not a multiple of 4 \(use ema\)/);
    a.dispose();
    p.dispose();
  });
});
