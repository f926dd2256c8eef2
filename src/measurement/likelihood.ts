// The zero-inflated Poisson measurement model (spec §3.1) and its log-likelihood in two forms:
//   elementwise (the Float64 definition): with rate ρ = u_g·softplus(s_g) + 1e-20 and π_g = sigmoid(θ_g),
//     x > 0:  log(1−π) + x log ρ − ρ − lgamma(x+1);     x = 0:  logaddexp(log π, log(1−π) − ρ);
//   GEMM form (§3.6, on the engine, differentiable through the tape): for counts X [B×d], rates R [M×d],
//     ℓ = X·(log R)ᵀ − NZ·Rᵀ + Z·Hᵀ + NZ·log(1−π) − Σ_g lgamma(x+1),   Z = 1[X=0], NZ = 1 − Z,
//     H = logaddexp(log π, log(1−π) − R) = log π + softplus(−θ − R)   (since log(1−π) − log π = −θ).
// State-dependent zero inflation (PriorOptions.zeroInflation 'state'): logit π_mg = θ_g + β_g·(log ρ_mg − log u_g),
// so π depends on the state and the gene but not the cell and the GEMM form keeps its products: the x > 0 term's
// log(1 − π_mg) = −softplus(ν_mg) joins the rate, ℓ = X·(log R)ᵀ − NZ·(R + softplus(ν))ᵀ + Z·Hᵀ − Σ_g lgamma(x+1).
// Unit scaling u_g = max((v_g + μ_g²)/μ_g − 1, 1) from control counts (v with ddof 1; μ = 0 → 1): E[x²]/E[x] = 1 + λ
// for ZIP(λ, π), so softplus(s) ≈ 1 means "about the control level".
import type { TensorLike } from '../ops/backend.ts';
import type { Tape, Var } from '../ops/tape.ts';
import * as ad from '../ops/autodiff.ts';
import { zipRatesKernel, zipRatesVjpKernel } from './kernels/zip-rates.ts';
import { zipRatesStateKernel, zipRatesStateVjpKernel } from './kernels/zip-rates-state.ts';
import { temperedLseKernel, temperedLseVjpKernel, rowLogSumExp } from './kernels/tempered-lse.ts';

import { softplus, logFactorial } from '../reference/scalar.ts';
export { softplus };

export function unitScaling(ctrl: ArrayLike<number>, cells: number, d: number, minScaling = 1): Float64Array {
  const u = new Float64Array(d);
  for (let g = 0; g < d; g++) {
    let m = 0,
      q = 0;
    for (let c = 0; c < cells; c++) {
      const x = ctrl[c * d + g]!;
      m += x;
      q += x * x;
    }
    m /= cells;
    const v = cells > 1 ? (q - cells * m * m) / (cells - 1) : 0;
    u[g] = m > 0 ? Math.max((v + m * m) / m - 1, minScaling) : 1;
  }
  return u;
}

/**
 * Zero-inflation logits θ_g from the control's counts: the zeros a Poisson of the gene's mean does not explain,
 * π = (p₀ − e^{−λ})/(1 − e^{−λ}) with λ = mean/(1 − π) (the rate of the cells not inflated), iterated to its fixed
 * point and clamped to [0.005, 0.95]. A Poisson mixture has more zeros than the Poisson of its mean, so this
 * overstates π on overdispersed genes; it is a starting point for the fit, not an estimate.
 */
export function excessZeroLogits(ctrl: ArrayLike<number>, cells: number, d: number): Float64Array {
  const theta = new Float64Array(d);
  for (let g = 0; g < d; g++) {
    let zeros = 0,
      sum = 0;
    for (let c = 0; c < cells; c++) {
      const x = ctrl[c * d + g]!;
      sum += x;
      if (x === 0) zeros++;
    }
    const p0 = zeros / cells,
      mean = sum / cells;
    let pi = 0;
    for (let it = 0; it < 50; it++) {
      const e = Math.exp(-mean / (1 - pi));
      pi = Math.min(0.95, Math.max(0, e < 1 ? (p0 - e) / (1 - e) : 0.95));
    }
    pi = Math.max(0.005, pi);
    theta[g] = Math.log(pi / (1 - pi));
  }
  return theta;
}

/**
 * A starting slope for the state-dependent zero inflation from the control: the least-squares slope, across genes,
 * of the excess-zero logits (excessZeroLogits) on the log mean count, over the genes whose π is inside its clamps.
 * Where dropout falls with expression, genes of low mean have more excess zeros, and the slope across genes is a
 * guess at the slope along a gene's own states. 0 with fewer than three such genes.
 */
