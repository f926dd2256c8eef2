// Linear-SDE synthetic screens with exact Gaussian stationary samples (spec §7.2–7.3).
//   dx = (A x + b + c_e) dt + σ dW,  A = a_causalᵀ,  a_causal = W stabilised so max Re eig = −0.5.
//   Stationary law N(μ_e, S): μ_e = −A⁻¹(b + c_e), A S + S Aᵀ + σ² I = 0.
import { Rng } from '../reference/rng.ts';
import * as la from '../reference/linalg.ts';
import { makeGraph, type GraphKind } from './graphs.ts';
import type { Screen, Environment } from '../data/dataset.ts';
import { envName } from '../data/dataset.ts';
import { randomStream } from '../core/random-streams.ts';

export interface LinearSdeParams {
  d: number;
  aCausal: Float64Array; // W after stabilisation; entry [i, j] = effect of gene i on the drift of gene j
  A: Float64Array; // drift matrix = aCausalᵀ
  b: Float64Array;
  shifts: Float64Array; // on-target shift magnitude per gene: c_j = shifts[j]·e_j
  S: Float64Array; // stationary covariance (shared by all environments)
  graph: Uint8Array;
}

export interface LinearScreenOptions {
  d: number;
  graph?: GraphKind;
  degree?: number;
  perturbed?: number;
  cellsPerEnv?: number;
  weightLow?: number;
  weightHigh?: number;
  matrixEps?: number;
  shiftLow?: number;
  shiftHigh?: number;
  biasHigh?: number;
  sigma?: number;
  doubles?: number;
  seed?: number;
}

export function sampleLinearParams(
  o: Required<Omit<LinearScreenOptions, 'perturbed' | 'cellsPerEnv' | 'doubles'>>,
  rng: Rng,
): LinearSdeParams {
  const { d } = o;
  const graph = makeGraph(o.graph, d, o.degree, rng);
  const w = new Float64Array(d * d);
  for (let i = 0; i < d * d; i++) if (graph[i]) w[i] = rng.uniformIn(o.weightLow, o.weightHigh) * rng.rademacher();
  const shift = la.maxRealEig(w, d) + o.matrixEps;
  for (let i = 0; i < d; i++) w[i * d + i]! -= shift;
  const A = la.transpose(w, d, d);
  const b = Float64Array.from({ length: d }, () => rng.uniformIn(-o.biasHigh, o.biasHigh));
  const shifts = Float64Array.from({ length: d }, () => rng.uniformIn(o.shiftLow, o.shiftHigh) * rng.rademacher());
  const S = la.lyapunov(A, la.eye(d, o.sigma * o.sigma), d);
  return { d, aCausal: w, A, b, shifts, S, graph };
}

/** Stationary mean −A⁻¹(b + Σ_{j∈T} c_j) of the environment with target gene indices T. */
export function stationaryMean(p: LinearSdeParams, targets: readonly number[]): Float64Array {
  const rhs = Float64Array.from(p.b);
  for (const j of targets) rhs[j]! += p.shifts[j]!;
  return la.solve(p.A, rhs, p.d).map((v) => -v);
}

/** Exact i.i.d. samples N(μ, S) via the Cholesky factor of S. */
export function sampleGaussian(mu: Float64Array, L: Float64Array, n: number, rng: Rng): Float32Array {
  const d = mu.length;
  const out = new Float32Array(n * d);
  const z = new Float64Array(d);
  for (let c = 0; c < n; c++) {
    for (let i = 0; i < d; i++) z[i] = rng.normal();
    for (let i = 0; i < d; i++) {
      let s = mu[i]!;
      for (let k = 0; k <= i; k++) s += L[i * d + k]! * z[k]!;
      out[c * d + i] = s;
    }
  }
  return out;
}

export const geneNames = (d: number): string[] => Array.from({ length: d }, (_, i) => `G${i}`);

/** Control + `perturbed` single-gene environments (+ optional random doubles of perturbed genes). */
/** Returns the screen, the generator's parameters and the indices of the perturbed genes (envs 1..p, in order). */
export function linearScreen(opts: LinearScreenOptions): {
  screen: Screen;
  params: LinearSdeParams;
  perturbed: number[];
} {
  const o = {
    graph: 'er' as GraphKind,
    degree: 10,
    weightLow: 1,
    weightHigh: 3,
    matrixEps: 0.5,
    shiftLow: 5,
    shiftHigh: 15,
    biasHigh: 3,
    sigma: 1,
    seed: 0,
    ...opts,
  };
  const rng = new Rng(randomStream(o.seed, 'sim.linear.graph'));
  const params = sampleLinearParams(o, rng);
  const L = la.cholesky(params.S, o.d);
  const genes = geneNames(o.d);
  const perturbed = rng
    .permutation(o.d)
    .slice(0, opts.perturbed ?? o.d)
    .sort((a, b) => a - b);
  const targetSets: number[][] = [[], ...perturbed.map((j) => [j])];
  for (let k = 0; k < (opts.doubles ?? 0); k++) {
    const a = perturbed[rng.int(perturbed.length)]!,
      b = perturbed[rng.int(perturbed.length)]!;
    if (a !== b && !targetSets.some((t) => t.length === 2 && t.includes(a) && t.includes(b)))
      targetSets.push([a, b].sort((x, y) => x - y));
  }
  const sampler = new Rng(randomStream(o.seed, 'sim.linear.cells'));
  const cells = opts.cellsPerEnv ?? 200;
  const envs: Environment[] = targetSets.map((t) => {
    const targets = t.map((j) => genes[j]!);
    return {
      name: envName(targets),
      targets,
      values: sampleGaussian(stationaryMean(params, t), L, cells, sampler),
      cells,
    };
  });
  return { screen: { genes, envs, kind: 'latent' }, params, perturbed };
}
