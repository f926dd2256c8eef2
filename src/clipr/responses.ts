// The response reading of CLIPR: direct causal effects read from the model's fixed points alone.
//
// CLIPR's linear model (spec §6.1): every environment's drift is f_e(x) = A x + b + c_e and an intervention acts on
// its target's own drift, c_e = γ_j e_j for a single-gene perturbation of gene j. At the fixed points
// A(x*_j − x*_ctrl) = −γ_j e_j, so with the responses Δ_j = x*_j − x*_ctrl:
//   for every gene i and every perturbation j ≠ i:   Σ_k A_ik Δ_j[k] = 0.
// Normalising A_ii = −1 (each gene's effects measured against its own decay), row i of A is a regression of gene i's
// response on the other perturbed genes' responses, over the perturbations that do not target i:
//   Δ_j[i] ≈ Σ_{k ∈ P∖i} B_ik Δ_j[k],   A_ik = B_ik,   a_causal[k][i] = B_ik (the effect of k on i).
// Only the perturbed genes P can be regressors (the responses of the others are never moved independently), which is
// the identifiability limit of spec §6.3. The regression is ridge-regularised (λ relative to the mean regressor
// energy, tr(XᵀX)/p) and λ is chosen by leave-one-perturbation-out cross-validation over the perturbed rows: each
// perturbation's response of gene i is predicted from a fit without it. The cross-validated R² of that prediction is
// the criterion reported with the reading: how well the linear response model explains held-out responses.
//
// When it does (R² ≥ DIRECT_MIN_R2) the direct effects B are returned. When it does not (the responses are not linear
// in each other: saturating or multiplicative regulation, large knock-downs), inverting them amplifies the misfit,
// and the reading returns the total effects instead: Δ_j[i] signed by the perturbation's own direction
// (sign Δ_j[j]; a knock-down flips every effect), the model's differential expression. Measured on linear ER
// screens (R² ≈ 0.97) and the gene-network screens (R² ≤ 0.6): README "CLIPR".
//
// Unlike the drift reading (clipr.ts), no network value is read away from the fixed points, and for the exact
// linear drift and the exact Gaussian score (whose fixed points are the stationary means) the direct branch returns A
// exactly when every gene is perturbed (test/clipr-responses.test.ts).
import * as la from '../reference/linalg.ts';
import { gateByShifts, type DataShiftGate } from './data-gate.ts';

/** Below this cross-validated R², the linear response model is not trusted and total effects are reported. */
export const DIRECT_MIN_R2 = 0.8;
/** The ridge λ grid (relative to tr(XᵀX)/p) searched by cross-validation. */
export const RESPONSE_LAMBDAS = [1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1] as const;

export interface ResponseReadingResult {
  d: number;
  /** a_causal[k][i]: effect of gene k on gene i (row-major d×d); rows of unperturbed genes are 0, diagonal −1. */
  aCausal: Float64Array;
  /** 'direct' (inverted responses) or 'total' (signed responses, when the linear model fails the criterion). */
  effects: 'direct' | 'total';
  /** Whether the criterion chose the effects or the caller did (`effects` option). */
  chosenBy: 'criterion' | 'option';
  /** Cross-validated R² of held-out responses under the linear response model, at the chosen λ. */
  heldOutR2: number;
  /** The relative ridge λ of the direct solve (the cross-validated one unless given), and R² at every λ of the grid. */
  lambda: number;
  r2ByLambda: { lambda: number; r2: number }[];
  /** The states that were read, when the caller names them (from-lcd.ts): sampled means, flow fixed points, or the
   *  model's linear response to weak perturbations. */
  states?: ResponseStates;
  /** With the default 'auto' states: the sampled means' held-out R², below the criterion, that made the reading
   *  invert the linear response instead. */
  meansR2?: number;
  /** Direct effects gated by the data's shifts (data-gate.ts): the gate's t0 and how many query genes' rows had
   *  cells to gate with. */
  gated?: { t0: number; rows: number };
}

export type ResponseStates = 'means' | 'flow' | 'linear';

export interface ResponseReadingOptions {
  lambdas?: readonly number[];
  minR2?: number;
  /** Ridge λ of the direct solve (relative), instead of the cross-validated one (the criterion is still reported). */
  lambda?: number;
  /** Force a branch instead of choosing by the criterion. */
  effects?: 'auto' | 'direct' | 'total';
  /** Scale the direct effects by the data's evidence of each shift (data-gate.ts); total effects are not gated. */
  gate?: DataShiftGate;
}

/**
 * `fixedPoints[0]` is the control's, `fixedPoints[q + 1]` the one for perturbing `genes[q]` (state space, length d).
 */
