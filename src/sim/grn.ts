// A directed nonlinear gene-regulatory network with counts and its true direct effects, so CLIPR has a ground truth
// that is not a linear SDE. Designed from the maths of SERGIO / BoolODE-style kinetic models (written here from
// scratch):
//   production   P_g(x) = (β_g + Σ_{r ∈ act(g)} k_rg · x_r^n/(h_r^n + x_r^n)) · Π_{r ∈ rep(g)} h_r^n/(h_r^n + x_r^n)
//                (activators add, repressors multiply: repression is non-additive)
//   drift        f_g(x) = m_g · P_g(x) − λ_g x_g,   m_g the perturbation's production factor (1 unperturbed; κ_down
//                for a knock-down, κ_up for a knock-up of gene g)
//   noise        dx_g = f_g dt + q (√(m_g P_g) + √(λ_g x_g)) dW_g   (chemical-Langevin, state dependent), x ≥ 0
// The graph is a DAG: the first `regulators` genes (the ones perturbed) are ordered; each regulator after the first
// gets 1–2 parents among earlier regulators, giving chains, and every `ffl`-th regulator closes a feed-forward loop
// (a → b → c with a → c). Every other gene gets 1–3 regulator parents. Being acyclic, each environment has one
// deterministic steady state, computed in topological order; cells start there and run `burnIn` time units of the
// SDE. Truth: the signed adjacency, the Jacobian ∂f/∂x at the control steady state (the direct effects), the steady
// states and the mean shifts. Counts: library sizes log-normal around `librarySize`, Poisson(scale · x_g · L/L̄),
// then dropout with probability 1/(1 + exp(k (log(x_g) − log(x₀)))) (lowly expressed genes drop out more).
import { Rng } from '../reference/rng.ts';
import { randomStream } from '../core/random-streams.ts';
import { poisson } from './counts.ts';
import type { Screen, Environment } from '../data/dataset.ts';
import { envName } from '../data/dataset.ts';

export interface GrnOptions {
  d: number;
  /** Perturbed genes, the regulators (the first genes of the order). */
  regulators: number;
  doubles: number;
  cells: number;
  seed: number;
  hillN: number;
  /** Production factors of a knock-down and a knock-up. */
  knockDown: number;
  knockUp: number;
  /** Every this-many-th regulator closes a feed-forward loop. */
  ffl: number;
  /** Share of regulators knocked up (the rest are knocked down). */
  upShare: number;
  noise: number;
  dt: number;
  burnIn: number;
  counts: { librarySize: number; librarySd: number; scale: number; dropoutSlope: number; dropoutMid: number } | null;
}

export const GRN_DEFAULTS: GrnOptions = {
  d: 60,
  regulators: 16,
  doubles: 20,
  cells: 300,
  seed: 0,
  hillN: 2,
  knockDown: 0.15,
  knockUp: 3,
  ffl: 4,
  upShare: 0.5,
  noise: 0.15,
  dt: 0.02,
  burnIn: 6,
  counts: { librarySize: 1, librarySd: 0.4, scale: 4, dropoutSlope: 3, dropoutMid: 0.3 },
};

export interface GrnEdge {
  source: number;
  target: number;
  k: number;
  sign: 1 | -1;
}

export interface GrnNetwork {
  d: number;
  regulators: number;
  /** Parents of each gene in topological order (regulators first). */
  edges: GrnEdge[];
  basal: Float64Array;
  decay: Float64Array;
  /** Hill thresholds h_r per source gene (half its control steady state). */
  half: Float64Array;
  hillN: number;
  /** Perturbation direction per regulator: +1 knock-up, −1 knock-down. */
  direction: Int8Array;
  chains: number[][];
  ffls: number[][];
}

const hillAct = (x: number, h: number, n: number) => {
  const xn = Math.max(x, 0) ** n;
  return xn / (h ** n + xn);
};

/** P_g(x) for every gene, times the production factors m (into `out`, with `rep` as scratch: the SDE loop reuses
 *  both instead of allocating per step). */
export function production(
  net: GrnNetwork,
  x: ArrayLike<number>,
  m: ArrayLike<number>,
  out = new Float64Array(net.d),
  rep = new Float64Array(net.d),
): Float64Array {
  activationRepression(net, x, out, rep);
  for (let g = 0; g < net.d; g++) out[g]! *= rep[g]! * m[g]!;
  return out;
}

/** The two factors of P_g: β_g + Σ activation (into `act`) and Π repression (into `rep`). */
function activationRepression(net: GrnNetwork, x: ArrayLike<number>, act: Float64Array, rep: Float64Array): void {
  act.set(net.basal);
  rep.fill(1);
  for (const e of net.edges) {
    const a = hillAct(x[e.source]!, net.half[e.source]!, net.hillN);
    if (e.sign > 0) act[e.target]! += e.k * a;
    else rep[e.target]! *= 1 - a;
  }
}

