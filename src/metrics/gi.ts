// Genetic interactions (Norman et al. 2019, as the reference's utils/gi.py computes them; spec §9).
//   Deltas: expm1 of the log1p data (skipped for latent data), z-scored per gene by the control cells' mean and std
//   (ddof 0; std 0 → 1), δ_p = mean over p's cells − control mean, on the GI genes (mean de-logged expression > 0.5;
//   all genes when fewer than 20 % pass).
//   Scores of a double (a, b): Theil–Sen without intercept δ_ab ≈ c_a δ_a + c_b δ_b (stats/theil-sen.ts, all gene pairs
//   up to 1e5, otherwise 1e5 random pairs from seed 1000); mag = ‖(c_a, c_b)‖, dominance = log10(|c_a|/|c_b|),
//   corr_fit = Pearson(fit, δ_ab); distance correlations (genes are the observations): dcor([δ_a, δ_b], δ_ab),
//   dcor_a, dcor_b, dcor_singles = dcor(δ_a, δ_b), ts_linear_dcor = dcor(fit, δ_ab), dcor_ratio = min/max(dcor_a, dcor_b).
//   Types: each is an interval on one score (GI_DEF_METRIC); a double can have several types or none.
import { theilSen2, type TheilSenOptions } from '../stats/theil-sen.ts';
import { distanceCorrelation } from '../stats/dcor.ts';
import { pearson } from './causal.ts';
import type { Cells } from './expression.ts';
import type { Screen } from '../data/dataset.ts';

export interface GiScores {
  ts_coef_first: number;
  ts_coef_second: number;
  mag: number;
  dominance: number;
  corr_fit: number;
  dcor: number;
  dcor_a: number;
  dcor_b: number;
  dcor_singles: number;
  ts_linear_dcor: number;
  dcor_ratio: number;
}

export function giScores(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  ab: ArrayLike<number>,
  o: TheilSenOptions = {},
): GiScores {
  const n = ab.length;
  const [ca, cb] = theilSen2(a, b, ab, o);
  const fit = Float64Array.from({ length: n }, (_, g) => ca * a[g]! + cb * b[g]!);
  const singles = Float64Array.from({ length: 2 * n }, (_, i) => (i % 2 ? b[i >> 1]! : a[i >> 1]!));
  const dcor_a = distanceCorrelation(a, 1, ab, 1),
    dcor_b = distanceCorrelation(b, 1, ab, 1);
  return {
    ts_coef_first: ca,
    ts_coef_second: cb,
    mag: Math.hypot(ca, cb),
    dominance: Math.log10(Math.abs(ca) / Math.abs(cb)),
    corr_fit: pearson(fit, Float64Array.from(ab)),
    dcor: distanceCorrelation(singles, 2, ab, 1),
    dcor_a,
    dcor_b,
    dcor_singles: distanceCorrelation(a, 1, b, 1),
    ts_linear_dcor: distanceCorrelation(fit, 1, ab, 1),
    dcor_ratio: Math.min(dcor_a, dcor_b) / Math.max(dcor_a, dcor_b),
  };
}

export const GI_TYPES = ['synergy', 'additive', 'suppression', 'neomorphism', 'epistasis', 'redundancy'] as const;
export type GiType = (typeof GI_TYPES)[number];
export const GI_DEF_METRIC: Record<GiType, keyof GiScores> = {
  synergy: 'mag',
  additive: 'mag',
  suppression: 'mag',
  neomorphism: 'ts_linear_dcor',
  epistasis: 'dcor_ratio',
  redundancy: 'dcor',
};
export type GiThresholds = Record<GiType, { min?: number; max?: number }>;