export function responseReading(
  fixedPoints: readonly Float64Array[],
  genes: readonly number[],
  d: number,
  o: ResponseReadingOptions = {},
): ResponseReadingResult {
  const k = genes.length;
  if (k < 1) throw new Error('CLIPR: no single-gene responses (no gene of the panel was perturbed in training)');
  if (fixedPoints.length !== k + 1)
    throw new Error(`CLIPR: ${fixedPoints.length} fixed points for ${k} queries + control`);
  const delta = responsesOf(fixedPoints, genes, d);
  const lambdas = o.lambdas ?? RESPONSE_LAMBDAS;
  const r2ByLambda = k >= 3 ? lambdas.map((lambda) => ({ lambda, r2: heldOutR2(delta, genes, lambda) })) : [];
  const best = r2ByLambda.reduce((a, b) => (b.r2 > a.r2 ? b : a), r2ByLambda[0] ?? { lambda: lambdas[0]!, r2: NaN });
  const effects =
    o.effects === 'direct' || o.effects === 'total'
      ? o.effects
      : best.r2 >= (o.minR2 ?? DIRECT_MIN_R2)
        ? 'direct'
        : 'total';
  const lambda = o.lambda ?? best.lambda;
  let aCausal = effects === 'direct' ? directEffects(delta, genes, d, lambda) : totalEffects(delta, genes, d);
  const gated = effects === 'direct' && o.gate ? { t0: o.gate.t0, rows: o.gate.shifts.filter(Boolean).length } : null;
  if (gated) aCausal = gateByShifts(aCausal, genes, d, o.gate!);
  const chosenBy = o.effects === 'direct' || o.effects === 'total' ? 'option' : 'criterion';
  return { d, aCausal, effects, chosenBy, heldOutR2: best.r2, lambda, r2ByLambda, ...(gated ? { gated } : {}) };
}

/**
 * The responses Δ_q = state_q − state_ctrl (states[0] the control's, states[q + 1] the one for perturbing genes[q]),
 * checked finite.
 */
export function responsesOf(states: readonly Float64Array[], genes: readonly number[], d: number): Float64Array[] {
  const ctrl = states[0]!;
  return genes.map((_, q) => {
    const x = states[q + 1]!;
    const r = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      r[i] = x[i]! - ctrl[i]!;
      if (!Number.isFinite(r[i]!))
        throw new Error(`CLIPR: non-finite state for query ${q} (gene ${i}); the probability flow or sampler diverged`);
    }
    return r;
  });
}

/** Responses X (n×p): rows the perturbations `env`, columns the regressor genes `reg`. */
function design(delta: Float64Array[], env: readonly number[], reg: readonly number[]): Float64Array {
  const p = reg.length,
    X = new Float64Array(env.length * p);
  env.forEach((q, r) => reg.forEach((g, c) => (X[r * p + c] = delta[q]![g]!)));
  return X;
}

/** One row's regression problem: gene i's response to each perturbation not targeting i, on the others' responses. */
function rowProblem(delta: Float64Array[], genes: readonly number[], i: number) {
  const env = genes.map((g, q) => (g === i ? -1 : q)).filter((q) => q >= 0);
  const reg = genes.filter((g) => g !== i);
  const y = Float64Array.from(env, (q) => delta[q]![i]!);
  return { X: design(delta, env, reg), y, n: env.length, p: reg.length, reg };
}

/** M = (XᵀX + λ·tr(XᵀX)/p · I)⁻¹ of an n×p design; the ridge coefficients are M Xᵀ y. */
function ridgeInverse(X: Float64Array, n: number, p: number, lambda: number): Float64Array {
  const G = la.matmul(X, X, p, n, p, true);
  let tr = 0;
  for (let c = 0; c < p; c++) tr += G[c * p + c]!;
  const l = lambda * (tr > 0 ? tr / p : 1);
  for (let c = 0; c < p; c++) G[c * p + c]! += l;
  return la.inverse(G, p);
}

const ridgeCoefficients = (M: Float64Array, X: Float64Array, y: Float64Array, n: number, p: number) =>
  la.matmul(M, la.matmul(X, y, p, n, 1, true), p, p, 1);

/**
 * Every perturbed target's closed-form leave-one-perturbation-out ridge residuals, in order: `visit(i, residual,
 * response)` for gene i's response to each perturbation not targeting it.
 */
function visitHeldOut(
  delta: Float64Array[],
  genes: readonly number[],
  lambda: number,
  visit: (i: number, residual: number, response: number) => void,
): void {
  for (const i of genes) {
    const { X, y, n, p } = rowProblem(delta, genes, i);
    if (n === 0 || p === 0) continue;
    const M = ridgeInverse(X, n, p, lambda),
      beta = ridgeCoefficients(M, X, y, n, p);
    for (let r = 0; r < n; r++) {
      const x = X.subarray(r * p, r * p + p);
      const Mx = la.matmul(M, x, p, p, 1);
      let h = 0,
        fit = 0;
      for (let c = 0; c < p; c++) {
        h += x[c]! * Mx[c]!;
        fit += x[c]! * beta[c]!;
      }
      visit(i, (y[r]! - fit) / Math.max(1 - h, 1e-12), y[r]!); // the closed-form leave-one-out residual of ridge
    }
  }
}