export function excessZeroSlope(ctrl: ArrayLike<number>, cells: number, d: number): number {
  const theta = excessZeroLogits(ctrl, cells, d),
    xs: number[] = [],
    ys: number[] = [];
  const lo = Math.log(0.0051 / 0.9949),
    hi = Math.log(0.949 / 0.051);
  for (let g = 0; g < d; g++) {
    let m = 0;
    for (let c = 0; c < cells; c++) m += ctrl[c * d + g]! / cells;
    if (m > 0 && theta[g]! > lo && theta[g]! < hi) {
      xs.push(Math.log(m));
      ys.push(theta[g]!);
    }
  }
  if (xs.length < 3) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length,
    my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0,
    sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * (ys[i]! - my);
    sxx += (x - mx) ** 2;
  });
  return sxx > 0 ? sxy / sxx : 0;
}

/** Elementwise ZIP log-likelihood ℓ[i, m] = Σ_g log p(x_ig | rate R_mg), Float64; with `slope` the zero-inflation
 *  logit is θ_g + β_g·(log ρ − log u_g) (state-dependent), else θ_g. */
export function zipLogLikRef(
  X: ArrayLike<number>,
  B: number,
  R: ArrayLike<number>,
  M: number,
  theta: ArrayLike<number>,
  d: number,
  slope?: { beta: ArrayLike<number>; u: ArrayLike<number> },
): Float64Array {
  const out = new Float64Array(B * M);
  for (let i = 0; i < B; i++)
    for (let m = 0; m < M; m++) {
      let s = 0;
      for (let g = 0; g < d; g++) {
        const x = X[i * d + g]!,
          rho = R[m * d + g]! + 1e-20,
          nu = theta[g]! + (slope ? slope.beta[g]! * (Math.log(rho) - Math.log(slope.u[g]!)) : 0),
          logPi = -softplus(-nu),
          log1mPi = -softplus(nu);
        if (x > 0) s += log1mPi + x * Math.log(rho) - rho - logFactorial(x);
        else {
          const a = logPi,
            b = log1mPi - rho,
            mx = Math.max(a, b);
          s += mx + Math.log(Math.exp(a - mx) + Math.exp(b - mx));
        }
      }
      out[i * M + m] = s;
    }
  return out;
}

/** logZ_T[i] = T·(logsumexp_m(ℓ[i, m]/T) − log M), Float64 (T = 1: Monte-Carlo marginal; T → ∞: mean_m ℓ). */
export function temperedLogZRef(ell: ArrayLike<number>, B: number, M: number, T: number): Float64Array {
  return Float64Array.from({ length: B }, (_, i) => T * (rowLogSumExp(ell, i, M, T) - Math.log(M)));
}

/** Per-batch constants of the GEMM form: Z, NZ as 0/1 matrices and −Σ_g lgamma(x+1) per cell. */
export function countBatchConstants(
  X: ArrayLike<number>,
  B: number,
  d: number,
): { Z: Float32Array; NZ: Float32Array; lgammaSum: Float64Array } {
  const Z = new Float32Array(B * d),
    NZ = new Float32Array(B * d),
    lgammaSum = new Float64Array(B);
  for (let i = 0; i < B; i++) {
    let s = 0;
    for (let g = 0; g < d; g++) {
      const x = X[i * d + g]!;
      if (x > 0) {
        NZ[i * d + g] = 1;
        s += logFactorial(x);
      } else Z[i * d + g] = 1;
    }
    lgammaSum[i] = -s;
  }
  return { Z, NZ, lgammaSum };
}

export interface CountBatch<T extends TensorLike> {
  X: Var<T>;
  Z: Var<T>;
  NZ: Var<T>;
  lgammaSum: Var<T>; /* [B×1] */
}

/** ℓ [B×M] in the GEMM form from rates R [M×d] and zero-inflation logits θ [1×d], on the tape, op by op. */
export function zipLogLikGemm<T extends TensorLike>(
  tape: Tape<T>,
  batch: CountBatch<T>,
  R: Var<T>,
  theta: Var<T>,
): Var<T> {
  const L = ad.unary(tape, 'log', R, 1, 1e-20); // log(R + 1e-20)
  const logPi = ad.scale(tape, ad.unary(tape, 'softplus', theta, -1), -1); // −softplus(−θ)
  const H = ad.add(tape, ad.unary(tape, 'softplus', ad.sub(tape, ad.scale(tape, R, -1), theta)), logPi); // [M×d]
  const { ell, c } = zipLogLikParts(tape, batch, R, L, H, theta);
  return ad.add(tape, ell, c);
}

