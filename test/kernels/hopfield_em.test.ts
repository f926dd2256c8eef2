// Fused kernel `hopfield_em`: Euler–Maruyama steps of the Hopfield simulator on 60 chains of 24 genes (a symmetric
// coupling, per-chain biases, states in the saturating range of tanh), with the step's Philox noise drawn by the GPU
// and the f64 twin alike, over several steps (the kernel updates the chains in place).
import { hopfieldEmKernel } from '../../src/sim/kernels/hopfield-em.ts';
import { describeKernel } from '../helpers/conformance.ts';
import { testData } from '../helpers/tolerance.ts';
import { randomStream } from '../../src/core/random-streams.ts';

const [n, d] = [60, 24];
const coupling = testData(d * d, 5, -2, 2);
for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) coupling[i * d + j] = coupling[j * d + i]!; // J symmetric
const inputs = () => [
  { data: coupling, shape: [d, d] },
  { data: testData(n * d, 6, -4, 4), shape: [n, d] },
  { data: testData(n * d, 7, -3, 3), shape: [n, d] },
];
const at = (dt: number) => (s: number) => ({ dt, stream: randomStream(3, 'sim.nonlinear.noise', s) });

describeKernel(hopfieldEmKernel, [
  { label: 'dt 0.04 (the built-in screen), 4 steps', inputs: inputs(), attrs: at(0.04), steps: 4 },
  { label: 'dt 0.002, 2 steps', inputs: inputs(), attrs: at(0.002), steps: 2 },
]);
