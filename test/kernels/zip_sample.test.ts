// Fused kernel `zip_sample`: draw for draw against its Float64 twin at rates from 0.01 to 1000 (inversion and PTRS),
// with and without zero inflation. The moments of the draws are checked in test/measurement.test.ts.
import { zipSampleKernel } from '../../src/measurement/kernels/zip-sample.ts';
import { softplus } from '../../src/reference/scalar.ts';
import { describeKernel } from '../helpers/conformance.ts';
import { randomStream } from '../../src/core/random-streams.ts';

const lambdas = [0.01, 0.3, 2, 9.5, 10.5, 50, 1000],
  d = lambdas.length,
  n = 2000;
const states = { data: new Float64Array(n * d).fill(1.3), shape: [n, d] };
const unit = { data: lambdas.map((l) => l / softplus(1.3)), shape: [d] }; // u·softplus(1.3) = λ
const logits = (v: number) => ({ data: new Array<number>(d).fill(v), shape: [d] });

describeKernel(zipSampleKernel, [
  {
    label: 'pure Poisson (π ≈ 0)',
    inputs: [states, unit, logits(-30)],
    attrs: () => ({ stream: randomStream(17, 'decode.counts', 3, 1) }),
  },
  {
    label: 'zero inflation π = 0.3',
    inputs: [states, unit, logits(Math.log(0.3 / 0.7))],
    attrs: () => ({ stream: randomStream(5, 'decode.counts') }),
  },
]);
