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
//
// The cascade family (`CASCADE_DEFAULTS`, `simulate --kind cascade`) makes total and direct effects differ on purpose
// and adds what real CRISPRi screens have:
//   layers       regulators in `layers` layers; each regulator of layer ℓ ≥ 1 has a parent in layer ℓ − 1 (chains
//                as long as the layers), every `ffl`-th also one in layer ℓ − 2 (a feed-forward loop)
//   program      a latent program per cell, u_c ~ N(0, program²), scales every gene's production by
//                exp(w_g u_c − w_g² program²/2) (loadings w_g ~ U(0.5, 1)): a confounder shared by all genes
//   efficiency   each perturbed cell's knock-down reaches its own efficiency e_c ~ Beta (mean, concentration):
//                production × (1 − e_c (1 − κ_down)) (knock-ups × (1 + e_c (κ_up − 1)))
//   nbSize       counts are negative binomial: Poisson(rate · Gamma(θ, 1/θ)), variance μ + μ²/θ
// Truth adds the total effects: the steady-state response to each nominal perturbation (mean efficiency, no
// program), x*_r − x*_ctrl, what differential expression estimates.
//
// The planted-module family (`MODULES_DEFAULTS`, `simulate --kind modules`) gives gene modules a ground truth:
//   modules      the regulators in `modules` blocks, chained inside each block (r → r' → r''); each other gene
//                belongs to one module (genes dealt round-robin, so the gene order hides them) and is regulated
//                only by its module's regulators (all of them); the first regulator of module k ≥ 1 has a weak activating
//                parent in module k − 1 (k = 0.3), so a perturbation moves the modules below its own too (what
//                differential expression mixes)
// Truth adds `modules` (each gene's module) and the planted gene sets.
import { Rng } from '../reference/rng.ts';
import { randomStream } from '../core/random-streams.ts';
import { poisson, gamma, beta } from './counts.ts';
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
  counts: {
    librarySize: number;
    librarySd: number;
    scale: number;
    dropoutSlope: number;
    dropoutMid: number;
    /** Negative-binomial size θ (variance μ + μ²/θ); absent = Poisson. */
    nbSize?: number;
  } | null;
  /** Layers of regulators (0: the random DAG of the default family; see the file comment). */
  layers?: number;
  /** Mean number of parents of a layered regulator in the layer above (default 1.3). */
  layerParents?: number;
  /** Standard deviation of the per-cell latent program (0 or absent: none). */
  program?: number;
  /** Per-cell perturbation efficiency ~ Beta with this mean and concentration (absent: every cell fully perturbed). */
  efficiency?: { mean: number; concentration: number } | null;
  /** Planted modules (see the file comment; 0 or absent: none). */
  modules?: number;
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

/** The cascade family: 24 CRISPRi knock-downs in 6 layers of 4, two parents each (chains of 6, feed-forward loops), a confounding program,
 *  per-cell efficiency and negative-binomial counts (file comment). */
export const CASCADE_DEFAULTS: GrnOptions = {
  ...GRN_DEFAULTS,
  regulators: 24,
  layers: 6,
  layerParents: 2,
  upShare: 0,
  ffl: 3,
  program: 0.3,
  efficiency: { mean: 0.8, concentration: 8 },
  counts: { ...GRN_DEFAULTS.counts!, nbSize: 5 },
};

/** The planted-module family: 4 modules of 15 genes (3 chained regulators and 12 targets each), modules linked in a
 *  cascade, knock-downs and knock-ups, Poisson counts with dropout (file comment). */
export const MODULES_DEFAULTS: GrnOptions = {
  ...GRN_DEFAULTS,
  regulators: 12,
  modules: 4,
};