/**
 * Default thresholds. The reference calibrates them by quantile mapping to Norman et al.'s published classification
 * (an asset not available offline), so these are anchored on closed forms instead: a purely additive double has
 * c = (1, 1), mag = √2 ≈ 1.41, so 'additive' is mag ∈ [1.1, 1.75] (±≈ 0.3); above is 'synergy', below 1.1 is
 * 'suppression' (the double does less than the sum). 'neomorphism' = the linear fit explains the double poorly
 * (ts_linear_dcor ≤ 0.75); 'epistasis' = one single dominates (dcor_ratio ≤ 0.5; δ_ab = δ_a with independent singles
 * gives ≈ 0.1–0.3); 'redundancy' = the singles jointly explain the double almost perfectly (dcor ≥ 0.95), the
 * reference's "larger is more significant" direction. Override with --gi-thresholds <file.json>.
 */
export const DEFAULT_GI_THRESHOLDS: GiThresholds = {
  synergy: { min: 1.75 },
  additive: { min: 1.1, max: 1.75 },
  suppression: { max: 1.1 },
  neomorphism: { max: 0.75 },
  epistasis: { max: 0.5 },
  redundancy: { min: 0.95 },
};

export function classifyInteraction(s: GiScores, t: GiThresholds = DEFAULT_GI_THRESHOLDS): Record<GiType, boolean> {
  const out = {} as Record<GiType, boolean>;
  for (const type of GI_TYPES) {
    const v = s[GI_DEF_METRIC[type]],
      { min = -Infinity, max = Infinity } = t[type];
    out[type] = v >= min && v <= max;
  }
  return out;
}

export const typeLabel = (c: Record<GiType, boolean>): string => GI_TYPES.filter((t) => c[t]).join('|') || 'none';

/** GI genes: mean de-logged expression over the given cells > minMean; all genes when fewer than 20 % pass. */
export function giGenes(samples: Cells[], d: number, delog: boolean, minMean = 0.5): number[] {
  const mean = new Float64Array(d);
  let n = 0;
  for (const s of samples) {
    for (let c = 0; c < s.n; c++)
      for (let g = 0; g < d; g++) {
        const v = s.values[c * d + g]!;
        mean[g]! += delog ? Math.expm1(v) : v;
      }
    n += s.n;
  }
  const pass = Array.from({ length: d }, (_, g) => g).filter((g) => mean[g]! / n > minMean);
  return pass.length < 0.2 * d ? Array.from({ length: d }, (_, g) => g) : pass;
}

/** δ of a sample on the GI genes: z-scored by the control (after expm1 when delog), minus the control mean (= 0). */
export function giDelta(x: Cells, ctrl: Cells, d: number, genes: readonly number[], delog: boolean): Float64Array {
  const f = delog ? Math.expm1 : (v: number) => v;
  return Float64Array.from(genes, (g) => {
    let m = 0,
      s = 0,
      mx = 0;
    for (let c = 0; c < ctrl.n; c++) {
      const v = f(ctrl.values[c * d + g]!);
      m += v;
      s += v * v;
    }
    m /= ctrl.n;
    let sd = Math.sqrt(Math.max(0, s / ctrl.n - m * m));
    if (Math.abs(sd) < 1e-8) sd = 1;
    for (let c = 0; c < x.n; c++) mx += f(x.values[c * d + g]!);
    return (mx / x.n - m) / sd;
  });
}

export interface GiAgreement {
  se_mag: number;
  se_linear_dcor: number;
  se_dcor_ratio: number;
  se_dcor: number;
  perType: Record<GiType, { acc: number; prec: number; rec: number; f1: number }>;
  agreement: number;
}

