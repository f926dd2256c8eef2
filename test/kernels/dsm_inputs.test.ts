// Fused kernel `dsm_inputs`: the noise of stream 'dsm.noise', the network input and minus the regression target of a
// DSM batch, against the Float64 definition, with rows at the first, a middle and the last noise level (σ 10 to
// 0.01), d not a multiple of 4 (rows straddle the kernel's blocks of four) and a batch whose size is not either.
import { dsmInputsKernel } from '../../src/lcd/kernels/dsm-inputs.ts';
import { NoiseSchedule } from '../../src/core/noise-schedule.ts';
import { describeKernel } from '../helpers/conformance.ts';
import { testData } from '../helpers/tolerance.ts';
import { randomStream } from '../../src/core/random-streams.ts';

const schedule = NoiseSchedule.reference;
const batch = (N: number, d: number, seed: number) => {
  const cols = new Float64Array(N * 3);
  for (let r = 0; r < N; r++) {
    const l = schedule.level([0, 15, 29][r % 3]!);
    cols.set([l.sigma, (l.s - 1) / l.sigma, l.s], 3 * r);
  }
  return [
    { data: testData(N * d, seed, -3, 3), shape: [N, d] },
    { data: cols, shape: [N, 3] },
  ];
};

describeKernel(dsmInputsKernel, [
  { label: '64 rows × 24 genes', inputs: batch(64, 24, 1), attrs: () => ({ stream: randomStream(3, 'dsm.noise', 7) }) },
  { label: '37 rows × 7 genes', inputs: batch(37, 7, 2), attrs: () => ({ stream: randomStream(0, 'dsm.noise', 0) }) },
]);