/** Leave-one-perturbation-out R² over the rows of the perturbed genes: 1 − Σ(held-out residual)² / Σ response². */
export function heldOutR2(delta: Float64Array[], genes: readonly number[], lambda: number): number {
  let sse = 0,
    sst = 0;
  visitHeldOut(delta, genes, lambda, (_, e, y) => {
    sse += e ** 2;
    sst += y ** 2;
  });
  return sst > 0 ? 1 - sse / sst : NaN;
}

/** The same R² for each perturbed target on its own (NaN where it has no response), keyed by gene index. */
export function heldOutR2ByTarget(
  delta: Float64Array[],
  genes: readonly number[],
  lambda: number,
): Map<number, number> {
  const sums = new Map<number, { sse: number; sst: number }>(genes.map((i) => [i, { sse: 0, sst: 0 }]));
  visitHeldOut(delta, genes, lambda, (i, e, y) => {
    const t = sums.get(i)!;
    t.sse += e ** 2;
    t.sst += y ** 2;
  });
  return new Map([...sums].map(([i, t]) => [i, t.sst > 0 ? 1 - t.sse / t.sst : NaN]));
}

/** a_causal from the ridge regressions of every gene's response (perturbed and unperturbed targets alike). */
function directEffects(delta: Float64Array[], genes: readonly number[], d: number, lambda: number): Float64Array {
  const a = new Float64Array(d * d);
  const perturbed = new Set(genes);
  let shared: { beta: (y: Float64Array) => Float64Array; reg: number[] } | null = null;
  for (let i = 0; i < d; i++) {
    a[i * d + i] = -1;
    let beta: Float64Array, reg: number[];
    if (perturbed.has(i)) {
      const pr = rowProblem(delta, genes, i);
      if (pr.p === 0) continue;
      beta = ridgeCoefficients(ridgeInverse(pr.X, pr.n, pr.p, lambda), pr.X, pr.y, pr.n, pr.p);
      reg = pr.reg;
    } else {
      // Unperturbed targets share one design (every perturbation, every perturbed gene): factor it once.
      if (!shared) {
        const env = genes.map((_, q) => q),
          n = env.length,
          p = genes.length;
        const X = design(delta, env, genes);
        const MXt = la.matmul(ridgeInverse(X, n, p, lambda), X, p, p, n, false, true); // p×n
        shared = { beta: (y) => la.matmul(MXt, y, p, n, 1), reg: [...genes] };
      }
      beta = shared.beta(Float64Array.from(genes.map((_, q) => delta[q]![i]!)));
      reg = shared.reg;
    }
    reg.forEach((g, c) => (a[g * d + i] = beta[c]!));
  }
  return a;
}

/**
 * The mean-shift (DE) matrix of given states: a_causal[j][i] = Δ_j[i]·sign(Δ_j[j]), each response signed by the
 * direction its perturbation moved its own target (a knock-down flips every effect); diagonal −1.
 */
export const signedResponses = (states: readonly Float64Array[], genes: readonly number[], d: number): Float64Array =>
  totalEffects(responsesOf(states, genes, d), genes, d);

/** a_causal[j][i] = Δ_j[i]·sign(Δ_j[j]): the response of gene i to perturbing j, in the direction j moved. */
function totalEffects(delta: Float64Array[], genes: readonly number[], d: number): Float64Array {
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) a[i * d + i] = -1;
  genes.forEach((j, q) => {
    const s = Math.sign(delta[q]![j]!) || 1;
    for (let i = 0; i < d; i++) if (i !== j) a[j * d + i] = s * delta[q]![i]!;
  });
  return a;
}

/** One line for people: which effects the reading returned and why (the criterion and its threshold). */
export function describeResponseReading(
  r: Pick<ResponseReadingResult, 'effects' | 'heldOutR2' | 'lambda' | 'chosenBy' | 'meansR2' | 'gated'>,
): string {
  const gate = r.gated
    ? `; each effect scaled by the data's evidence of the shift, min(1, |Welch t| / ${r.gated.t0}), on ${r.gated.rows} perturbed genes' rows`
    : '';
  if (r.meansR2 !== undefined)
    return `direct effects from the model's linear response to weak perturbations (the sampled means' responses are not linear in each other: held-out R² ${Number.isFinite(r.meansR2) ? r.meansR2.toFixed(3) : 'undefined'} < ${DIRECT_MIN_R2}, so the derivative of the model's mean at the control state is inverted instead; ridge λ ${r.lambda}${gate})`;
  const r2 = Number.isFinite(r.heldOutR2) ? r.heldOutR2.toFixed(3) : 'undefined (fewer than 3 perturbed genes)';
  if (r.chosenBy === 'option')
    return `${r.effects} effects, as asked (held-out R² of the linear response model ${r2}; the criterion's threshold is ${DIRECT_MIN_R2}${gate})`;
  return r.effects === 'direct'
    ? `direct effects (held-out R² of the linear response model ${r2} ≥ ${DIRECT_MIN_R2}; ridge λ ${r.lambda}${gate})`
    : `total effects: the model's differential expression, each response signed by its perturbation's own direction, not direct effects (held-out R² of the linear response model ${r2} < ${DIRECT_MIN_R2}: the responses are not linear in each other, so they are not inverted)`;
}
