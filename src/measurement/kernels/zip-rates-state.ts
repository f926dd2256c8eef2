// Fused kernels `zip_rates_state` and `zip_rates_state_vjp` (shaders/zip_rates_state.wgsl and its _vjp): the count
// prior's rate terms when the zero inflation depends on the state, logit π = θ_g + β_g·(log ρ − log u_g), so that a
// gene whose expression falls also drops out more often (as in droplet data and in the network simulators, where the
// dropout probability is a logistic function of log expression). Outputs NH = N + H, the x > 0 term
// N = ρ + softplus(ν) (−ρ + log(1 − π)) plus the zero term H, L = log ρ, and H (whose row sums the likelihood's
// second product adds): ℓ = X·Lᵀ − NZ·NHᵀ + 1·hᵀ, the three products X·Lᵀ − NZ·Nᵀ + Z·Hᵀ in two since Z = 1 − NZ.
// The gradient to the states and, per element, to θ and β (summed over states by the caller), from the cotangents of
// NH, L and h. β = 0 gives zip_rates's likelihood. likelihood.ts's zipRatesState puts them on the tape.
// Tests: test/kernels/zip_rates_state.test.ts, test/kernels/zip_rates_state_vjp.test.ts.
import type { Engine } from '../../gpu/engine.ts';
import { foldGrid } from '../../gpu/grid.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import { ShapeError } from '../../core/errors.ts';
import type { RefArray } from '../../reference/kernels.ts';
import { input, type FusedKernel } from '../../ops/fused-kernel.ts';
import { softplus, sigmoid } from '../../reference/scalar.ts';
import { dims } from './zip-rates.ts';

const WG = 64;

/** The inputs both kernels share (states, u, θ, β), checked; the number of genes; and the stride of β: 1 for a slope
 *  per gene, 0 for one slope that every gene reads (so a shared slope needs no copy per gene). */
function stateInputs<X extends { shape: readonly number[] }>(
  k: { name: string; inputs: readonly string[] },
  xs: readonly (X | undefined)[],
) {
  const [S, u, t, b] = [0, 1, 2, 3].map((i) => input(k, xs, i)) as [X, X, X, X];
  const [, d] = dims(k.name, S, u, t, b);
  const bstride = b.shape.reduce((a, n) => a * n, 1) === 1 ? 0 : 1;
  return { S, u, t, b, d, bstride };
}

export const zipRatesStateKernel: FusedKernel<Record<string, never>> = {
  name: 'zip_rates_state',
  inputs: [
    'S [M×d] generator states',
    'u [d] unit scaling',
    'theta [d] zero-inflation logits',
    'beta [d] their slopes, or [1] one slope for every gene',
  ],
  outputs: ['NH = N + H, N = R + softplus(ν)', 'L = log(R + 1e-20)', 'H = softplus(−R − ν) − softplus(−ν)'],
  summary: "the count prior's rate terms under a state-dependent zero inflation, in one pass",
  tolerance: { atol: 1e-5, rtol: 1e-4 }, // elementwise transcendentals (test/helpers/tolerance.ts TOL.transcendental)
  gpu(e: Engine, xs): GpuTensor[] {
    const { S, u, t, b, d, bstride } = stateInputs(this, xs);
    const out = ['NH', 'L', 'H'].map((k) => e.empty(S.shape, `zip.${k}`));
    const params = { n: S.size, d, bstride };
    e.dispatch('zip_rates_state', { WG }, [S, u, t, b, ...out], params, foldGrid(Math.ceil(S.size / WG)));
    return out;
  },
  reference(xs): RefArray[] {
    const { S, u, t, b, d, bstride } = stateInputs(this, xs);
    const [NH, L, H] = [0, 0, 0].map(() => new Float64Array(S.data.length));
    for (let i = 0; i < S.data.length; i++) {
      const g = i % d,
        r = softplus(S.data[i]!) * u.data[g]!,
        l = Math.log(r + 1e-20),
        nu = t.data[g]! + b.data[g * bstride]! * (l - Math.log(u.data[g]!));
      H[i] = softplus(-r - nu) - softplus(-nu);
      NH[i] = r + softplus(nu) + H[i]!;
      L[i] = l;
    }
    return [NH!, L!, H!].map((data) => ({ data, shape: [...S.shape] }));
  },
};

export const zipRatesStateVjpKernel: FusedKernel<Record<string, never>> = {
  name: 'zip_rates_state_vjp',
  inputs: [
    'S [M×d]',
    'u [d]',
    'theta [d]',
    'beta [d] or [1]',
    'gNH (optional)',
    'gL (optional)',
    'ghRow [M] (optional): the cotangent of H’s row sums',
  ],
  outputs: ['gS [M×d]', "gT [M×d]: θ's gradient terms (sum over states)", "gB [M×d]: β's gradient terms"],
  summary: 'the gradient of zip_rates_state to the states, and per element to θ and β, in one pass',
  tolerance: { atol: 1e-5, rtol: 1e-4 },
  gpu(e: Engine, xs): GpuTensor[] {
    const { S, u, t, b, d, bstride } = stateInputs(this, xs);
    const [gNH, gL, ghRow] = [xs[4], xs[5], xs[6]];
    for (const g of [gNH, gL])
      if (g && g.size !== S.size) throw new ShapeError(`${this.name}: a cotangent [${g.shape.join('×')}] is not [M×d]`);
    if (ghRow && ghRow.size * d !== S.size)
      throw new ShapeError(`${this.name}: the row sums' cotangent [${ghRow.shape.join('×')}] is not [M]`);
    const out = ['gS', 'gT', 'gB'].map((k) => e.empty(S.shape, `zip.${k}`));
    e.dispatch(
      'zip_rates_state_vjp',
      { WG, HAS_GNH: !!gNH, HAS_GL: !!gL, HAS_GHROW: !!ghRow },
      [S, u, t, b, gNH ?? null, gL ?? null, ghRow ?? null, ...out],
      { n: S.size, d, bstride },
      foldGrid(Math.ceil(S.size / WG)),
    );
    return out;
  },
  reference(xs): RefArray[] {
    const { S, u, t, b, d, bstride } = stateInputs(this, xs);
    const [gNH, gL, ghRow] = [xs[4], xs[5], xs[6]];
    const [gS, gT, gB] = [0, 0, 0].map(() => new Float64Array(S.data.length));
    for (let i = 0; i < S.data.length; i++) {
      const g = i % d,
        s = S.data[i]!,
        ug = u.data[g]!,
        bg = b.data[g * bstride]!,
        r = softplus(s) * ug,
        a = Math.log(r + 1e-20) - Math.log(ug),
        nu = t.data[g]! + bg * a,
        st = sigmoid(-r - nu),
        n = gNH?.data[i] ?? 0, // N's cotangent
        h = n + (ghRow?.data[Math.floor(i / d)] ?? 0); // H's: through NH and through its row sum
      const gnu = n * sigmoid(nu) + h * (sigmoid(-nu) - st);
      const gr = n - h * st + ((gL?.data[i] ?? 0) + gnu * bg) / (r + 1e-20);
      gS[i] = gr * ug * sigmoid(s);
      gT![i] = gnu;
      gB![i] = gnu * a;
    }
    return [gS, gT!, gB!].map((data) => ({ data, shape: [...S.shape] }));
  },
};