/** The drift f(x) = m ⊙ P(x) − λ ⊙ x. */
export function grnDrift(net: GrnNetwork, x: ArrayLike<number>, m: ArrayLike<number>): Float64Array {
  const p = production(net, x, m);
  return p.map((v, g) => v - net.decay[g]! * x[g]!);
}

/** The deterministic steady state (the DAG solved in topological order: genes are numbered in that order). */
export function steadyState(net: GrnNetwork, m: ArrayLike<number>): Float64Array {
  const x = new Float64Array(net.d);
  // Gene g's production depends only on genes before it, so one sweep in order settles every gene.
  for (let g = 0; g < net.d; g++) x[g] = production(net, x, m)[g]! / net.decay[g]!;
  return x;
}

/** ∂f/∂x at x, analytically: J[g][r] (row = affected gene g, column = regulator r), row-major d×d. */
export function grnJacobian(net: GrnNetwork, x: ArrayLike<number>, m: ArrayLike<number>): Float64Array {
  const d = net.d,
    J = new Float64Array(d * d),
    n = net.hillN;
  const act = new Float64Array(d),
    rep = new Float64Array(d);
  activationRepression(net, x, act, rep);
  for (const e of net.edges) {
    const xs = Math.max(x[e.source]!, 0),
      h = net.half[e.source]!;
    // d/dx of x^n/(h^n + x^n) = n h^n x^(n−1)/(h^n + x^n)²
    const da = xs > 0 ? (n * h ** n * xs ** (n - 1)) / (h ** n + xs ** n) ** 2 : 0;
    const a = hillAct(xs, h, n);
    const g = e.target;
    const dP = e.sign > 0 ? e.k * da * rep[g]! : act[g]! * (rep[g]! / (1 - a)) * -da;
    J[g * d + e.source]! += m[g]! * dP;
  }
  for (let g = 0; g < d; g++) J[g * d + g]! -= net.decay[g]!;
  return J;
}

/** Draw the network: DAG among the regulators with chains and feed-forward loops, targets with 1–3 parents. */
export function sampleGrn(o: GrnOptions): GrnNetwork {
  const rng = new Rng(randomStream(o.seed, 'sim.grn.graph'));
  const d = o.d,
    R = Math.min(o.regulators, d);
  const edges: GrnEdge[] = [],
    chains: number[][] = [],
    ffls: number[][] = [];
  const edge = (source: number, target: number) => {
    if (edges.some((e) => e.source === source && e.target === target)) return;
    const sign = rng.bernoulli(0.6) ? 1 : -1;
    edges.push({ source, target, sign, k: rng.uniformIn(1, 3) });
  };
  for (let b = 1; b < R; b++) {
    const a = rng.int(b);
    edge(a, b);
    if (a > 0 && edges.some((e) => e.target === a)) {
      const up = edges.find((e) => e.target === a)!.source;
      chains.push([up, a, b]);
      if (b % o.ffl === 0) {
        edge(up, b); // up → a → b and up → b: a feed-forward loop
        ffls.push([up, a, b]);
      }
    }
    if (rng.bernoulli(0.3)) edge(rng.int(b), b);
  }
  for (let g = R; g < d; g++) {
    const k = 1 + rng.int(3);
    for (let j = 0; j < k; j++) edge(rng.int(R), g);
  }
  edges.sort((a, b) => a.target - b.target || a.source - b.source);
  const basal = Float64Array.from({ length: d }, () => rng.uniformIn(0.2, 1));
  const decay = Float64Array.from({ length: d }, () => rng.uniformIn(0.8, 1.2));
  const direction = Int8Array.from({ length: R }, () => (rng.bernoulli(o.upShare) ? 1 : -1));
  const net: GrnNetwork = {
    d,
    regulators: R,
    edges,
    basal,
    decay,
    half: new Float64Array(d).fill(1),
    hillN: o.hillN,
    direction,
    chains,
    ffls,
  };
  // Thresholds at half the control steady state, gene by gene in order (each gene's level depends only on earlier
  // thresholds), so every regulator sits on the steep part of its Hill curves.
  const x = new Float64Array(d),
    ones = new Float64Array(d).fill(1);
  for (let g = 0; g < d; g++) {
    x[g] = production(net, x, ones)[g]! / decay[g]!;
    net.half[g] = Math.max(0.5 * x[g]!, 1e-3);
  }
  return net;
}

/** Production factors of an environment: the knock-down or knock-up factor on each target regulator. */
export function factors(net: GrnNetwork, targets: readonly number[], o: Pick<GrnOptions, 'knockDown' | 'knockUp'>) {
  const m = new Float64Array(net.d).fill(1);
  for (const t of targets) m[t] = net.direction[t]! > 0 ? o.knockUp : o.knockDown;
  return m;
}

