// Fused kernel `zip_loglik_direct` (shaders/zip_loglik_direct.wgsl): the ZIP log-likelihood matrix in its
// elementwise form, ℓ[i, m] = Σ_g log p(x_ig | rate R_mg, π_g), one invocation per (cell, state). Training uses the
// GEMM form on the tape (likelihood.ts); this kernel is its benchmark baseline, held to the same f64 definition
// (zipLogLikRef). Test: test/kernels/zip_loglik_direct.test.ts.
import type { Engine } from '../../gpu/engine.ts';
import { foldGrid } from '../../gpu/grid.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import { refArray } from '../../reference/kernels.ts';
import { logFactorial } from '../../reference/scalar.ts';
import { input, type FusedKernel } from '../../ops/fused-kernel.ts';
import { zipLogLikRef } from '../likelihood.ts';

const WG = 64;

/** ℓ [B×M] in the elementwise form; lgx = lgamma(x + 1) per entry. */
export function zipLogLikDirect(e: Engine, X: GpuTensor, lgx: GpuTensor, R: GpuTensor, theta: GpuTensor): GpuTensor {
  const [nB, d] = X.shape as [number, number],
    nM = R.shape[0]!;
  const out = e.empty([nB, nM], 'zip-loglik');
  e.dispatch('zip_loglik_direct', { WG }, [X, lgx, R, theta, out], { nB, nM, d }, foldGrid(Math.ceil((nB * nM) / WG)));
  return out;
}

export const zipLogLikDirectKernel: FusedKernel<Record<string, never>> = {
  name: 'zip_loglik_direct',
  inputs: ['X [B × d] counts', 'lgx [B × d] = log x!', 'R [M × d] rates', 'theta [d] zero-inflation logits'],
  outputs: ['ell [B × M]'],
  summary: 'ZIP log-likelihood of every cell under every Monte-Carlo state, elementwise over genes',
  tolerance: { atol: 0, rtol: 1e-5 },
  gpu(e, xs) {
    return [zipLogLikDirect(e, input(this, xs, 0), input(this, xs, 1), input(this, xs, 2), input(this, xs, 3))];
  },
  reference(xs) {
    const X = input(this, xs, 0),
      R = input(this, xs, 2);
    const [B, d] = X.shape as [number, number],
      M = R.shape[0]!;
    for (let i = 0; i < X.data.length; i++)
      if (Math.abs(input(this, xs, 1).data[i]! - logFactorial(X.data[i]!)) > 1e-6 * (1 + logFactorial(X.data[i]!)))
        throw new Error('zip_loglik_direct: lgx must be log x! of X');
    return [refArray(zipLogLikRef(X.data, B, R.data, M, input(this, xs, 3).data, d), [B, M])];
  },
};
