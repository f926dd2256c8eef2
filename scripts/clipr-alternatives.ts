// Other readings of a fitted gene-network run's direct effects beside the default (README, CLIPR, "Readings measured
// and not kept"), all from one sampling of the model's linear responses and the run's own cells, scored against the
// simulator's truth on the perturbed × perturbed block (OVO-AUROC, indirect-pair false-positive rate):
//   de              the cells' differential expression (what the issue's bar is measured against)
//   default         the linear response's direct effects, gated by the cells (clipr --run reads this)
//   ungated         the same without the gate
//   per-target τ    the criterion per target gene (issue #26's third direction): a target whose own held-out R² of
//                   the linear responses is below τ reads total effects (its response per unit of the source's own
//                   response) instead of direct ones; gated
//   inspre[-w] λ    a sparse inverse of the total effects per unit of the source (scripts/lib/inspre.ts), unweighted
//                   or -w weighted by 1/SE² of the cells' responses; gated
//   pseudobulk λ    the cells' pseudo-bulk (log1p of each environment's mean CP10k over the model's gene scales)
//                   inverted at the cross-validated λ and at λ 0.03, gated
// Usage: npx tsx scripts/clipr-alternatives.ts --run <fit folder> --truth <truth.json> [--json out.json]
//        npx tsx scripts/clipr-alternatives.ts --summary a.json b.json …   (mean ± sd per family and budget)
import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { groupMoments, type GroupMoments } from '../src/stats/shift-t.ts';
import { responseReading, responsesOf, heldOutR2ByTarget, signedResponses } from '../src/clipr/responses.ts';
import { linearResponseStates } from '../src/clipr/from-lcd.ts';
import { dataShiftGate, gateByShifts } from '../src/clipr/data-gate.ts';
import { inspreInverse, directFromInverse } from './lib/inspre.ts';
import { meanSd } from '../src/stats/summary.ts';

const { values: a, positionals } = parseArgs({
  options: {
    run: { type: 'string' },
    truth: { type: 'string' },
    json: { type: 'string' },
    summary: { type: 'boolean' },
  },
  allowPositionals: true,
});
type Result = { run: string; family: string; scores: Record<string, { auroc: number; fpr: number }> };

if (a.summary) {
  const results = positionals.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Result);
  const groups = new Map<string, Result[]>();
  for (const r of results) groups.set(r.family, [...(groups.get(r.family) ?? []), r]);
  const ms = (xs: number[]) => {
    const { mean, sd } = meanSd(xs);
    return `${mean.toFixed(3)} ± ${sd.toFixed(3)}`;
  };
  for (const [family, rs] of groups) {
    console.log(`${family} (${rs.length} runs): OVO-AUROC mean ± sd [per run], FPR mean`);
    for (const k of Object.keys(rs[0]!.scores)) {
      const au = rs.map((r) => r.scores[k]!.auroc),
        fp = rs.map((r) => r.scores[k]!.fpr);
      console.log(
        `  ${k.padEnd(18)} ${ms(au)} [${au.map((x) => x.toFixed(3)).join(' ')}]  FPR ${meanSd(fp).mean.toFixed(3)}`,
      );
    }
  }
  process.exit(0);
}

if (!a.run || !a.truth)
  throw new Error('usage: npx tsx scripts/clipr-alternatives.ts --run <fit folder> --truth <truth.json> [--json out]');
const { openFittedRun, truthOnGenes, controlAndSingles, log1pCells, pseudobulkOf } =
  await import('./lib/fitted-run.ts'); // Dawn only when a model is read
const { genes, d, data, lcd } = await openFittedRun(a.run, 'clipr-alternatives', { needsPrior: false });
const { truth, P, score } = truthOnGenes(a.truth, genes);
const scales = lcd.geneScales,
  p = P.length;

// The cells (log1p CP10k) of the control and of each perturbed regulator alone, and their moments; the gate is the
// default reading's own (clipr/data-gate.ts), so the default row is what clipr --run reads.
const groups = controlAndSingles(data, genes, P, a.run).map((e) => ({ values: log1pCells(data, e), cells: e.cells })),
  moments: GroupMoments[] = groups.map((g) => groupMoments(g, d));
const gate = dataShiftGate(data, genes, P);
const gated = (x: Float64Array) => gateByShifts(x, P, d, gate);
// the Welch standard error of every response, in the model's scale (for inspre's weights)
const se = moments
  .slice(1)
  .map((m) =>
    m.mean.map(
      (_, j) => Math.sqrt(m.variance[j]! / m.cells + moments[0]!.variance[j]! / moments[0]!.cells) / scales[j]!,
    ),
  );
