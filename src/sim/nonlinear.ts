// Nonlinear synthetic screens where double perturbations interact non-additively.
//
// A gradient (Hopfield-type) system: with φ = tanh and a sparse symmetric coupling J,
//   U(x) = ½‖x‖² − bᵀx − ½ φ(x)ᵀ J φ(x),     dx = (−∇U(x) + c_e) dt + √2 dW,
//   −∇U(x)_i = −x_i + b_i + φ'(x_i) Σ_j J_ij φ(x_j).
// The stationary law of environment e is p_e(x) ∝ exp(−U(x) + c_eᵀx), so its score is exactly the drift: a
// perturbation tilts the energy by an on-target shift c_e (c_j·e_j summed over targets). Saturation of φ and
// the φ' gates make the response to two shifts differ from the sum of the single responses.
// Samples are the endpoints of independent Euler–Maruyama chains run on a Backend (GPU or f64 reference).
import { simulateSde } from '../sde/em.ts';
import { Rng } from '../reference/rng.ts';
import type { Backend, TensorLike } from '../ops/backend.ts';
import type { Screen, Environment } from '../data/dataset.ts';
import { envName } from '../data/dataset.ts';
import { geneNames } from './linear.ts';
import { randomStream } from '../core/random-streams.ts';
import { hopfieldEmFits, hopfieldEmKernel } from './kernels/hopfield-em.ts';

export interface HopfieldParams {
  d: number;
  J: Float64Array;
  b: Float64Array;
  shifts: Float64Array;
}

export interface NonlinearScreenOptions {
  d?: number;
  degree?: number;
  couplingLow?: number;
  couplingHigh?: number;
  biasHigh?: number;
  shiftLow?: number;
  shiftHigh?: number;
  perturbed?: number;
  doubles?: number;
  cellsPerEnv?: number;
  dt?: number;
  steps?: number;
  seed?: number;
}

export const NONLINEAR_DEFAULTS = {
  d: 24,
  degree: 3,
  couplingLow: 1.0,
  couplingHigh: 2.0,
  biasHigh: 0.5,
  shiftLow: 2,
  shiftHigh: 4,
  perturbed: 8,
  doubles: 16,
  cellsPerEnv: 400,
  dt: 0.02,
  steps: 1500,
  seed: 0,
};

export function sampleHopfieldParams(o: typeof NONLINEAR_DEFAULTS, rng: Rng): HopfieldParams {
  const { d } = o;
  const J = new Float64Array(d * d);
  const p = Math.min(o.degree / (d - 1), 1);
  for (let i = 0; i < d; i++)
    for (let j = i + 1; j < d; j++) {
      if (!rng.bernoulli(p)) continue;
      const w = rng.uniformIn(o.couplingLow, o.couplingHigh) * rng.rademacher();
      J[i * d + j] = w;
      J[j * d + i] = w;
    }
  const b = Float64Array.from({ length: d }, () => rng.uniformIn(-o.biasHigh, o.biasHigh));
  const shifts = Float64Array.from({ length: d }, () => rng.uniformIn(o.shiftLow, o.shiftHigh) * rng.rademacher());
  return { d, J, b, shifts };
}

/** Drift bias b + c_e for target gene indices. */
export function envBias(p: HopfieldParams, targets: readonly number[]): Float64Array {
  const v = Float64Array.from(p.b);
  for (const j of targets) v[j]! += p.shifts[j]!;
  return v;
}

/**
 * Run `steps` Euler–Maruyama steps for all chains at once: X [N×d] with per-row bias [N×d] (b + c_e of each
 * chain's environment). Noise of step k is stream 'sim.nonlinear.noise' at k. Returns the final X.
 * Chains of d % 4 == 0, d ≤ 64 genes take the fused step (`hopfield_em`, one dispatch per step, no temporaries, the same
 * values as the op-by-op step below where products take matmul_rowu); `opByOp` forces the op-by-op path.
 */
