// Direct against total effects: the indirect pairs of a graph, the indirect-pair false-positive rate, and on the
// cascade family's exact steady states, the property the linear-response reading rests on: inverting the responses
// to weak perturbations recovers direct effects that differential expression (the responses themselves) confuses
// with a chain's indirect ones.
import { describe, it, expect } from 'vitest';
import {
  indirectPairs,
  indirectFalsePositiveRate,
  blockEntries,
  ovoAurocOf,
  responseLeak,
} from '../src/metrics/causal.ts';
import { CASCADE_DEFAULTS, sampleGrn, singleDoseStates, steadyState } from '../src/sim/grn.ts';
import { responseReading, signedResponses } from '../src/clipr/responses.ts';

describe('indirect pairs and their false-positive rate', () => {
  // 0 → 1 → 2 → 3 and 0 → 3: the indirect pairs are (0, 2) and (1, 3); (0, 3) has its own edge
  const d = 4,
    adj = new Float64Array(d * d);
  for (const [s, t] of [
    [0, 1],
    [1, 2],
    [2, 3],
    [0, 3],
  ])
    adj[s! * d + t!] = 1;
  it('are the pairs joined by a path of length ≥ 2 without an edge', () => {
    const ind = indirectPairs(adj, d);
    const pairs = [...ind].flatMap((v, k) => (v ? [[Math.floor(k / d), k % d]] : []));
    expect(pairs).toEqual([
      [0, 2],
      [1, 3],
    ]);
  });
  it('count the indirect pairs among a reading’s K strongest entries (K = true edges)', () => {
    const all = Array.from({ length: d }, (_, i) => i);
    const e = blockEntries(adj, d, all, all),
      ind = blockEntries(indirectPairs(adj, d), d, all, all);
    const pred = (tail02: number) => {
      const p = new Float64Array(d * d);
      for (let k = 0; k < d * d; k++) p[k] = adj[k]! ? 1 : 0;
      p[0 * d + 2] = tail02; // a DE-like reading gives the chain's tail a response
      p[1 * d + 3] = 0.3;
      return blockEntries(p, d, all, all);
    };
    expect(indirectFalsePositiveRate(e, ind, pred(0.5))).toBe(0); // the four edges rank first
    expect(indirectFalsePositiveRate(e, ind, pred(-2))).toBe(0.5); // |−2| outranks an edge: one of two called
    expect(indirectFalsePositiveRate(e, new Float64Array(e.length), pred(2))).toBeNaN();
  });
});

describe('response leak', () => {
  it('medians of |Δ_g| / |Δ_target| over unreached and reached genes, signs ignored, the target left out', () => {
    // perturbation 0 targets gene 0 (own −2) and reaches gene 1; perturbation 1 targets gene 3 (own 4), reaches none
    const r = responseLeak(
      [
        { target: 0, delta: [-2, 1, 0.2, -0.4] },
        { target: 3, delta: [0.4, -0.8, 0, 4] },
      ],
      (p, g) => p === 0 && g === 1,
    );
    // unreached: 0.1, 0.2 (perturbation 0), 0.1, 0.2, 0 (perturbation 1) → median 0.1; reached: 0.5
    expect(r).toEqual({ unreached: 0.1, reached: 0.5, nUnreached: 5, nReached: 1 });
    expect(responseLeak([{ target: 0, delta: [1, 2] }], () => false).reached).toBeNaN();
    expect(responseLeak([{ target: 0, delta: [1, 2, 4] }], () => false).unreached).toBe(3); // even count: the mean of the middle two
  });
});

/** A cascade-family network: its options, the perturbed regulators P and the signed adjacency among all genes. */
function cascadeNetwork(seed: number) {
  const o = { ...CASCADE_DEFAULTS, seed };
  const net = sampleGrn(o),
    d = net.d,
    P = Array.from({ length: net.regulators }, (_, r) => r);
  const adj = new Float64Array(d * d);
  for (const e of net.edges) if (e.source < net.regulators) adj[e.source * d + e.target] = e.sign;
  return { o, net, d, P, adj };
}

describe('the cascade family: weak-perturbation responses inverted against differential expression', () => {
  it.each([0, 1, 2])('seed %i: higher OVO-AUROC and at most half the indirect-pair false positives', (seed) => {
    const { o, net, d, P, adj } = cascadeNetwork(seed);
    const classes = blockEntries(adj, d, P, P),
      ind = blockEntries(indirectPairs(adj, d), d, P, P);
    // states in a log space like the model's: the control and each regulator knocked down by 1 % of its nominal
    // efficiency (t = 0.01), exact steady states
    const log = (x: Float64Array) => x.map((v) => Math.log1p(4 * v));
    const nominal = 1 - o.efficiency!.mean * (1 - o.knockDown);
    const states = [log(steadyState(net, new Float64Array(d).fill(1)))];
    for (const r of P) {
      const m = new Float64Array(d).fill(1);
      m[r] = 1 + 0.01 * (nominal - 1);
      states.push(log(steadyState(net, m)));
    }
    const direct = blockEntries(responseReading(states, P, d, { effects: 'direct' }).aCausal, d, P, P);
    const de = blockEntries(signedResponses(states, P, d), d, P, P);
    expect(ovoAurocOf(classes, direct)).toBeGreaterThan(ovoAurocOf(classes, de));
    expect(ovoAurocOf(classes, direct)).toBeGreaterThan(0.95);
    expect(indirectFalsePositiveRate(classes, ind, direct)).toBeLessThanOrEqual(
      0.5 * indirectFalsePositiveRate(classes, ind, de),
    );
  });
});

describe("the cascade family: what the screen's own dose allows (README, scripts/clipr-ceiling.ts)", () => {
  // log1p(1e4 · x / Σx): the noise-free analogue of the models' data (log1p CP10k of counts with rates ∝ x)
  const cp10k = (x: Float64Array) => {
    const total = x.reduce((a, b) => a + b, 0);
    return x.map((v) => Math.log1p((1e4 * v) / total));
  };
  const log1p = (x: Float64Array) => x.map((v) => Math.log1p(v));
  it('exact responses at the nominal efficiency separate direct effects in CP10k-log1p, not in log1p(x)', () => {
    const nominal = CASCADE_DEFAULTS.efficiency!.mean;
    const reads = { cp10k: [] as number[], log1p: [] as number[], deCp10k: [] as number[], deLog1p: [] as number[] };
    for (const seed of [0, 1, 2, 3, 4, 5]) {
      const { o, net, d, P, adj } = cascadeNetwork(seed);
      const classes = blockEntries(adj, d, P, P),
        raw = singleDoseStates(net, o, nominal);
      const auroc = (a: Float64Array) => ovoAurocOf(classes, blockEntries(a, d, P, P));
      for (const [scale, f] of [
        ['cp10k', cp10k],
        ['log1p', log1p],
      ] as const) {
        const states = raw.map(f);
        reads[scale].push(auroc(responseReading(states, P, d, { effects: 'direct', lambda: 1e-9 }).aCausal));
        reads[scale === 'cp10k' ? 'deCp10k' : 'deLog1p'].push(auroc(signedResponses(states, P, d)));
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // measured: CP10k-log1p 0.982 against DE's 0.931; log1p(x) 0.943 against DE's 0.948
    expect(mean(reads.cp10k)).toBeGreaterThan(mean(reads.deCp10k) + 0.04);
    expect(Math.min(...reads.cp10k)).toBeGreaterThan(0.97);
    expect(mean(reads.log1p)).toBeLessThan(mean(reads.deLog1p) + 0.01);
  });
});
