// Fused kernels `tempered_lse` and `tempered_lse_vjp` (shaders/tempered_lse.wgsl, shaders/tempered_lse_vjp.wgsl): the
// count prior's tempered Monte-Carlo loss −(1/|T|) Σ_T mean_i T·(lse_m((ℓ[i, m] + c_i)/T) − log M) from the
// log-likelihood matrix in one dispatch (with each row's log-sum-exp kept), and its gradient to ℓ and c in one more;
// likelihood.ts's temperedLossFused puts them on the tape. Tests: test/kernels/tempered_lse.test.ts,
// test/kernels/tempered_lse_vjp.test.ts.
import type { Engine } from '../../gpu/engine.ts';
import { foldGrid } from '../../gpu/grid.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import { ShapeError } from '../../core/errors.ts';
import type { RefArray } from '../../reference/kernels.ts';
import { input, type FusedKernel } from '../../ops/fused-kernel.ts';

const WG = 64;

function dims(name: string, ell: { shape: readonly number[] }, c: { shape: readonly number[] } | undefined) {
  const [B, M] = ell.shape;
  if (ell.shape.length !== 2 || (c && c.shape.reduce((a, b) => a * b, 1) !== B))
    throw new ShapeError(
      `${name}: ℓ [${ell.shape.join('×')}] must be [B×M] and the constants [${c?.shape.join('×')}] hold B values`,
    );
  return [B!, M!] as const;
}

/** Row i's log Σ_m exp(ℓ[i, m]/T), Float64 (also likelihood.ts's temperedLogZRef). */
export function rowLogSumExp(ell: ArrayLike<number>, i: number, M: number, T: number): number {
  let mx = -Infinity;
  for (let m = 0; m < M; m++) mx = Math.max(mx, ell[i * M + m]! / T);
  let s = 0;
  for (let m = 0; m < M; m++) s += Math.exp(ell[i * M + m]! / T - mx);
  return mx + Math.log(s);
}

export const temperedLseKernel: FusedKernel<Record<string, never>> = {
  name: 'tempered_lse',
  inputs: ['ell [B×M] log-likelihoods', 'c [B] per-cell constants (optional)', 'temps [|T|] temperatures'],
  outputs: ['loss [1]', 'lse [|T|×B] each row’s log-sum-exp of ℓ/T'],
  summary: "the count prior's tempered Monte-Carlo loss and its rows' log-sum-exps, in one dispatch",
  tolerance: { atol: 1e-5, rtol: 1e-5 },
  gpu(e: Engine, xs): GpuTensor[] {
    const ell = input(this, xs, 0),
      c = xs[1],
      temps = input(this, xs, 2);
    const [B, M] = dims(this.name, ell, c);
    const loss = e.empty([1], 'tempered.loss'),
      lse = e.empty([temps.size, B], 'tempered.lse');
    e.dispatch(
      'tempered_lse',
      { WG },
      [ell, c ?? null, temps, loss, lse],
      { B, M, nT: temps.size, hasC: c ? 1 : 0 },
      [1],
    );
    return [loss, lse];
  },
  reference(xs): RefArray[] {
    const ell = input(this, xs, 0),
      c = xs[1],
      temps = input(this, xs, 2);
    const [B, M] = dims(this.name, ell, c);
    const nT = temps.data.length,
      lse = new Float64Array(nT * B);
    let total = 0;
    for (let i = 0; i < B; i++)
      for (let t = 0; t < nT; t++) {
        const T = temps.data[t]!,
          l = rowLogSumExp(ell.data, i, M, T);
        lse[t * B + i] = l;
        total += T * (l - Math.log(M)) + (c?.data[i] ?? 0);
      }
    return [
      { data: Float64Array.of(-total / (nT * B)), shape: [1] },
      { data: lse, shape: [nT, B] },
    ];
  },
};

export const temperedLseVjpKernel: FusedKernel<Record<string, never>> = {
  name: 'tempered_lse_vjp',
  inputs: ['ell [B×M]', 'temps [|T|]', 'lse [|T|×B] (from tempered_lse)', 'gLoss [1] the loss’s cotangent'],
  outputs: ['gEll [B×M]', 'gC [B×1]'],
  summary: "the gradient of the count prior's tempered loss to ℓ and the per-cell constants, in one pass",
  tolerance: { atol: 1e-7, rtol: 1e-4 },
  gpu(e: Engine, xs): GpuTensor[] {
    const [ell, temps, lse, g] = [0, 1, 2, 3].map((k) => input(this, xs, k));
    const [B, M] = dims(this.name, ell!, undefined);
    const gEll = e.empty(ell!.shape, 'tempered.gEll'),
      gC = e.empty([B, 1], 'tempered.gC');
    e.dispatch(
      'tempered_lse_vjp',
      { WG },
      [ell!, temps!, lse!, g!, gEll, gC],
      { B, M, nT: temps!.size },
      foldGrid(Math.ceil((B * M) / WG)),
    );
    return [gEll, gC];
  },
  reference(xs): RefArray[] {
    const [ell, temps, lse, g] = [0, 1, 2, 3].map((k) => input(this, xs, k));
    const [B, M] = dims(this.name, ell!, undefined);
    const nT = temps!.data.length,
      w = -g!.data[0]! / (nT * B);
    const gEll = new Float64Array(B * M);
    for (let i = 0; i < B; i++)
      for (let m = 0; m < M; m++) {
        let acc = 0;
        for (let t = 0; t < nT; t++) acc += Math.exp(ell!.data[i * M + m]! / temps!.data[t]! - lse!.data[t * B + i]!);
        gEll[i * M + m] = w * acc;
      }
    return [
      { data: gEll, shape: [B, M] },
      { data: new Float64Array(B).fill(-g!.data[0]! / B), shape: [B, 1] },
    ];
  },
};
