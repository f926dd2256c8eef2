// CLIPR (spec §6.1): linearise learned dynamics from perturbation responses. With F0 = [f_j(0)] and
// X* = [x*_j] (d×k, single-gene queries j), the drift of a linear SDE satisfies f_j(0) = −A x*_j, so
//   A = −F0 X*⁺ᵠ,   X*⁺ᵠ = X*ᵀ(X* X*ᵀ + λI_d)⁻¹ = (X*ᵀX* + λI_k)⁻¹X*ᵀ   (the k×k form when k < d),
//   b = −A x*_ctrl,  c_j = −A(x*_j − x*_ctrl),  a_causal = Aᵀ,  implied mean shifts −A⁻¹c_j.
// The final solve runs in Float64 on the CPU by default: the Gram matrix X*X*ᵀ + λI has condition numbers up to
// ~1/λ·‖X*‖², beyond what f32 resolves (measured in bench/clipr.bench.ts); a batched f32 GPU solve is available.
import * as la from '../reference/linalg.ts';
import type { DriftModel, Responses } from './drift-models.ts';
import { responseReading, type ResponseReadingOptions, type ResponseReadingResult } from './responses.ts';

export interface CliprResult {
  d: number;
  genes: number[]; // query gene indices (columns of F0 and X*)
  A: Float64Array; // d×d linearised drift
  aCausal: Float64Array; // Aᵀ: entry [i, j] = effect of gene i on the drift of gene j
  b: Float64Array; // d
  c: Float64Array[]; // per query gene, d
  meanShifts: Float64Array[]; // −A⁻¹ c_j (pseudo-inverse when A is unstable)
  responses: Responses;
  form: 'dxd' | 'kxk' | 'responses';
}

export interface CliprOptions {
  lambda: number;
  form?: 'auto' | 'dxd' | 'kxk';
}

/** A = −F0 · X*⁺ᵠ in f64; F0, X* given as k column vectors of length d. */
export function solveLinearDrift(
  f0: Float64Array[],
  xs: Float64Array[],
  d: number,
  lambda: number,
  form: 'auto' | 'dxd' | 'kxk' = 'auto',
): { A: Float64Array; form: 'dxd' | 'kxk' } {
  const k = xs.length;
  if (k === 0) throw new Error('CLIPR: no single-gene responses (no gene of the panel was perturbed in training)');
  if (f0.length !== k) throw new Error(`CLIPR: ${f0.length} drifts for ${k} fixed points`);
  const M = new Float64Array(d * k),
    F = new Float64Array(d * k);
  for (let j = 0; j < k; j++)
    for (let i = 0; i < d; i++) {
      const x = xs[j]![i]!,
        f = f0[j]![i]!;
      if (!Number.isFinite(x) || !Number.isFinite(f))
        throw new Error(
          `CLIPR: non-finite response for query ${j} (gene ${i}): the dynamics diverged; check the model or lower the step size`,
        );
      M[i * k + j] = x;
      F[i * k + j] = f;
    }
  const use = form === 'auto' ? (k < d ? 'kxk' : 'dxd') : form;
  const pinv = use === 'kxk' ? la.tikhonovPinvKxK(M, d, k, lambda) : la.tikhonovPinvDxD(M, d, k, lambda); // k×d
  const A = la.matmul(F, pinv, d, k, d).map((v) => -v);
  return { A, form: use };
}

export async function clipr(model: DriftModel, genes: readonly number[], o: CliprOptions): Promise<CliprResult> {
  const d = model.d;
  const r = await model.responses(genes);
  // f_j(a) = −A(x*_j − a): the fixed points enter relative to the anchor (the origin in the reference).
  const rel = r.fixedPoints.slice(1).map((x) => x.map((v, i) => v - r.anchor[i]!));
  const { A, form } = solveLinearDrift(r.f0, rel, d, o.lambda, o.form);
  return { d, genes: [...genes], ...linearOutputs(A, r.fixedPoints, d), responses: r, form };
}

/**
 * CLIPR read from the model's states alone (responses.ts): direct effects by regressing each gene's response on the
 * perturbed genes' responses when the linear response model explains held-out responses, total effects otherwise.
 * A = a_causalᵀ (diagonal −1) gives b, c_j and the implied mean shifts as in the drift reading.
 */
export async function cliprByResponses(
  model: DriftModel,
  genes: readonly number[],
  o: ResponseReadingOptions = {},
): Promise<CliprResult & { reading: ResponseReadingResult }> {
  const points = model.fixedPoints ? await model.fixedPoints(genes) : (await model.responses(genes)).fixedPoints;
  return cliprFromPoints(points, genes, model.d, o);
}

/** The response reading from given states (control first, then one per query gene): fixed points or sample means. */
export function cliprFromPoints(
  points: readonly Float64Array[],
  genes: readonly number[],
  d: number,
  o: ResponseReadingOptions = {},
): CliprResult & { reading: ResponseReadingResult } {
  const reading = responseReading(points, genes, d, o);
  const A = la.transpose(reading.aCausal, d, d);
  return {
    d,
    genes: [...genes],
    ...linearOutputs(A, points, d),
    aCausal: reading.aCausal,
    responses: { d, genes: [...genes], fixedPoints: [...points], f0: [], anchor: Float64Array.from(points[0]!) },
    form: 'responses',
    reading,
  };
}

/**
 * What a linearised drift A implies at the fixed points (control first): b = −A x*_ctrl, c_j = −A(x*_j − x*_ctrl),
 * a_causal = Aᵀ and the implied mean shifts −A⁻¹c_j (a pseudo-inverse when A is unstable or singular).
 */
export function linearOutputs(
  A: Float64Array,
  fixedPoints: readonly Float64Array[],
  d: number,
): Pick<CliprResult, 'A' | 'aCausal' | 'b' | 'c' | 'meanShifts'> {
  const xc = fixedPoints[0]!;
  const b = la.matmul(A, xc, d, d, 1).map((v) => -v);
  const c = fixedPoints.slice(1).map((x) =>
    la
      .matmul(
        A,
        x.map((v, i) => v - xc[i]!),
        d,
        d,
        1,
      )
      .map((v) => -v),
  );
  const stable = la.maxRealEig(A, d) < 0;
  let meanShifts: Float64Array[];
  try {
    meanShifts = stable ? c.map((cj) => la.solve(A, cj, d).map((v) => -v)) : pinvShifts(A, c, d);
  } catch {
    meanShifts = pinvShifts(A, c, d);
  }
  return { A, aCausal: la.transpose(A, d, d), b, c, meanShifts };
}

/** −A⁺c_j with a lightly regularised pseudo-inverse (A unstable or singular). */
function pinvShifts(A: Float64Array, c: Float64Array[], d: number): Float64Array[] {
  const P = la.tikhonovPinvDxD(A, d, d, 1e-10);
  return c.map((cj) => la.matmul(P, cj, d, d, 1).map((v) => -v));
}
