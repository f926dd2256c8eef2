// Fused kernel `lcd_langevin_mlp`: several Langevin steps per dispatch with the score network inside, against its
// Float64 twin: Euler–Maruyama and Leimkuhler–Matthews with Philox noise, and the probability flow; 10 rows in two
// environments of 5 particles (a partial last group of 4 rows), two dispatches of 3 steps each.
import { lcdLangevinMlpKernel, type LangevinMlpSteps } from '../../src/lcd/kernels/lcd-langevin-mlp.ts';
import { NoiseSchedule } from '../../src/core/noise-schedule.ts';
import { describeKernel } from '../helpers/conformance.ts';
import { testData } from '../helpers/tolerance.ts';
import { randomStream } from '../../src/core/random-streams.ts';

const [n, d, H, P] = [10, 8, 16, 5];
const inputs = () => [
  { data: testData(n * d, 3, -2, 2), shape: [n, d] },
  { data: testData(d * H, 4, -0.5, 0.5), shape: [d, H] },
  { data: testData(2 * H, 5, -1, 1), shape: [2, H] },
  { data: testData(H * H, 6, -0.3, 0.3), shape: [H, H] },
  { data: testData(2 * H, 7, -1, 1), shape: [2, H] },
  { data: testData(H * d, 8, -0.3, 0.3), shape: [H, d] },
  { data: testData(d, 9, -0.2, 0.2), shape: [d] },
];
const at =
  (t: number, noise: boolean, lm = false) =>
  (dispatch: number): LangevinMlpSteps => {
    const first = 3 * dispatch;
    return {
      level: NoiseSchedule.reference.level(t),
      noise,
      stream: randomStream(11, 'sampler.noise', 1 + first, 2),
      ...(lm ? { prev: randomStream(11, 'sampler.noise', first, 2) } : {}),
      steps: 3,
      particles: P,
    };
  };

describeKernel(lcdLangevinMlpKernel, [
  { label: 'level 3, Euler–Maruyama, 2 dispatches × 3 steps', inputs: inputs(), attrs: at(3, true), steps: 2 },
  { label: 'level 20, Leimkuhler–Matthews, 2 × 3 steps', inputs: inputs(), attrs: at(20, true, true), steps: 2 },
  { label: 'level 29 (σ = 0.01), probability flow', inputs: inputs(), attrs: at(29, false), steps: 2 },
]);
