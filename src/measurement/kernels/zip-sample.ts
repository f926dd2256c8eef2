// Fused kernel `zip_sample` (shaders/zip_sample.wgsl): counts from latent states through the zero-inflated Poisson
// measurement (spec §3.1): λ = u_g·softplus(s), x ~ Poisson(λ) (inversion below 10, PTRS above), then x ← 0 with
// probability π_g = sigmoid(logitPi_g) (or, with slopes β, the state-dependent π = sigmoid(logitPi_g + β_g·(log λ − log u_g)),
// likelihood.ts); Philox noise from a named stream (redraw rounds in counter word 3). The Float64 twin below runs the same algorithm
// on the same Philox bits; f32 rounding may flip a draw at a CDF boundary, so the conformance check asks for
// ≥ 99.5 % identical draws. Test: test/kernels/zip_sample.test.ts.
import type { Engine } from '../../gpu/engine.ts';
import { foldGrid } from '../../gpu/grid.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import { streamParams } from '../../gpu/kernels/random.ts';
import { counterWords, keyWords, type RandomStream } from '../../core/random-streams.ts';
import { ShapeError } from '../../core/errors.ts';
import { philox4x32, u01 } from '../../reference/philox.ts';
import { softplus, ptrsTry } from '../../reference/scalar.ts';
import { refArray } from '../../reference/kernels.ts';
import { input, type FusedKernel } from '../../ops/fused-kernel.ts';

const WG = 64;

/** The zero-inflation logit of a draw at rate λ (slope absent: the per-gene logit), as the shader computes it. */
const zeroLogit = (logit: number, lam: number, u: number, slope?: number) =>
  slope === undefined ? logit : logit + slope * (Math.log(lam + 1e-20) - Math.log(u));

/** counts[i, g] ~ ZIP(u_g · softplus(states[i, g]), π), π = sigmoid(logitPi_g) or with `slope` the state-dependent
 *  one; element i draws block (i, c1, c2, c3 + round) of the stream. */
export function zipSample(
  e: Engine,
  states: GpuTensor,
  unitScale: GpuTensor,
  logitPi: GpuTensor,
  stream: RandomStream,
  slope?: GpuTensor,
): GpuTensor {
  const d = states.shape.at(-1)!;
  if (unitScale.size !== d || logitPi.size !== d || (slope && slope.size !== d))
    throw new ShapeError(
      `zip_sample: states have ${d} genes but unit scale ${unitScale.size}, logits ${logitPi.size}${slope ? ` and slopes ${slope.size}` : ''}`,
    );
  const out = e.empty(states.shape, 'zip-counts');
  e.dispatch(
    'zip_sample',
    { WG, HAS_SLOPE: !!slope },
    [states, unitScale, logitPi, slope ?? null, out],
    { n: states.size, d, ...streamParams(stream) },
    foldGrid(Math.ceil(states.size / WG)),
  );
  return out;
}

// log k! as the shader computes it (exact below 10, Stirling above), not the exact sum of reference/scalar.ts.
function logFactorialStirling(k: number): number {
  if (k < 10) {
    let s = 0;
    for (let j = 2; j <= k; j++) s += Math.log(j);
    return s;
  }
  const n = k + 1;
  return (n - 0.5) * Math.log(n) - n + 0.9189385332046727 + 1 / (12 * n) - 1 / (360 * n * n * n);
}

export function zipSampleRef(
  states: ArrayLike<number>,
  d: number,
  unitScale: ArrayLike<number>,
  logitPi: ArrayLike<number>,
  stream: RandomStream,
  slope?: ArrayLike<number>,
): Float64Array {
  const key = keyWords(stream);
  const [c1, c2, c3] = counterWords(stream);
  const out = new Float64Array(states.length);
  for (let i = 0; i < states.length; i++) {
    const g = i % d,
      lam = unitScale[g]! * softplus(states[i]!),
      pi = 1 / (1 + Math.exp(-zeroLogit(logitPi[g]!, lam, unitScale[g]!, slope?.[g])));
    const b0 = philox4x32([i, c1, c2, c3], key);
    if (u01(b0[0]) < pi || !(lam > 0)) continue;
    if (lam < 10) {
      const u = u01(b0[1]);
      let k = 0,
        pk = Math.exp(-lam),
        c = pk;
      while (u > c && k < 200) {
        k++;
        pk *= lam / k;
        c += pk;
      }
      out[i] = k;
      continue;
    }
    out[i] = Math.round(lam);
    for (let j = 1; j < 256; j++) {
      const bits = philox4x32([i, c1, c2, c3 + j], key);
      let k = ptrsTry(lam, u01(bits[0]), u01(bits[1]), logFactorialStirling);
      if (k < 0) k = ptrsTry(lam, u01(bits[2]), u01(bits[3]), logFactorialStirling);
      if (k >= 0) {
        out[i] = k;
        break;
      }
    }
  }
  return out;
}

export interface ZipSampleAttrs {
  stream: RandomStream;
}

export const zipSampleKernel: FusedKernel<ZipSampleAttrs> = {
  name: 'zip_sample',
  inputs: ['states [n × d]', 'unitScale [d]', 'logitPi [d]', 'slope [d] (optional)'],
  outputs: ['counts [n × d]'],
  summary: 'zero-inflated Poisson counts from latent states (inversion below λ = 10, PTRS above), Philox noise',
  tolerance: { identicalFraction: 0.995 },
  gpu(e, xs, a) {
    return [zipSample(e, input(this, xs, 0), input(this, xs, 1), input(this, xs, 2), a.stream, xs[3])];
  },
  reference(xs, a) {
    const s = input(this, xs, 0);
    const d = s.shape.at(-1)!;
    const ref = zipSampleRef(s.data, d, input(this, xs, 1).data, input(this, xs, 2).data, a.stream, xs[3]?.data);
    return [refArray(ref, s.shape)];
  },
};
