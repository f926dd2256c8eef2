// Fused kernel `ema`: three steps with new parameters each and a warming-up decay, on the GPU and on the Float64
// reference.
import { emaKernel } from '../../src/nn/kernels/ema.ts';
import { describeKernel } from '../helpers/conformance.ts';
import { testData } from '../helpers/tolerance.ts';

const n = 300;
const params = [testData(n, 31), testData(n, 32), testData(n, 33)];

describeKernel(emaKernel, [
  {
    label: 'three steps, decay 0.1 → 0.5 → 0.9',
    inputs: [
      { data: testData(n, 30), shape: [n] },
      { data: params[0]!, shape: [n] },
    ],
    attrs: (s) => ({ decay: [0.1, 0.5, 0.9][s]! }),
    steps: 3,
    feed: (s) => ({ 1: params[s]! }),
  },
  {
    label: 'a [20×15] average of a [300] buffer (sizes agree)',
    inputs: [
      { data: testData(n, 34), shape: [20, 15] },
      { data: params[1]!, shape: [n] },
    ],
    attrs: () => ({ decay: 0.99 }),
    steps: 1,
  },
]);
