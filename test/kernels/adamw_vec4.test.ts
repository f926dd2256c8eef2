// Fused kernel `adamw_vec4`: the cases of adamw-cases.ts on the GPU and on the Float64 reference, and bit for bit
// adamw's values (the same per-element arithmetic, shaders/adamw_elem.wgsl, loaded four at a time).
import { describe, it, expect } from 'vitest';
import { adamwKernel, adamwVec4Kernel, type AdamWHyper } from '../../src/nn/kernels/adamw.ts';
import type { Engine } from '../../src/gpu/engine.ts';
import { describeKernel } from '../helpers/conformance.ts';
import { testEngine } from '../helpers/gpu.ts';
import { testData } from '../helpers/tolerance.ts';
import { adamwCases } from './adamw-cases.ts';

describeKernel(adamwVec4Kernel, adamwCases);

const engine = await testEngine();

describe.skipIf(!engine)('adamw_vec4 against adamw', () => {
  it.each(adamwCases.map((c) => [c.label, c] as const))('%s: the same bits for param, m and v', async (_, c) => {
    const e = engine as Engine;
    const run = async (kernel: typeof adamwKernel) => {
      const xs = c.inputs.map((x) => (x ? e.upload(x.data, x.shape) : undefined));
      let out = xs.slice(0, 4);
      for (let s = 0; s < (c.steps ?? 1); s++) {
        for (const [i, values] of Object.entries(c.feed?.(s) ?? {})) {
          xs[Number(i)]?.dispose();
          xs[Number(i)] = e.upload(values, c.inputs[Number(i)]!.shape);
        }
        out = kernel.gpu(e, xs, c.attrs(s));
      }
      const values = await Promise.all(out.map((t) => e.read(t!)));
      xs.forEach((t) => t?.dispose());
      return values;
    };
    const scalar = await run(adamwKernel),
      vec4 = await run(adamwVec4Kernel);
    vec4.forEach((v, k) => expect([...v], adamwKernel.outputs[k]).toEqual([...scalar[k]!]));
  });

  it('refuses a length that is not a multiple of 4, naming the scalar kernel', () => {
    const e = engine as Engine;
    const t = (n: number) => e.upload(testData(n, n), [n]);
    const xs = [t(6), t(6), t(6), t(6)];
    const h: AdamWHyper = { lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8, weightDecay: 0, step: 1 };
    expect(() => adamwVec4Kernel.gpu(e, xs, h)).toThrow(/6 parameters, not a multiple of 4 \(use adamw\)/);
    xs.forEach((x) => x.dispose());
  });
});