/**
 * R = u·softplus(S), L = log(R + 1e-20) and H = softplus(−R − θ) + log π from generator states S [M×d] on the tape,
 * each way in one fused pass (zip_rates forward, zip_rates_vjp backward; the op-by-op path is seven passes forward
 * and about a dozen back). u [1×d] is a constant; the outputs are bit for bit the op-by-op ones.
 */
export function zipRates<T extends TensorLike>(
  tape: Tape<T>,
  S: Var<T>,
  u: T,
  theta: Var<T>,
): [Var<T>, Var<T>, Var<T>] {
  const B = tape.B;
  const [R, L, H] = B.fused(zipRatesKernel, [S.value, u, theta.value], {});
  const outs = tape.recordMulti('zipRates', [R!, L!, H!], [S, theta], ([gR, gL, gH]) => {
    const [gS, gT] = B.fused(
      zipRatesVjpKernel,
      [S.value, u, theta.value, gR ?? undefined, gL ?? undefined, gH ?? undefined],
      {},
    );
    const gTheta = theta.requiresGrad && gH ? B.reshape(B.reduce('sum', gT!, 0), theta.shape) : null;
    return [S.requiresGrad ? gS! : null, gTheta];
  });
  return [outs[0]!, outs[1]!, outs[2]!];
}

/**
 * NH = N + H, L = log(R + 1e-20) and h = Σ_g H [M], with N = R + softplus(ν), H = softplus(−R − ν) − softplus(−ν),
 * ν = θ + β·(L − log u), from generator states S [M×d] on the tape: the inputs of the two-product likelihood
 * (gemmStateProducts), in one fused pass and a row sum forward and one fused pass back (zip_rates_state and its _vjp);
 * β is a slope per gene [1×d] or one for every gene [1×1], which the kernels read at stride 0; θ's and β's gradients
 * are the kernel's per-element terms summed over the states (and a shared slope's over the genes too).
 */
export function zipRatesState<T extends TensorLike>(
  tape: Tape<T>,
  S: Var<T>,
  u: T,
  theta: Var<T>,
  beta: Var<T>,
): [Var<T>, Var<T>, Var<T>] {
  const B = tape.B;
  const [NH, L, H] = B.fused(zipRatesStateKernel, [S.value, u, theta.value, beta.value], {});
  const h = B.reduce('sum', H!, 1); // [M]
  const outs = tape.recordMulti('zipRatesState', [NH!, L!, h], [S, theta, beta], ([gNH, gL, gh]) => {
    const [gS, gT, gB] = B.fused(
      zipRatesStateVjpKernel,
      [S.value, u, theta.value, beta.value, gNH ?? undefined, gL ?? undefined, gh ?? undefined],
      {},
    );
    // per-element terms summed over the states, and over the genes too for one shared slope (β [1×1])
    const sum = (x: T, p: Var<T>) => {
      if (!p.requiresGrad) return null;
      const rows = B.reduce('sum', x, 0, true);
      const shared = p.shape.every((n) => n === 1) && rows.shape[1] !== 1;
      return B.reshape(shared ? B.reduce('sum', rows, 1, true) : rows, p.shape);
    };
    return [S.requiresGrad ? gS! : null, sum(gT!, theta), sum(gB!, beta)];
  });
  return [outs[0]!, outs[1]!, outs[2]!];
}

/** ℓ [B×M] in the GEMM form from generator states S [M×d] (rates u·softplus(S)), fused rate terms (zipRates). */
export function zipLogLikFromStates<T extends TensorLike>(
  tape: Tape<T>,
  batch: CountBatch<T>,
  S: Var<T>,
  u: T,
  theta: Var<T>,
): Var<T> {
  const [R, L, H] = zipRates(tape, S, u, theta);
  const { ell, c } = zipLogLikParts(tape, batch, R, L, H, theta);
  return ad.add(tape, ell, c);
}

/** The prior's loss of one batch from generator states: the fused rate terms (zipRates, or zipRatesState with slopes
 *  β), the GEMM form's products, and the tempered loss with the per-cell constants in one fused kernel each way
 *  (temperedLossFused). */
export function zipLossFromStates<T extends TensorLike>(
  tape: Tape<T>,
  batch: CountBatch<T>,
  S: Var<T>,
  u: T,
  theta: Var<T>,
  temps: readonly number[],
  beta?: Var<T>,
): Var<T> {
  if (beta) {
    // state-dependent zero inflation: log(1 − π) is inside N, so the per-cell constants are the log-factorials alone
    const [NH, L, h] = zipRatesState(tape, S, u, theta, beta);
    return temperedLossFused(tape, gemmStateProducts(tape, batch, NH, L, h), batch.lgammaSum, temps);
  }
  const [R, L, H] = zipRates(tape, S, u, theta);
  const { ell, c } = zipLogLikParts(tape, batch, R, L, H, theta);
  return temperedLossFused(tape, ell, c, temps);
}

