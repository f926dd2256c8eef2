// Every random draw of the library, by name. A draw is a block of Philox-4x32-10 (src/reference/philox.ts,
// shaders/philox.wgsl) with key = the user's seed and counter
//
//     (index, a, b, domain·256 + round)
//
// where `domain` is the registered id of the draw's purpose, (a, b) are the purpose's own coordinates (training
// step, sampler chunk, parameter index …; documented per domain below), `index` runs over the draw (element block,
// or the host generator's call counter) and `round` (0–255) is left to the consumer for redraws (rejection rounds of
// the Poisson sampler, truncation rounds of lecun-normal initialisation). Two different purposes therefore never
// share a block, whatever their coordinates and whatever seed each was given: collisions are impossible by
// construction, not by choosing numbers far apart. This is JAX's `fold_in` idea (split a key by a name) done in the
// counter rather than the key, so a stream stays a pure function of (seed, domain, a, b, index) and the GPU kernels
// and their Float64 twins draw the same bits.
//
// Rules: a domain belongs to one kind of consumer (device normals, host generator or Poisson sampler), and within a
// domain each call site uses distinct (a, b). Add a purpose by adding a name here with the next free id; never
// reuse or renumber an id (that would change every number drawn under it).

/** Registered purposes → domain id (counter word 3 / 256), with what a and b mean. */
export const RANDOM_DOMAINS = {
  /** Host generator: the environments, cells and noise levels of DSM training step a. */
  'dsm.batch': 1,
  /** Device normals: the ε of DSM training step a. */
  'dsm.noise': 2,
  /** Device normals: the sampler's initial state z₀ of sampling chunk a (environments batched per chunk). */
  'sampler.init': 3,
  /** Device normals: the Langevin noise of sampler step a (1-based, counted across levels) of chunk b; a = 0 is the
   *  Leimkuhler–Matthews sampler's noise before its first step. */
  'sampler.noise': 4,
  /** Normals: the score network's parameter a (index in PARAM_NAMES); round = truncation redraw. */
  'scoreNet.init': 5,
  /** Normals: PEPER's layer a; round = truncation redraw. */
  'peper.init': 6,
  /** Host generator: PEPER's training batches. */
  'peper.batch': 7,
  /** Normals: the count prior's generator of environment a, layer b; round = truncation redraw. */
  'prior.init': 8,
  /** Normals: the count prior's zero-inflation logits θ. */
  'prior.theta': 9,
  /** Device normals: the Monte-Carlo latents of count-prior training step a. */
  'prior.mc': 10,
  /** Host generator: the count prior's training batches. */
  'prior.batch': 11,
  /** Device normals: n = b latent states drawn from the count prior of environment a. */
  'prior.states': 12,
  /** Device normals: the Brownian increments of step a of the nonlinear simulator. */
  'sim.nonlinear.noise': 13,
  /** Host generator: the nonlinear screen's parameters, perturbed genes and doubles. */
  'sim.nonlinear.params': 14,
  /** Host generator: the linear simulator's graph and weights. */
  'sim.linear.graph': 15,
  /** Host generator: the linear simulator's cells. */
  'sim.linear.cells': 16,
  /** Host generator: library sizes and counts of the count simulator. */
  'sim.counts': 17,
  /** Host generator: the order of perturbations behind the random splits. */
  'split.order': 18,
  /** Host generator: the order of doubles of the built-in screen. */
  'builtin.order': 19,
  /** Host generator: the cells a simple baseline resamples. */
  'baseline.cells': 20,
  /** Host generator: the point pairs of the Theil–Sen estimator. */
  'stats.theilSen': 21,
  /** Poisson sampler: counts decoded from latent states, chunk a; round = rejection round. */
  'decode.counts': 22,
  /** Normals: gradient-check tangent of input a. */
  'check.tangent': 23,
  /** Normals: gradient-check cotangent. */
  'check.cotangent': 24,
  /** Normals: the engine demo's inputs. */
  'demo.data': 25,
  /** Normals: the generic MLP trainer's layer a; round = truncation redraw. */
  'mlp.init': 26,
  /** Host generator: the gene-network simulator's graph, kinetics and perturbation directions. */
  'sim.grn.graph': 27,
  /** Host generator: the gene-network simulator's cells of environment a (Brownian increments). */
  'sim.grn.cells': 28,
  /** Host generator: library sizes, dropout and Poisson counts of the gene-network screen's environment a. */
  'sim.grn.counts': 29,
  /** Device normals: the inputs of kernel-choice measurements and checks (the sampler's 'auto' kernel, the backend
   *  trial of `lcd-webgpu tune`); a = the input's index, b = 0. They never reach a result. */
  'tuning.inputs': 30,
  /** Host generator: bootstrap resamples of the causal analysis (the implication test's lift and precision CIs);
   *  a = the threshold's index, b = 0 for the causal matrix, 1 for the DE comparator. */
  'analysis.bootstrap': 31,
  /** Host generator: the training combinations fit holds out to choose its step by validation (--early-stopping). */
  'split.validation': 32,
  /** Host generator: the training batches of the count prior's environment a fitted on its own (after the joint
   *  steps, PriorOptions.jointSteps). */
  'prior.env.batch': 33,
  /** Device normals: the Monte-Carlo latents of step b of the count prior's environment a fitted on its own. */
  'prior.env.mc': 34,
  /** Host generator: the sampling seed of model a (≥ 1) of a `predict --ensemble` (model 0 samples with the seed
   *  itself), so that the models' cells do not share their noise. */
  'predict.ensemble': 35,
  /** Host generator: the sampling seed of model a (≥ 1) of a CLIPR ensemble (model 0 samples with the seed itself). */
  'clipr.ensemble': 36,
  /** Free for tests, benchmarks and scripts: a and b as the caller likes. Never used by the library. */
  scratch: 255,
} as const;

export type RandomDomain = keyof typeof RANDOM_DOMAINS;

/** The address of one random stream: key words and the three fixed counter words (word 0 runs over the draw). */
export interface RandomStream {
  readonly seed: number;
  readonly domain: RandomDomain;
  readonly a: number;
  readonly b: number;
}

const U32 = 2 ** 32;

function checkWord(what: string, v: number, limit = U32): void {
  if (!Number.isInteger(v) || v < 0 || v >= limit)
    throw new RangeError(`random stream ${what} must be an integer in [0, ${limit}), got ${v}`);
}

/** The stream of purpose `domain` at coordinates (a, b) under `seed` (a non-negative integer below 2^53). */
export function randomStream(seed: number, domain: RandomDomain, a = 0, b = 0): RandomStream {
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  if (!(domain in RANDOM_DOMAINS)) throw new RangeError(`unknown random domain '${domain}'`);
  checkWord('coordinate a', a);
  checkWord('coordinate b', b);
  return { seed, domain, a, b };
}

/** Philox key words [lo, hi] of the stream's seed. */
export function keyWords(s: RandomStream): [number, number] {
  return [s.seed >>> 0, Math.floor(s.seed / U32) >>> 0];
}

/** Counter words 1–3 for redraw round `round` (0–255): [a, b, domain·256 + round]. */
export function counterWords(s: RandomStream, round = 0): [number, number, number] {
  checkWord('round', round, 256);
  return [s.a >>> 0, s.b >>> 0, RANDOM_DOMAINS[s.domain] * 256 + round];
}