/** Squared errors of the scores and per-type classification quality of predicted against observed doubles. */
export function giAgreement(truth: GiScores[], pred: GiScores[], t: GiThresholds = DEFAULT_GI_THRESHOLDS): GiAgreement {
  const mean = (f: (i: number) => number) => truth.reduce((s, _, i) => s + f(i), 0) / truth.length;
  const safe = (a: number, b: number) => (b ? a / b : a ? 0 : 1); // the reference's safe_div: 0/0 = 1
  const tc = truth.map((s) => classifyInteraction(s, t)),
    pc = pred.map((s) => classifyInteraction(s, t));
  const perType = {} as GiAgreement['perType'];
  let agree = 0;
  for (const type of GI_TYPES) {
    let tp = 0,
      fp = 0,
      tn = 0,
      fn = 0;
    tc.forEach((c, i) => {
      const a = c[type],
        b = pc[i]![type];
      if (a && b) tp++;
      else if (!a && b) fp++;
      else if (!a && !b) tn++;
      else fn++;
    });
    perType[type] = {
      acc: safe(tp + tn, tp + fp + tn + fn),
      prec: safe(tp, tp + fp),
      rec: safe(tp, tp + fn),
      f1: safe(2 * tp, 2 * tp + fp + fn),
    };
    agree += tp + tn;
  }
  return {
    se_mag: mean((i) => (truth[i]!.mag - pred[i]!.mag) ** 2),
    se_linear_dcor: mean((i) => (truth[i]!.ts_linear_dcor - pred[i]!.ts_linear_dcor) ** 2),
    se_dcor_ratio: mean((i) => (truth[i]!.dcor_ratio - pred[i]!.dcor_ratio) ** 2),
    se_dcor: mean((i) => (truth[i]!.dcor - pred[i]!.dcor) ** 2),
    perType,
    agreement: agree / (truth.length * GI_TYPES.length),
  };
}

export interface GiRow extends GiScores {
  double: string;
  source: string;
  type: string;
}
export interface GiResult {
  rows: GiRow[];
  agreement: Record<string, GiAgreement>;
  doubles: string[];
  genes: number;
}

/** GI scores of observed and predicted doubles (predictions: method → double name → cells); used by `gi`, the
 *  report and the web app. */
export function giForDoubles(
  train: Screen,
  truth: Map<string, Cells>,
  doubles: { name: string; targets: string[] }[],
  predictions: Record<string, Map<string, Cells>>,
  delog: boolean,
  thresholds: GiThresholds = DEFAULT_GI_THRESHOLDS,
): GiResult {
  const d = train.genes.length,
    ctrlEnv = train.envs[0]!,
    ctrl = { values: ctrlEnv.values, n: ctrlEnv.cells };
  const single = (t: string) => train.envs.find((e) => e.targets.length === 1 && e.targets[0] === t);
  const usable = doubles.filter(
    (x) => x.targets.length === 2 && x.targets.every((t) => single(t)) && truth.has(x.name),
  );
  // The reference's GI-gene rule (mean de-logged expression > 0.5) is about normalised expression; latent states use
  // every gene.
  const genes = delog
    ? giGenes(
        [
          ctrl,
          ...train.envs.slice(1).map((e) => ({ values: e.values, n: e.cells })),
          ...usable.map((x) => truth.get(x.name)!),
        ],
        d,
        delog,
      )
    : Array.from({ length: d }, (_, g) => g);
  const delta = (c: Cells) => giDelta(c, ctrl, d, genes, delog);
  const rows: GiRow[] = [];
  const observed: GiScores[] = [],
    predicted: Record<string, GiScores[]> = {};
  for (const x of usable) {
    const [a, b] = x.targets.map((t) => {
      const e = single(t)!;
      return delta({ values: e.values, n: e.cells });
    }) as [Float64Array, Float64Array];
    const obs = giScores(a, b, delta(truth.get(x.name)!));
    observed.push(obs);
    rows.push({ double: x.name, source: 'observed', type: typeLabel(classifyInteraction(obs, thresholds)), ...obs });
    for (const [method, preds] of Object.entries(predictions)) {
      const p = preds.get(x.name);
      if (!p) continue;
      const s = giScores(a, b, delta(p));
      (predicted[method] ??= []).push(s);
      rows.push({ double: x.name, source: method, type: typeLabel(classifyInteraction(s, thresholds)), ...s });
    }
  }
  const agreement: Record<string, GiAgreement> = {};
  for (const [m, s] of Object.entries(predicted))
    if (s.length === observed.length && s.length > 0) agreement[m] = giAgreement(observed, s, thresholds);
  return { rows, agreement, doubles: usable.map((x) => x.name), genes: genes.length };
}
