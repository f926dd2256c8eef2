// Fused kernel `lcd_em_update`: Langevin steps at a high, a middle and the last noise level, with Philox noise (the
// GPU and the f64 twin draw the same stream) and without (the probability flow), and the Leimkuhler–Matthews form
// (previous step's noise drawn again), on a state of 1,000 elements.
import { lcdEmUpdateKernel } from '../../src/lcd/kernels/lcd-em-update.ts';
import { NoiseSchedule } from '../../src/core/noise-schedule.ts';
import type { EmStep } from '../../src/core/noise-schedule.ts';
import { describeKernel } from '../helpers/conformance.ts';
import { testData } from '../helpers/tolerance.ts';
import { randomStream } from '../../src/core/random-streams.ts';

const n = 1000;
const inputs = () => [
  { data: testData(n, 3, -2, 2), shape: [250, 4] },
  { data: testData(n, 4, -1, 1), shape: [250, 4] },
];
const at =
  (t: number, noise: boolean, lm = false) =>
  (s: number): EmStep => ({
    level: NoiseSchedule.reference.level(t),
    noise,
    stream: randomStream(11, 'sampler.noise', 1 + s, 2),
    ...(lm ? { prev: randomStream(11, 'sampler.noise', s, 2) } : {}),
  });

describeKernel(lcdEmUpdateKernel, [
  { label: 'level 0 (σ = 10), noise on, 3 steps', inputs: inputs(), attrs: at(0, true), steps: 3 },
  { label: 'level 15, noise on, 3 steps', inputs: inputs(), attrs: at(15, true), steps: 3 },
  {
    label: "level 15, Leimkuhler–Matthews (this and the previous step's noise), 3 steps",
    inputs: inputs(),
    attrs: at(15, true, true),
    steps: 3,
  },
  { label: 'level 29 (σ = 0.01), probability flow (noise off)', inputs: inputs(), attrs: at(29, false), steps: 2 },
]);
