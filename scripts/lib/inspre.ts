// A sparse inverse of a total-effect matrix in the manner of inspre (Brown et al. 2025, Nat Commun 16:9628), for the
// CLIPR diagnostics (scripts/clipr-alternatives.ts): a direction issue #26 names, measured there and not kept.
//
// R (p×p, rows the perturbations, columns the perturbed genes) holds each perturbation's responses per unit of its
// own target's response, so R_qq = 1. In a linear system Δ_q (I − B) = d_q e_q, with B_ji the direct effect j → i:
// R = D (I − B)⁻¹, so V = R⁻¹ = (I − B) D⁻¹ has the sparsity of the direct effects and B_ji = −V_ji / V_ii. With
// noisy R the plain inverse spreads the noise over every entry; inspre fits
//     min_{U,V} ½ Σ W_qc (R_qc − U_qc)² + λ Σ_{i≠j} |V_ij|   subject to  U V = I,
// the weights W the inverse variances of R's entries, by ADMM on the scaled dual Y (penalty ρ):
//     U ← argmin ½ Σ W (R − U)² + ρ/2 ‖U V − I + Y‖²      (a p×p linear system per row of U)
//     V ← argmin ρ/2 ‖U V − I + Y‖² + λ Σ_off |V|          (a lasso per column of V, by coordinate descent)
//     Y ← Y + U V − I
import * as la from '../../src/reference/linalg.ts';

export interface InspreOptions {
  /** the L1 penalty on V's off-diagonal entries, in the units of the weighted loss */
  lambda: number;
  /** ADMM penalty (default 1) */
  rho?: number;
  /** ADMM iterations (default 300) and lasso sweeps per V step (default 20) */
  iterations?: number;
  sweeps?: number;
}

/** V ≈ R⁻¹, sparse off the diagonal (row-major p×p); R must be invertible (it starts V). */
export function inspreInverse(R: Float64Array, W: Float64Array, p: number, o: InspreOptions): Float64Array {
  const rho = o.rho ?? 1,
    iterations = o.iterations ?? 300,
    sweeps = o.sweeps ?? 20;
  if (R.length !== p * p || W.length !== p * p) throw new RangeError(`inspre: R and W must be ${p}×${p}`);
  const I = la.eye(p),
    Y = new Float64Array(p * p);
  let U = Float64Array.from(R),
    V = la.inverse(R, p);
  for (let it = 0; it < iterations; it++) {
    // U, row q: u (diag(W_q) + ρ V Vᵀ) = W_q ∘ R_q + ρ (e_q − Y_q) Vᵀ
    const VVt = la.matmul(V, V, p, p, p, false, true);
    const next = new Float64Array(p * p);
    for (let q = 0; q < p; q++) {
      const A = VVt.map((x) => rho * x);
      for (let c = 0; c < p; c++) A[c * p + c]! += W[q * p + c]!;
      const target = Float64Array.from({ length: p }, (_, c) => I[q * p + c]! - Y[q * p + c]!);
      const tv = la.matmul(target, V, 1, p, p, false, true);
      const b = Float64Array.from({ length: p }, (_, c) => W[q * p + c]! * R[q * p + c]! + rho * tv[c]!);
      next.set(la.solve(A, b, p), q * p);
    }
    U = next;
    // V, column j: lasso on ρ/2 ‖U v − (e_j − Y_·j)‖², the diagonal unpenalised
    const G = la.matmul(U, U, p, p, p, true),
      UtT = la.matmul(
        U,
        I.map((x, e) => x - Y[e]!),
        p,
        p,
        p,
        true,
      );
    for (let j = 0; j < p; j++)
      for (let s = 0; s < sweeps; s++)
        for (let i = 0; i < p; i++) {
          let r = UtT[i * p + j]!;
          for (let k = 0; k < p; k++) if (k !== i) r -= G[i * p + k]! * V[k * p + j]!;
          const shrink = i === j ? 0 : o.lambda / rho;
          V[i * p + j] = (Math.sign(r) * Math.max(0, Math.abs(r) - shrink)) / G[i * p + i]!;
        }
    const UV = la.matmul(U, V, p, p, p);
    for (let e = 0; e < p * p; e++) Y[e]! += UV[e]! - I[e]!;
  }
  return V;
}

/** The direct effects B_ji = −V_ji / V_ii (j ≠ i) of an inverse V; diagonal 0. */
export function directFromInverse(V: Float64Array, p: number): Float64Array {
  const B = new Float64Array(p * p);
  for (let j = 0; j < p; j++) for (let i = 0; i < p; i++) if (i !== j) B[j * p + i] = -V[j * p + i]! / V[i * p + i]!;
  return B;
}
