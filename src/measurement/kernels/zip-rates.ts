// Fused kernels `zip_rates` and `zip_rates_vjp` (shaders/zip_rates.wgsl, shaders/zip_rates_vjp.wgsl): the count
// prior's rate terms R = u·softplus(S), L = log(R + 1e-20), H = softplus(−R − θ) + log π from the generator's states
// in one pass (seven elementwise passes before), and their gradient in one more (with θ's per-element terms, summed
// over states by the caller). likelihood.ts's zipRates puts them on the tape. Tests:
// test/kernels/zip_rates.test.ts, test/kernels/zip_rates_vjp.test.ts.
import type { Engine } from '../../gpu/engine.ts';
import { foldGrid } from '../../gpu/grid.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import { ShapeError } from '../../core/errors.ts';
import type { RefArray } from '../../reference/kernels.ts';
import { input, type FusedKernel } from '../../ops/fused-kernel.ts';
import { softplus, sigmoid } from '../../reference/scalar.ts';

const WG = 64;

/** [M, d] of the states, after checking that u and θ (and β, zip-rates-state.ts) hold d values each. */
export function dims(
  name: string,
  S: { shape: readonly number[] },
  u: { shape: readonly number[] },
  t: { shape: readonly number[] },
  b?: { shape: readonly number[] },
) {
  const size = (x: { shape: readonly number[] }) => x.shape.reduce((a, b) => a * b, 1);
  const d = S.shape.at(-1)!;
  if (S.shape.length !== 2 || size(u) !== d || size(t) !== d || (b && size(b) !== d && size(b) !== 1))
    throw new ShapeError(
      `${name}: states [${S.shape.join('×')}] must be [M×d] with u [${u.shape.join('×')}] and θ [${t.shape.join('×')}] of d values${b ? ` and β [${b.shape.join('×')}] of d values or one` : ''}`,
    );
  return [S.shape[0]!, d] as const;
}

export const zipRatesKernel: FusedKernel<Record<string, never>> = {
  name: 'zip_rates',
  inputs: ['S [M×d] generator states', 'u [d] unit scaling', 'theta [d] zero-inflation logits'],
  outputs: ['R = u·softplus(S)', 'L = log(R + 1e-20)', 'H = softplus(−R − θ) − softplus(−θ)'],
  summary: "the count prior's rates and their log and zero terms, in one pass",
  tolerance: { atol: 1e-5, rtol: 1e-4 }, // elementwise transcendentals (test/helpers/tolerance.ts TOL.transcendental)
  gpu(e: Engine, xs): GpuTensor[] {
    const [S, u, t] = [input(this, xs, 0), input(this, xs, 1), input(this, xs, 2)];
    const [, d] = dims(this.name, S, u, t);
    const out = ['R', 'L', 'H'].map((k) => e.empty(S.shape, `zip.${k}`));
    e.dispatch('zip_rates', { WG }, [S, u, t, ...out], { n: S.size, d }, foldGrid(Math.ceil(S.size / WG)));
    return out;
  },
  reference(xs): RefArray[] {
    const [S, u, t] = [input(this, xs, 0), input(this, xs, 1), input(this, xs, 2)];
    const [, d] = dims(this.name, S, u, t);
    const [R, L, H] = [0, 0, 0].map(() => new Float64Array(S.data.length));
    for (let i = 0; i < S.data.length; i++) {
      const g = i % d,
        r = softplus(S.data[i]!) * u.data[g]!;
      R[i] = r;
      L[i] = Math.log(r + 1e-20);
      H[i] = softplus(-r - t.data[g]!) - softplus(-t.data[g]!);
    }
    return [R!, L!, H!].map((data) => ({ data, shape: [...S.shape] }));
  },
};

export const zipRatesVjpKernel: FusedKernel<Record<string, never>> = {
  name: 'zip_rates_vjp',
  inputs: ['S [M×d]', 'u [d]', 'theta [d]', 'gR (optional)', 'gL (optional)', 'gH (optional)'],
  outputs: ['gS [M×d]', "gT [M×d]: θ's gradient terms (sum over states)"],
  summary: 'the gradient of zip_rates to the states, and per element to θ, in one pass',
  tolerance: { atol: 1e-5, rtol: 1e-4 },
  gpu(e: Engine, xs): GpuTensor[] {
    const [S, u, t] = [input(this, xs, 0), input(this, xs, 1), input(this, xs, 2)];
    const [, d] = dims(this.name, S, u, t);
    const [gR, gL, gH] = [xs[3], xs[4], xs[5]];
    for (const g of [gR, gL, gH])
      if (g && g.size !== S.size) throw new ShapeError(`${this.name}: a cotangent [${g.shape.join('×')}] is not [M×d]`);
    const gS = e.empty(S.shape, 'zip.gS'),
      gT = e.empty(S.shape, 'zip.gT');
    e.dispatch(
      'zip_rates_vjp',
      { WG, HAS_GR: !!gR, HAS_GL: !!gL, HAS_GH: !!gH },
      [S, u, t, gR ?? null, gL ?? null, gH ?? null, gS, gT],
      { n: S.size, d },
      foldGrid(Math.ceil(S.size / WG)),
    );
    return [gS, gT];
  },
  reference(xs): RefArray[] {
    const [S, u, t] = [input(this, xs, 0), input(this, xs, 1), input(this, xs, 2)];
    const [, d] = dims(this.name, S, u, t);
    const [gR, gL, gH] = [xs[3], xs[4], xs[5]];
    const gS = new Float64Array(S.data.length),
      gT = new Float64Array(S.data.length);
    for (let i = 0; i < S.data.length; i++) {
      const g = i % d,
        s = S.data[i]!,
        ug = u.data[g]!,
        th = t.data[g]!,
        r = softplus(s) * ug,
        st = sigmoid(-r - th),
        h = gH?.data[i] ?? 0;
      const gr = (gR?.data[i] ?? 0) + (gL?.data[i] ?? 0) / (r + 1e-20) - h * st;
      gS[i] = gr * ug * sigmoid(s);
      gT[i] = h * (sigmoid(-th) - st);
    }
    return [
      { data: gS, shape: [...S.shape] },
      { data: gT, shape: [...S.shape] },
    ];
  },
};