/** Module of gene g in a planted-module network: regulators in blocks, other genes dealt round-robin. */
export function plantedModule(g: number, R: number, K: number): number {
  return g < R ? Math.floor((g * K) / R) : (g - R) % K;
}

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
  /** Per-gene loadings of the latent program (absent without one). */
  programLoading?: Float64Array;
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
  const edge = (source: number, target: number, weak = false) => {
    if (edges.some((e) => e.source === source && e.target === target)) return;
    const sign = weak || rng.bernoulli(0.6) ? 1 : -1;
    edges.push({ source, target, sign, k: weak ? 0.1 : rng.uniformIn(1, 3) });
  };
  if (o.modules) moduleRegulators(o.modules, R, d, rng, edge, chains);
  else if (o.layers) layeredRegulators(o, R, rng, edge, chains, ffls);
  else
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
  for (let g = R; g < d && !o.modules; g++) {
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
    ...(o.program ? { programLoading: Float64Array.from({ length: d }, () => rng.uniformIn(0.5, 1)) } : {}),
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

/** Regulators in layers: each one of layer ℓ ≥ 1 gets a parent in layer ℓ − 1 (chains through every layer), every
 *  `ffl`-th its parent's parent too (a feed-forward loop), and more parents in layer ℓ − 1 up to a mean of
 *  `layerParents`. */
function layeredRegulators(
  o: GrnOptions,
  R: number,
  rng: Rng,
  edge: (source: number, target: number) => void,
  chains: number[][],
  ffls: number[][],
): void {
  const L = Math.min(o.layers!, R),
    layerOf = (r: number) => Math.floor((r * L) / R);
  const firstOf = (l: number) => Math.ceil((l * R) / L);
  const parent = new Int32Array(R).fill(-1);
  for (let b = 0; b < R; b++) {
    const l = layerOf(b);
    if (l === 0) continue;
    const lo = firstOf(l - 1),
      hi = firstOf(l);
    const a = lo + rng.int(hi - lo);
    edge(a, b);
    parent[b] = a;
    if (parent[a]! >= 0) {
      chains.push([parent[a]!, a, b]);
      if (b % o.ffl === 0) {
        edge(parent[a]!, b);
        ffls.push([parent[a]!, a, b]);
      }
    }
    const more = (o.layerParents ?? 1.3) - 1;
    for (let k = 0; k < Math.floor(more); k++) edge(lo + rng.int(hi - lo), b);
    if (rng.bernoulli(more - Math.floor(more))) edge(lo + rng.int(hi - lo), b);
  }
}

/** Planted modules: regulators chained inside their block, the first of block k ≥ 1 weakly under one regulator of
 *  block k − 1, and every other gene under every regulator of its own module. */
function moduleRegulators(
  K: number,
  R: number,
  d: number,
  rng: Rng,
  edge: (source: number, target: number, weak?: boolean) => void,
  chains: number[][],
): void {
  const members = (k: number) => Array.from({ length: R }, (_, r) => r).filter((r) => plantedModule(r, R, K) === k);
  for (let k = 0; k < K; k++) {
    const regs = members(k);
    if (k > 0) {
      const above = members(k - 1);
      edge(above[rng.int(above.length)]!, regs[0]!, true); // a weak activation: modules loosely coupled
    }
    for (let i = 1; i < regs.length; i++) edge(regs[i - 1]!, regs[i]!);
    if (regs.length >= 3) chains.push(regs.slice(0, 3));
  }
  for (let g = R; g < d; g++) {
    const regs = members(plantedModule(g, R, K));
    for (const r of regs) edge(r, g);
  }
}

/** Production factors of an environment: the knock-down or knock-up factor on each target regulator. */
export function factors(net: GrnNetwork, targets: readonly number[], o: Pick<GrnOptions, 'knockDown' | 'knockUp'>) {
  const m = new Float64Array(net.d).fill(1);
  for (const t of targets) m[t] = net.direction[t]! > 0 ? o.knockUp : o.knockDown;
  return m;
}

/** The production factor of a target perturbed at efficiency e: knock-downs × (1 − e(1 − κ_down)), knock-ups
 *  × (1 + e(κ_up − 1)). */
const perturbedFactor = (net: GrnNetwork, t: number, o: GrnOptions, e: number): number =>
  net.direction[t]! > 0 ? 1 + e * (o.knockUp - 1) : 1 - e * (1 - o.knockDown);

/** Each cell's production factors: its own knock-down efficiency on the targets and its latent program (stream
 *  'sim.grn.cells' at (environment, 1), apart from the Brownian increments). */
function cellFactors(net: GrnNetwork, targets: readonly number[], o: GrnOptions, env: number): () => Float64Array {
  const rng = new Rng(randomStream(o.seed, 'sim.grn.cells', env, 1));
  const sd = o.program ?? 0,
    eff = o.efficiency;
  return () => {
    const m = new Float64Array(net.d).fill(1);
    for (const t of targets) {
      m[t] = perturbedFactor(
        net,
        t,
        o,
        eff ? beta(eff.mean * eff.concentration, (1 - eff.mean) * eff.concentration, rng) : 1,
      );
    }
    if (sd > 0) {
      const u = sd * rng.normal();
      for (let g = 0; g < net.d; g++) {
        const w = net.programLoading![g]!;
        m[g]! *= Math.exp(w * u - (w * sd) ** 2 / 2);
      }
    }
    return m;
  };
}

/** The exact steady states of the control and of each regulator perturbed alone at efficiency e (no program, no
 *  noise): [control, regulator 0, …]. What a mean-response reading could see in a screen whose perturbations all
 *  had that efficiency (scripts/clipr-ceiling.ts, README "Where the direct-effect signal is lost"). */
export function singleDoseStates(net: GrnNetwork, o: GrnOptions, e: number): Float64Array[] {
  const ones = new Float64Array(net.d).fill(1);
  return [
    steadyState(net, ones),
    ...Array.from({ length: net.regulators }, (_, r) => {
      const m = ones.slice();
      m[r] = perturbedFactor(net, r, o, e);
      return steadyState(net, m);
    }),
  ];
}

/** The nominal factors of a perturbation: the mean efficiency's (every cell's without an efficiency model). */
export function nominalFactors(net: GrnNetwork, targets: readonly number[], o: GrnOptions): Float64Array {
  const m = new Float64Array(net.d).fill(1);
  for (const t of targets) m[t] = perturbedFactor(net, t, o, o.efficiency?.mean ?? 1);
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
    /** total[r][g] = x*_r[g] − x*_ctrl[g], the steady-state response to the nominal perturbation of r (mean
     *  efficiency, no program): the total effects, which differential expression estimates. */
    total: number[][];
    direction: Record<string, 'down' | 'up'>;
    controlSteadyState: number[];
    chains: string[][];
    feedForwardLoops: string[][];
    /** Planted-module family only: each gene's module and the planted gene sets (module name → genes). */
    modules?: number[];
    geneSets?: Record<string, string[]>;
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
    const rng = new Rng(randomStream(o.seed, 'sim.grn.cells', k));
    // Every cell of the environment shares its factors and steady state, unless each cell draws its own.
    const perCell = o.program || o.efficiency ? cellFactors(net, targets, o, k) : null;
    const shared = perCell ? null : factors(net, targets, o),
      sharedX0 = shared && steadyState(net, shared);
    const values = new Float32Array(o.cells * d),
      x = new Float64Array(d),
      p = new Float64Array(d),
      scratch = new Float64Array(d);
    for (let c = 0; c < o.cells; c++) {
      const m = shared ?? perCell!();
      x.set(sharedX0 ?? steadyState(net, m));
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
        // Gamma mixing draws of negative-binomial counts: their own stream, so Poisson screens are unchanged.
        const nb = cm.nbSize ? new Rng(randomStream(o.seed, 'sim.grn.counts', k, 1)) : null;
        for (let c = 0; c < e.cells; c++) {
          const lib = cm.librarySize * Math.exp(cm.librarySd * rng.normal() - (cm.librarySd * cm.librarySd) / 2);
          for (let g = 0; g < d; g++) {
            const xg = e.values[c * d + g]!;
            const drop = 1 / (1 + Math.exp(cm.dropoutSlope * (Math.log(Math.max(xg, 1e-9)) - Math.log(cm.dropoutMid))));
            const rate = cm.scale * xg * lib;
            const count = poisson(cm.nbSize ? (rate * gamma(cm.nbSize, nb!)) / cm.nbSize : rate, rng);
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
  const total = Array.from({ length: R }, (_, r) => {
    const xr = steadyState(net, nominalFactors(net, [r], o));
    return Array.from({ length: d }, (_, g) => xr[g]! - xc[g]!);
  });
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
      total,
      direction: Object.fromEntries(genes.slice(0, R).map((g, r) => [g, net.direction[r]! > 0 ? 'up' : 'down'])),
      controlSteadyState: Array.from(xc),
      chains: net.chains.map((c) => c.map((g) => genes[g]!)),
      feedForwardLoops: net.ffls.map((c) => c.map((g) => genes[g]!)),
      ...(o.modules ? plantedTruth(genes, R, o.modules) : {}),
    },
  };
}

/** Each gene's planted module and the gene sets a planted GMT file names (`MODULE_k`). */
function plantedTruth(genes: string[], R: number, K: number) {
  const modules = genes.map((_, g) => plantedModule(g, R, K));
  const geneSets = Object.fromEntries(
    Array.from({ length: K }, (_, k) => [`MODULE_${k}`, genes.filter((_, g) => modules[g] === k)]),
  );
  return { modules, geneSets };
}
