// Fused kernel `score_cond_vjp`: the gradient of score_cond's outputs into its eleven parameters against the Float64
// definition, at the sizes of score_cond's test (ragged table, De below and above H); and written into gradient slots.
import { scoreCondVjpKernel } from '../../src/lcd/kernels/score-cond.ts';
import { describe, it, expect } from 'vitest';
import { describeKernel } from '../helpers/conformance.ts';
import { testEngine } from '../helpers/gpu.ts';
import { condVjpInputs } from './score-cond-inputs.ts';

describeKernel(scoreCondVjpKernel, [
  {
    label: '24 rows, H = 128, De = 128, 6 targets',
    inputs: condVjpInputs({ Lc: 24, H: 128, De: 128, G: 6 }, 1),
    attrs: () => ({}),
  },
  {
    label: '30 rows, H = 16, De = 12, 3 targets',
    inputs: condVjpInputs({ Lc: 30, H: 16, De: 12, G: 3 }, 2),
    attrs: () => ({}),
  },
  {
    label: '32 rows, H = 8, De = 40, 1 target',
    inputs: condVjpInputs({ Lc: 32, H: 8, De: 40, G: 1 }, 3),
    attrs: () => ({}),
  },
]);

const engine = await testEngine();

describe.skipIf(!engine)('score_cond_vjp into gradient slots', () => {
  it('writes into slices of one buffer (the optimiser’s packed gradients) what it returns without them, and returns the slots', async () => {
    const e = engine!;
    const size = { Lc: 24, H: 16, De: 12, G: 3 };
    const xs = condVjpInputs(size, 4).map((x) => e.upload(x!.data, x!.shape));
    const shapes = [[16, 16], [16], [16, 16], [16], [3, 12], [12, 16], [16], [12, 16], [16], [16], [16]];
    const { whole, slices } = e.packed(shapes);
    const fresh = scoreCondVjpKernel.gpu(e, xs, {});
    const into = scoreCondVjpKernel.gpu(e, [...xs, ...slices], {});
    expect(into).toEqual(slices);
    for (let k = 0; k < shapes.length; k++)
      expect([...(await e.read(into[k]!))]).toEqual([...(await e.read(fresh[k]!))]);
    expect(() => scoreCondVjpKernel.gpu(e, [...xs, ...slices.slice(0, 5)], {})).toThrow(/all 11 .* or none/);
    [...xs, ...fresh, whole].forEach((t) => t.dispose());
  });
});
