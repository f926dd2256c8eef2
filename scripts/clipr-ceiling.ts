// What a CLIPR reading could reach on a simulated gene-network family with perfect responses: per screen seed, the
// OVO-AUROC (perturbed × perturbed block) and indirect-pair false-positive rate of
//   DE         the signed steady-state responses to the nominal perturbations (what differential expression estimates)
//   direct(ε)  the response reading's direct inversion of the exact small-perturbation responses (production of the
//              target × (1 − ε), responses per unit ε) at a fixed relative ridge λ, or the cross-validated one
//   direct     the same inversion of the nominal (full) perturbations' responses
//   dose e     with --doses: the same inversion of the exact responses to each target perturbed at efficiency e
//              (production × (1 − e(1 − κ)) for a knock-down), per unit e: what a screen whose knock-downs all had
//              efficiency e would allow. The cascade family's cells draw e from Beta(6.4, 1.6) (5 % below about 0.5).
//   extrap     with --extrapolate e1,e2: the Richardson combination (e2·s(e1) − e1·s(e2)) / (e2 − e1) of the two
//              doses' secants s(e), exact for a quadratic dose response: the small-dose responses as a model of each
//              cell's efficiency could at best extrapolate them from doses inside the screen's range
// --units cp10k reads every state as log1p(1e4 · x_g / Σ_h x_h), the noise-free analogue of the models' data (log1p
// CP10k of the counts, whose rates are proportional to x); log1p reads log1p(x); the default reads x itself. The
// scale decides how far a nominal dose's saturation bends the responses: these screens' genes sit at x ≈ 0.02–7, so
// CP10k-log1p is nearly log x, where the Hill kinetics are nearly linear.
// No training and no GPU: it separates the limits of a reading from those of a trained model (README, CLIPR).
// Usage: npx tsx scripts/clipr-ceiling.ts [--family cascade|grn] [--lambda 1e-9|cv] [--seeds 0,1,2,3,4]
//          [--units latent|log1p|cp10k] [--doses 0.01,0.2,0.4,0.8] [--extrapolate 0.4,0.8] [--per-seed]
import { parseArgs } from 'node:util';
import { meanSd } from '../src/stats/summary.ts';
import {
  sampleGrn,
  steadyState,
  nominalFactors,
  singleDoseStates,
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
    units: { type: 'string', default: 'latent' },
    doses: { type: 'string', default: '' },
    extrapolate: { type: 'string', default: '' },
    'per-seed': { type: 'boolean', default: false },
  },
});
if (!['latent', 'log1p', 'cp10k'].includes(values.units!))
  throw new Error(`--units ${values.units}: latent, log1p or cp10k`);
const doses = values.doses ? values.doses.split(',').map(Number) : [];
const extrap = values.extrapolate ? values.extrapolate.split(',').map(Number) : [];
if (extrap.length && (extrap.length !== 2 || extrap[0] === extrap[1]))
  throw new Error(`--extrapolate ${values.extrapolate}: two different efficiencies, e.g. 0.4,0.8`);
for (const e of [...doses, ...extrap])
  if (!(e > 0 && e <= 1)) throw new Error(`--doses/--extrapolate: ${e} is not an efficiency in (0, 1]`);
const unit = (x: Float64Array): Float64Array => {
  if (values.units === 'log1p') return x.map((v) => Math.log1p(v));
  if (values.units !== 'cp10k') return x;
  const total = x.reduce((a, b) => a + b, 0);
  return x.map((v) => Math.log1p((1e4 * v) / total));
};
const base = values.family === 'grn' ? GRN_DEFAULTS : CASCADE_DEFAULTS;
const lambda = values.lambda === 'cv' ? undefined : Number(values.lambda);
const EPS = 0.01;

function readings(o: GrnOptions) {
  const net = sampleGrn(o),
    d = o.d,
    R = net.regulators,
    genes = Array.from({ length: R }, (_, r) => r);
  const ones = new Float64Array(d).fill(1),
    xc = unit(steadyState(net, ones));
  const edges = new Float64Array(d * d);
  for (const e of net.edges) if (e.source < R) edges[e.source * d + e.target] = e.sign;
  const indirect = indirectPairs(edges, d);
  // the nominal perturbations (mean efficiency, as truth.json's total effects), and production × (1 − ε)
  const nominal = [xc, ...genes.map((r) => unit(steadyState(net, nominalFactors(net, [r], o))))];
  const scaled = (r: number) => {
    const m = ones.slice();
    m[r] = 1 - EPS;
    return unit(steadyState(net, m));
  };
  // each target at efficiency e, per unit e (the secant from the control to that dose)
  const atDose = (e: number) =>
    singleDoseStates(net, o, e).map((x, q) => (q === 0 ? xc : unit(x).map((v, i) => xc[i]! + (v - xc[i]!) / e)));
  const richardson = (e1: number, e2: number) => {
    const s1 = atDose(e1),
      s2 = atDose(e2);
    return s1.map((x, q) => (q === 0 ? x : x.map((v, i) => (e2 * v - e1 * s2[q]![i]!) / (e2 - e1))));
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
    ...Object.fromEntries(doses.map((e) => [`dose ${e}`, metric(direct(atDose(e)))])),
    ...(extrap.length ? { [`extrap ${extrap.join(',')}`]: metric(direct(richardson(extrap[0]!, extrap[1]!))) } : {}),
  } as Record<string, { auroc: number; fpr: number }>;
}

const seeds = values.seeds.split(',').map(Number);
const rows = seeds.map((seed) => readings({ ...base, seed }));
const mean = (f: (r: (typeof rows)[number]) => number) => meanSd(rows.map(f)).mean.toFixed(3);
const sd = (f: (r: (typeof rows)[number]) => number) => meanSd(rows.map(f)).sd.toFixed(3);
console.log(
  `${values.family}, seeds ${seeds.join(',')}, λ ${values.lambda}, ${values.units} units: ` +
    'OVO-AUROC ± sd (indirect-pair FPR), mean over seeds' +
    (values['per-seed'] ? '; then per seed' : ''),
);
for (const k of Object.keys(rows[0]!))
  console.log(
    `  ${k.padEnd(14)} ${mean((r) => r[k]!.auroc)} ± ${sd((r) => r[k]!.auroc)} (${mean((r) => r[k]!.fpr)})` +
      (values['per-seed'] ? '   ' + rows.map((r) => r[k]!.auroc.toFixed(3)).join(' ') : ''),
  );
