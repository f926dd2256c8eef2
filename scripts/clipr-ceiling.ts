// What a CLIPR reading could reach on a simulated gene-network family with perfect responses: per screen seed, the
// OVO-AUROC (perturbed × perturbed block) and indirect-pair false-positive rate of
//   DE         the signed steady-state responses to the nominal perturbations (what differential expression estimates)
//   direct(ε)  the response reading's direct inversion of the exact small-perturbation responses (production of the
//              target × (1 − ε), responses per unit ε) at a fixed relative ridge λ, or the cross-validated one
//   direct     the same inversion of the nominal (full) perturbations' responses
// No training and no GPU: it separates the limits of a reading from those of a trained model (README, CLIPR).
// Usage: npx tsx scripts/clipr-ceiling.ts [--family cascade|grn] [--lambda 1e-9|cv] [--seeds 0,1,2,3,4]
import { parseArgs } from 'node:util';
import {
  sampleGrn,
  steadyState,
  nominalFactors,
  CASCADE_DEFAULTS,
  GRN_DEFAULTS,
  type GrnOptions,
} from '../src/sim/grn.ts';
import { signedResponses, responseReading } from '../src/clipr/responses.ts';
import { blockEntries, ovoAurocOf, indirectPairs, indirectFalsePositiveRate } from '../src/metrics/causal.ts';

const { values } = parseArgs({
  options: {
    family: { type: 'string', default: 'cascade' },
    lambda: { type: 'string', default: '1e-9' },
    seeds: { type: 'string', default: '0,1,2,3,4' },
  },
});
const base = values.family === 'grn' ? GRN_DEFAULTS : CASCADE_DEFAULTS;
const lambda = values.lambda === 'cv' ? undefined : Number(values.lambda);
const EPS = 0.01;

function readings(o: GrnOptions) {
  const net = sampleGrn(o),
    d = o.d,
    R = net.regulators,
    genes = Array.from({ length: R }, (_, r) => r);
  const ones = new Float64Array(d).fill(1),
    xc = steadyState(net, ones);
  const edges = new Float64Array(d * d);
  for (const e of net.edges) if (e.source < R) edges[e.source * d + e.target] = e.sign;
  const indirect = indirectPairs(edges, d);
  // the nominal perturbations (mean efficiency, as truth.json's total effects), and production × (1 − ε)
  const nominal = [xc, ...genes.map((r) => steadyState(net, nominalFactors(net, [r], o)))];
  const scaled = (r: number) => {
    const m = ones.slice();
    m[r] = 1 - EPS;
    return steadyState(net, m);
  };
  const small = [xc, ...genes.map((r) => scaled(r).map((v, i) => xc[i]! + (v - xc[i]!) / EPS))];
  const metric = (a: Float64Array) => {
    const c = blockEntries(edges, d, genes, genes),
      p = blockEntries(a, d, genes, genes);
    return { auroc: ovoAurocOf(c, p), fpr: indirectFalsePositiveRate(c, blockEntries(indirect, d, genes, genes), p) };
  };
  const direct = (states: Float64Array[]) =>
    responseReading(states, genes, d, { effects: 'direct', ...(lambda !== undefined ? { lambda } : {}) }).aCausal;
  return {
    de: metric(signedResponses(nominal, genes, d)),
    directSmall: metric(direct(small)),
    directNominal: metric(direct(nominal)),
  };
}

const seeds = values.seeds.split(',').map(Number);
const rows = seeds.map((seed) => readings({ ...base, seed }));
const mean = (f: (r: (typeof rows)[number]) => number) => (rows.reduce((a, r) => a + f(r), 0) / rows.length).toFixed(3);
console.log(
  `${values.family}, seeds ${seeds.join(',')}, λ ${values.lambda}: OVO-AUROC (indirect-pair FPR), mean over seeds`,
);
for (const k of ['de', 'directSmall', 'directNominal'] as const)
  console.log(`  ${k.padEnd(14)} ${mean((r) => r[k].auroc)} (${mean((r) => r[k].fpr)})`);