/**
 * The tempered loss −(1/|T|) Σ_T mean_i T·(lse_m((ℓ[i, m] + c_i)/T) − log M) of temperedLoss, with the per-cell
 * constants c [B×1] (or none) kept out of the [B×M] matrix: one dispatch forward (tempered_lse, which keeps each
 * row's log-sum-exp) and one pass back (tempered_lse_vjp), where op by op it is about a dozen.
 */
export function temperedLossFused<T extends TensorLike>(
  tape: Tape<T>,
  ell: Var<T>,
  c: Var<T> | null,
  temps: readonly number[],
): Var<T> {
  const B = tape.B;
  const t = B.fromArray(temps, [temps.length]);
  const [loss, lse] = B.fused(temperedLseKernel, [ell.value, c?.value, t], {});
  return tape.record('temperedLoss', loss!, c ? [ell, c] : [ell], (g) => {
    const [gEll, gC] = B.fused(temperedLseVjpKernel, [ell.value, t, lse!, g], {});
    return c ? [gEll!, gC!] : [gEll!];
  });
}

/** The GEMM form's products ℓ = X·Lᵀ − NZ·Rᵀ + Z·Hᵀ [B×M] and per-cell constants c = NZ·log(1 − π) − Σ_g log x!
 *  [B×1]; the log-likelihood is ℓ + c. */
function zipLogLikParts<T extends TensorLike>(
  tape: Tape<T>,
  batch: CountBatch<T>,
  R: Var<T>,
  L: Var<T>,
  H: Var<T>,
  theta: Var<T>,
): { ell: Var<T>; c: Var<T> } {
  const d = theta.shape.at(-1)!;
  const log1mPi = ad.scale(tape, ad.unary(tape, 'softplus', theta), -1); // −softplus(θ)
  const ell = gemmProducts(tape, batch, R, L, H);
  const c = ad.add(tape, ad.matmul(tape, batch.NZ, ad.reshape(tape, log1mPi, [d, 1])), batch.lgammaSum); // [B×1]
  return { ell, c };
}

/** X·Lᵀ − NZ·Nᵀ + Z·Hᵀ [B×M] as three products, each adding the sum so far in its epilogue (−NZ·Nᵀ by its alpha; the
 *  same bits as the subtraction and addition). N is the x > 0 term's rate: R for the per-gene model, R + softplus(ν)
 *  for the state-dependent one. */
function gemmProducts<T extends TensorLike>(tape: Tape<T>, batch: CountBatch<T>, N: Var<T>, L: Var<T>, H: Var<T>) {
  let ell = ad.matmul(tape, batch.NZ, N, { transB: true, alpha: -1 });
  ell = ad.matmul(tape, batch.X, L, { transB: true, add: ell });
  return ad.matmul(tape, batch.Z, H, { transB: true, add: ell });
}

/** X·Lᵀ − NZ·Nᵀ + Z·Hᵀ [B×M] in two products: with Z = 1 − NZ, Z·Hᵀ = 1·hᵀ − NZ·Hᵀ (h_m = Σ_g H[m, g]), so
 *    ℓ = X·Lᵀ − NZ·(N + H)ᵀ + 1·hᵀ:
 *  −NZ·NHᵀ by its alpha, then X·Lᵀ with that sum in its epilogue and h as its per-column bias (a third less arithmetic
 *  than gemmProducts; the sums differ from its in rounding only; the gradient of h is the column sums of dℓ). */
function gemmStateProducts<T extends TensorLike>(
  tape: Tape<T>,
  batch: CountBatch<T>,
  NH: Var<T>,
  L: Var<T>,
  h: Var<T>,
) {
  const ell = ad.matmul(tape, batch.NZ, NH, { transB: true, alpha: -1 });
  return ad.matmul(tape, batch.X, L, { transB: true, bias: h, add: ell });
}

/** −(1/|T|) Σ_T mean_i logZ_T[i] on the tape (the prior's loss, spec §3.3). */
export function temperedLoss<T extends TensorLike>(tape: Tape<T>, ell: Var<T>, temps: readonly number[]): Var<T> {
  const M = ell.shape[1]!;
  let total: Var<T> | null = null;
  for (const t of temps) {
    const lz = ad.scale(tape, ad.logsumexp(tape, ad.scale(tape, ell, 1 / t), 1), t, -t * Math.log(M)); // [B]
    const term = ad.meanAll(tape, lz);
    total = total ? ad.add(tape, total, term) : term;
  }
  return ad.scale(tape, total!, -1 / temps.length);
}