const cellMeans = moments.map((m) => m.mean);
const pseudobulk = groups.map((g) => pseudobulkOf(g.values, g.cells, d).map((x, j) => x / scales[j]!));

const linear = await linearResponseStates(lcd, P);
const delta = responsesOf(linear, P, d);
// the per-unit readings divide by each perturbation's own response
P.forEach((k, q) => {
  if (!(Math.abs(delta[q]![k]!) > 0))
    throw new Error(
      `${a.run}: the model's linear response of ${genes[k]} to its own perturbation is 0; no per-unit reading`,
    );
});
const base = responseReading(linear, P, d, { effects: 'direct' });

/** a[k·d + i] = Δ_k(i) / Δ_k(k): each perturbation's responses per unit of its own target's response. */
const total = new Float64Array(d * d);
P.forEach((k, q) => {
  for (let i = 0; i < d; i++) if (i !== k) total[k * d + i] = delta[q]![i]! / delta[q]![k]!;
});
const defaultReading = gated(base.aCausal),
  r2 = heldOutR2ByTarget(delta, P, base.lambda);
const perTarget = (tau: number) => {
  const out = Float64Array.from(defaultReading);
  for (const i of P) if (!(r2.get(i)! >= tau)) for (const k of P) if (k !== i) out[k * d + i] = total[k * d + i]!;
  return out;
};
// inspre's R: the per-unit total effects on the perturbed block, 1 on the diagonal by construction
const R = Float64Array.from({ length: p * p }, (_, e) => {
  const q = Math.floor(e / p),
    c = e % p;
  return q === c ? 1 : total[P[q]! * d + P[c]!]!;
});
/** inspre's weights: 1, or 1/SE² of each response per unit of its perturbation's own shift in the cells, relative
 *  to their median off the diagonal and capped at 30× it (a gene constant in the cells has SE 0); the diagonal,
 *  exact, held by a weight of 10³. */
const weightsOf = (weighted: boolean) => {
  const W = new Float64Array(p * p);
  P.forEach((k, q) => {
    const own = Math.abs(cellMeans[q + 1]![k]! - cellMeans[0]![k]!) / scales[k]!;
    P.forEach((g, c) => (W[q * p + c] = weighted ? (own / se[q]![g]!) ** 2 : 1));
  });
  const off = [...W].filter((_, e) => e % (p + 1) !== 0 && Number.isFinite(W[e]!)).sort((x, y) => x - y),
    med = off[off.length >> 1]!;
  return W.map((w, e) => (e % (p + 1) === 0 ? 1e3 : Math.min(Number.isFinite(w) ? w / med : 30, 30)));
};
const weights = { plain: weightsOf(false), se: weightsOf(true) };
const inspre = (lambda: number, W: Float64Array) => {
  const B = directFromInverse(inspreInverse(R, W, p, { lambda }), p),
    out = new Float64Array(d * d);
  P.forEach((j, r) => P.forEach((i, c) => (out[j * d + i] = r === c ? 0 : B[r * p + c]!)));
  return gated(out);
};

const readings: Record<string, () => Float64Array> = {
  de: () => signedResponses(cellMeans, P, d),
  default: () => defaultReading,
  ungated: () => base.aCausal,
  ...Object.fromEntries([0, 0.2, 0.4].map((t) => [`per-target ${t}`, () => perTarget(t)])),
  ...Object.fromEntries([0.003, 0.01, 0.03, 0.1].map((l) => [`inspre ${l}`, () => inspre(l, weights.plain)])),
  ...Object.fromEntries([0.003, 0.01, 0.03, 0.1].map((l) => [`inspre-w ${l}`, () => inspre(l, weights.se)])),
  'pseudobulk cv': () => gated(responseReading(pseudobulk, P, d, { effects: 'direct' }).aCausal),
  'pseudobulk 0.03': () => gated(responseReading(pseudobulk, P, d, { effects: 'direct', lambda: 0.03 }).aCausal),
};
const scores = Object.fromEntries(Object.entries(readings).map(([k, f]) => [k, score(f())]));
console.log(`${a.run}: OVO-AUROC (indirect-pair FPR), perturbed × perturbed; the linear response's λ ${base.lambda}`);
for (const [k, s] of Object.entries(scores))
  console.log(`  ${k.padEnd(18)} ${s.auroc.toFixed(3)} (${s.fpr.toFixed(2)})`);
const steps = /fit-(\d+)/.exec(a.run)?.[1] ?? '?';
if (a.json)
  writeFileSync(
    a.json,
    JSON.stringify({ run: a.run, family: `${truth.options.kind} ${steps}`, scores } satisfies Result),
  );
process.exit(0);