export function simulateHopfield<T extends TensorLike>(
  B: Backend<T>,
  p: HopfieldParams,
  x0: T,
  bias: T,
  dt: number,
  steps: number,
  seed: number,
  startStep = 0,
  opByOp = false,
): T {
  const J = B.fromArray(p.J, [p.d, p.d]);
  const n = x0.shape[0]!;
  const noise = (k: number) => randomStream(seed, 'sim.nonlinear.noise', startStep + k);
  if (!opByOp && hopfieldEmFits(p.d)) {
    const x = B.full([n, p.d], 0);
    B.copy(x0, x); // the kernel steps in place; the caller's x0 stays as it was
    // no temporaries: the engine submits every maxDispatchesPerSubmit steps on its own
    for (let k = 0; k < steps; k++) B.fused(hopfieldEmKernel, [J, bias, x], { dt, stream: noise(k) });
    B.dispose(J);
    return x;
  }
  const sq = Math.sqrt(2 * dt);
  const drift = (x: T) => {
    const phi = B.unary('tanh', x);
    const h = B.matmul(phi, J); // h_i = Σ_j J_ij φ(x_j)   (J symmetric)
    const gated = B.binary('tanhGrad', phi, h); // φ'(x_i)·h_i = (1 − φ²)·h
    return B.binary('add', B.binary('add', B.unary('neg', x), bias), gated);
  };
  // Additive noise √(2 dt)·ξ, ξ from stream 'sim.nonlinear.noise' at the step.
  const dW = (k: number) => B.randomNormal([n, p.d], noise(k), sq);
  const x = simulateSde(B, { drift }, x0, startStep * dt, (startStep + steps) * dt, steps, dW, dt);
  B.dispose(J);
  return x;
}

/** A nonlinear screen: control, single perturbations of `perturbed` genes, and random doubles among them. */
export async function nonlinearScreen<T extends TensorLike>(
  B: Backend<T>,
  opts: NonlinearScreenOptions = {},
): Promise<{ screen: Screen; params: HopfieldParams; targetSets: number[][] }> {
  const o = { ...NONLINEAR_DEFAULTS, ...opts };
  const rng = new Rng(randomStream(o.seed, 'sim.nonlinear.params'));
  const params = sampleHopfieldParams(o, rng);
  const genes = geneNames(o.d);
  const perturbed = rng
    .permutation(o.d)
    .slice(0, o.perturbed)
    .sort((a, b) => a - b);
  const targetSets: number[][] = [[], ...perturbed.map((j) => [j])];
  const pairs: [number, number][] = [];
  for (let a = 0; a < perturbed.length; a++)
    for (let c = a + 1; c < perturbed.length; c++) pairs.push([perturbed[a]!, perturbed[c]!]);
  for (const k of rng.permutation(pairs.length).slice(0, o.doubles)) targetSets.push([...pairs[k]!]);
  const values = await simulateEnvs(B, params, targetSets, o.cellsPerEnv, o.dt, o.steps, o.seed);
  const envs: Environment[] = targetSets.map((t, e) => {
    const targets = t.map((j) => genes[j]!);
    return { name: envName(targets), targets, values: values[e]!, cells: o.cellsPerEnv };
  });
  return { screen: { genes, envs, kind: 'latent' }, params, targetSets };
}

/** Stationary samples for several environments in one batch of chains (started at 0). */
export async function simulateEnvs<T extends TensorLike>(
  B: Backend<T>,
  p: HopfieldParams,
  targetSets: number[][],
  cells: number,
  dt: number,
  steps: number,
  seed: number,
): Promise<Float32Array[]> {
  const n = targetSets.length * cells,
    d = p.d;
  const bias = new Float64Array(n * d);
  targetSets.forEach((t, e) => {
    const v = envBias(p, t);
    for (let c = 0; c < cells; c++) bias.set(v, (e * cells + c) * d);
  });
  const x0 = B.full([n, d], 0),
    biasT = B.fromArray(bias, [n, d]);
  const x = simulateHopfield(B, p, x0, biasT, dt, steps, seed);
  const out = await B.toArray(x);
  [x0, biasT, x].forEach((t) => B.dispose(t));
  return targetSets.map((_, e) => Float32Array.from(out.subarray(e * cells * d, (e + 1) * cells * d)));
}
