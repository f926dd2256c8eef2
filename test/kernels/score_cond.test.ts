// Fused kernel `score_cond`: the score network's level table and first two bias rows for one environment against the
// Float64 definition, at the trained-levels table (24 rows), the full padded one (32) and a ragged one (30 rows:
// a last workgroup of two rows), with widths below, at and above one workgroup's lanes.
import { scoreCondKernel } from '../../src/lcd/kernels/score-cond.ts';
import { describeKernel } from '../helpers/conformance.ts';
import { condInputs } from './score-cond-inputs.ts';

describeKernel(scoreCondKernel, [
  {
    label: '24 rows, H = 128, De = 128, 6 targets',
    inputs: condInputs({ Lc: 24, H: 128, De: 128, G: 6 }, 1),
    attrs: () => ({}),
  },
  {
    label: '30 rows, H = 16, De = 12, 3 targets',
    inputs: condInputs({ Lc: 30, H: 16, De: 12, G: 3 }, 2),
    attrs: () => ({}),
  },
  {
    label: '32 rows, H = 384, De = 8, 1 target',
    inputs: condInputs({ Lc: 32, H: 384, De: 8, G: 1 }, 3),
    attrs: () => ({}),
  },
]);