export interface GrnScreen {
  screen: Screen;
  net: GrnNetwork;
  /** Latent expression per environment (before counts). */
  latent: Screen;
  truth: {
    genes: string[];
    regulators: string[];
    /** adjacency[r][g] ∈ {−1, 0, 1}: sign of the edge r → g (regulators × genes). */
    adjacency: number[][];
    /** direct[r][g] = ∂f_g/∂x_r at the control steady state (regulators × genes): the true direct effects. */
    direct: number[][];
    direction: Record<string, 'down' | 'up'>;
    controlSteadyState: number[];
    chains: string[][];
    feedForwardLoops: string[][];
  };
}

export function grnScreen(opts: Partial<GrnOptions> = {}): GrnScreen {
  const o = { ...GRN_DEFAULTS, ...opts, counts: opts.counts === undefined ? GRN_DEFAULTS.counts : opts.counts };
  const net = sampleGrn(o),
    d = o.d,
    R = net.regulators;
  const genes = Array.from({ length: d }, (_, g) => (g < R ? `R${g}` : `G${g}`));
  const pick = new Rng(randomStream(o.seed, 'sim.grn.graph', 1));
  const sets: number[][] = [[], ...Array.from({ length: R }, (_, r) => [r])];
  const seen = new Set<string>();
  for (let tries = 0; seen.size < Math.min(o.doubles, (R * (R - 1)) / 2) && tries < 10000; tries++) {
    const a = pick.int(R),
      b = pick.int(R);
    if (a === b) continue;
    const key = [Math.min(a, b), Math.max(a, b)].join('+');
    if (seen.has(key)) continue;
    seen.add(key);
    sets.push([Math.min(a, b), Math.max(a, b)]);
  }
  const steps = Math.round(o.burnIn / o.dt),
    sq = Math.sqrt(o.dt);
  const envs: Environment[] = sets.map((targets, k) => {
    const m = factors(net, targets, o),
      x0 = steadyState(net, m),
      rng = new Rng(randomStream(o.seed, 'sim.grn.cells', k));
    const values = new Float32Array(o.cells * d),
      x = new Float64Array(d),
      p = new Float64Array(d),
      scratch = new Float64Array(d);
    for (let c = 0; c < o.cells; c++) {
      x.set(x0);
      for (let s = 0; s < steps; s++) {
        production(net, x, m, p, scratch);
        for (let g = 0; g < d; g++) {
          const lx = net.decay[g]! * x[g]!;
          const next = x[g]! + (p[g]! - lx) * o.dt + o.noise * (Math.sqrt(p[g]!) + Math.sqrt(lx)) * sq * rng.normal();
          x[g] = Math.max(next, 0);
        }
      }
      values.set(x, c * d);
    }
    return {
      name: envName(targets.map((t) => genes[t]!)),
      targets: targets.map((t) => genes[t]!).sort(),
      values,
      cells: o.cells,
    };
  });
  const latent: Screen = { genes, envs, kind: 'latent' };
  let screen = latent;
  if (o.counts) {
    const cm = o.counts;
    screen = {
      genes,
      kind: 'counts',
      envs: envs.map((e, k) => {
        const rng = new Rng(randomStream(o.seed, 'sim.grn.counts', k)),
          v = new Float32Array(e.values.length);
        for (let c = 0; c < e.cells; c++) {
          const lib = cm.librarySize * Math.exp(cm.librarySd * rng.normal() - (cm.librarySd * cm.librarySd) / 2);
          for (let g = 0; g < d; g++) {
            const xg = e.values[c * d + g]!;
            const drop = 1 / (1 + Math.exp(cm.dropoutSlope * (Math.log(Math.max(xg, 1e-9)) - Math.log(cm.dropoutMid))));
            const count = poisson(cm.scale * xg * lib, rng);
            v[c * d + g] = rng.uniform() < drop ? 0 : count;
          }
        }
        return { ...e, values: v };
      }),
    };
  }
  const ones = new Float64Array(d).fill(1),
    xc = steadyState(net, ones),
    J = grnJacobian(net, xc, ones);
  const adjacency = Array.from({ length: R }, () => new Array<number>(d).fill(0));
  for (const e of net.edges) if (e.source < R) adjacency[e.source]![e.target] = e.sign;
  return {
    screen,
    net,
    latent,
    truth: {
      genes,
      regulators: genes.slice(0, R),
      adjacency,
      direct: Array.from({ length: R }, (_, r) => Array.from({ length: d }, (_, g) => J[g * d + r]!)),
      direction: Object.fromEntries(genes.slice(0, R).map((g, r) => [g, net.direction[r]! > 0 ? 'up' : 'down'])),
      controlSteadyState: Array.from(xc),
      chains: net.chains.map((c) => c.map((g) => genes[g]!)),
      feedForwardLoops: net.ffls.map((c) => c.map((g) => genes[g]!)),
    },
  };
}
