// The views of the HTML report and the web app, one set for both: Vega-Lite specifications compiled and rendered
// to SVG by Vega's headless renderer (no canvas, no DOM; the same code runs in Node and in the page). Each function
// takes plain rows and returns an SVG string.
//
// Readability rules every view keeps (test/report.test.ts checks them on a rendered report): the whole SVG fits
// PAGE_WIDTH (the report's and the page's content width), so text is never shrunk below its nominal size; legends
// sit below the plot with no label truncation; static SVG has no tooltips, so points that matter carry their name
// as text (genes on the mean-shift plot, doubles on the interaction plot).
import * as vega from 'vega';
import * as vl from 'vega-lite';

type Row = Record<string, string | number | null>;
type Spec = vl.TopLevelSpec;

/** Text for HTML: &, <, > and " escaped (the report's and the module views' tables). */
export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** Content width of the report and the page, in CSS pixels: no view is wider. */
export const PAGE_WIDTH = 900;

export async function renderSvg(spec: Spec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

const base = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  config: {
    font: 'sans-serif',
    view: { stroke: null },
    axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 220 },
    legend: { orient: 'bottom', labelLimit: 0, titleLimit: 0, labelFontSize: 11, titleFontSize: 12, columns: 3 },
    header: { labelFontSize: 12, titleFontSize: 12 },
    title: { fontSize: 14, limit: PAGE_WIDTH - 20 },
  },
} as const;

/** Loss against step, one line per series. */
export function lossCurve(rows: { step: number; loss: number; series: string }[], title: string): Promise<string> {
  return renderSvg({
    ...base,
    title,
    width: 560,
    height: 220,
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 1.2 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'training step' },
      y: { field: 'loss', type: 'quantitative', scale: { type: 'log' }, title: 'loss (log scale)' },
      color: { field: 'series', type: 'nominal', title: null },
    },
  } as Spec);
}

/** Fixed colours of the methods, the same in every chart of the report and the app whatever methods a chart holds
 *  (Vega would colour a chart's methods in the order of its own domain, so a method changed colour when a chart
 *  lacked another); methods not listed take the remaining Tableau colours in name order. */
const METHOD_COLORS: Record<string, string> = {
  LCD: '#1f77b4',
  additive: '#ff7f0e',
  peper: '#2ca02c',
  control: '#7f7f7f',
  perturbed: '#9467bd',
};
const SPARE_COLORS = ['#d62728', '#8c564b', '#e377c2', '#bcbd22', '#17becf'];

/** The colour scale of a set of methods: listed methods in their fixed colours, then the rest. */
export function methodColorScale(methods: Iterable<string>): { domain: string[]; range: string[] } {
  const all = [...new Set(methods)];
  const listed = Object.keys(METHOD_COLORS).filter((m) => all.includes(m)),
    rest = all.filter((m) => !(m in METHOD_COLORS)).sort();
  return {
    domain: [...listed, ...rest],
    range: [...listed.map((m) => METHOD_COLORS[m]!), ...rest.map((_, i) => SPARE_COLORS[i % SPARE_COLORS.length]!)],
  };
}

/** Bars of one metric: one row per perturbation, one bar per method (horizontal, so any number of perturbations
 *  keeps the page's width and readable names). */
export function metricBars(
  rows: { perturbation: string; method: string; value: number | null }[],
  metric: string,
  lowerIsBetter: boolean,
): Promise<string> {
  return renderSvg({
    ...base,
    title: `${metric} per test perturbation (${lowerIsBetter ? 'lower' : 'higher'} is better)`,
    width: 520,
    height: { step: 9 },
    data: { values: rows },
    mark: 'bar',
    encoding: {
      y: { field: 'perturbation', type: 'nominal', title: null, sort: null },
      yOffset: { field: 'method', type: 'nominal' },
      x: { field: 'value', type: 'quantitative', title: metric },
      color: { field: 'method', type: 'nominal', title: 'method', scale: methodColorScale(rows.map((r) => r.method)) },
    },
  } as Spec);
}

/** The `k` rows with the largest |key| in each group get `label` = their `name`, the rest ''. */
function labelTop<T extends Row>(rows: T[], group: (r: T) => string, key: (r: T) => number, name: string, k = 3): T[] {
  const groups = new Map<string, T[]>();
  for (const r of rows) groups.set(group(r), [...(groups.get(group(r)) ?? []), r]);
  const top = new Set<T>();
  for (const g of groups.values())
    [...g]
      .sort((a, b) => Math.abs(key(b)) - Math.abs(key(a)))
      .slice(0, k)
      .forEach((r) => top.add(r));
  return rows.map((r) => ({ ...r, label: top.has(r) ? String(r[name]) : '' }));
}

/** Predicted against observed mean shift (vs control) on each perturbation's marker genes, one panel per method;
 *  the three largest observed shifts per perturbation and method are named. */
export function shiftScatter(rows: Row[]): Promise<string> {
  // The y = x guide spans the data, whatever their range.
  const m = Math.max(1e-6, ...rows.flatMap((r) => [Math.abs(Number(r.observed)), Math.abs(Number(r.predicted))]));
  const labelled = labelTop(
    rows,
    (r) => `${r.method}|${r.perturbation}`,
    (r) => Number(r.observed),
    'gene',
  );
  const methods = new Set(rows.map((r) => r.method)).size;
  const w = Math.min(260, Math.floor((PAGE_WIDTH - 80) / Math.max(1, methods)) - 40);
  return renderSvg({
    ...base,
    title: 'mean shift vs control on the top-20 DE genes: predicted against observed',
    data: { values: labelled },
    facet: { column: { field: 'method', type: 'nominal', title: null } },
    spec: {
      width: w,
      height: w,
      layer: [
        {
          mark: { type: 'rule', strokeDash: [4, 4], color: '#999' },
          encoding: { x: { datum: -m }, y: { datum: -m }, x2: { datum: m }, y2: { datum: m } },
        },
        {
          mark: { type: 'point', filled: true, size: 30, opacity: 0.8 },
          encoding: {
            x: { field: 'observed', type: 'quantitative', title: 'observed shift' },
            y: { field: 'predicted', type: 'quantitative', title: 'predicted shift' },
            color: { field: 'perturbation', type: 'nominal' },
          },
        },
        {
          mark: { type: 'text', align: 'left', dx: 5, dy: -4, fontSize: 10 },
          encoding: {
            x: { field: 'observed', type: 'quantitative' },
            y: { field: 'predicted', type: 'quantitative' },
            text: { field: 'label' },
          },
        },
      ],
    },
  } as Spec);
}

/** The colour range of a causal heatmap: the largest off-diagonal |effect|. The diagonal (−1 by CLIPR's
 *  normalisation) would otherwise saturate the scale and wash every effect out; diagonal cells are clamped to its end. */
export const heatmapRange = (rows: readonly { source: string; target: string; effect: number }[]): number =>
  Math.max(1e-12, ...rows.filter((r) => r.source !== r.target).map((r) => Math.abs(r.effect)));

/** The diverging colour channel of a causal heatmap over ±m (positive red, negative blue), legend as given. */
export const effectColor = (m: number, legend: Record<string, string>) => ({
  field: 'effect',
  type: 'quantitative',
  scale: { scheme: 'redblue', domain: [m, -m], clamp: true },
  title: 'effect',
  legend,
});

/** Heatmap of a causal matrix: rows = source genes, columns = target genes, diverging colours around 0 over the
 *  off-diagonal range; cells shrink so that up to 60 target genes fit the page. */
export function causalHeatmap(
  rows: { source: string; target: string; effect: number }[],
  title: string,
): Promise<string> {
  const m = heatmapRange(rows);
  const targets = new Set(rows.map((r) => r.target)).size;
  const step = Math.max(10, Math.min(14, Math.floor((PAGE_WIDTH - 220) / Math.max(1, targets))));
  return renderSvg({
    ...base,
    title,
    data: { values: rows },
    mark: 'rect',
    width: { step },
    height: { step },
    config: { ...base.config, axis: { ...base.config.axis, labelFontSize: Math.min(11, step) } },
    encoding: {
      x: { field: 'target', type: 'nominal', title: 'target gene', sort: null, axis: { labelAngle: -90 } },
      y: { field: 'source', type: 'nominal', title: 'source gene', sort: null },
      color: effectColor(m, { orient: 'right' }),
    },
  } as Spec);
}

/** Scatter of two scores, coloured by a category, one panel per source, every point named by its `double`
 *  (genetic interactions: mag against dcor_ratio by type). */
export function categoryScatter(rows: Row[], x: string, y: string, color: string, title: string): Promise<string> {
  const sources = new Set(rows.map((r) => r.source)).size;
  const w = Math.min(260, Math.floor((PAGE_WIDTH - 100) / Math.max(1, sources)) - 90);
  return renderSvg({
    ...base,
    title,
    data: { values: rows },
    facet: { column: { field: 'source', type: 'nominal', title: null } },
    spec: {
      width: w,
      height: 220,
      layer: [
        {
          mark: { type: 'point', filled: true, size: 50 },
          encoding: {
            x: { field: x, type: 'quantitative' },
            y: { field: y, type: 'quantitative' },
            color: { field: color, type: 'nominal' },
          },
        },
        {
          mark: { type: 'text', align: 'left', dx: 5, dy: -4, fontSize: 10 },
          encoding: {
            x: { field: x, type: 'quantitative' },
            y: { field: y, type: 'quantitative' },
            text: { field: 'double' },
          },
        },
      ],
    },
  } as Spec);
}

/** Cells of control, observed and predicted doubles on the two leading principal axes (fitted per double on the
 *  three groups together), one panel per double. */
export function pcaScatter(rows: { double: string; group: string; pc1: number; pc2: number }[]): Promise<string> {
  return renderSvg({
    ...base,
    title: 'PCA of control, observed and predicted cells, per held-out double',
    data: { values: rows },
    facet: { field: 'double', type: 'nominal', title: null },
    columns: 3,
    spec: {
      width: 230,
      height: 200,
      mark: { type: 'point', filled: true, size: 10, opacity: 0.5 },
      encoding: {
        x: { field: 'pc1', type: 'quantitative', title: 'PC1' },
        y: { field: 'pc2', type: 'quantitative', title: 'PC2' },
        color: {
          field: 'group',
          type: 'nominal',
          title: null,
          scale: { domain: ['control', 'observed', 'predicted'], range: ['#bbbbbb', '#1f77b4', '#ff7f0e'] },
        },
      },
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
  } as Spec);
}

/** Distributions (box: quartiles, whiskers: min–max) of observed and predicted cells on each double's top DE
 *  genes, one panel per double. */
export function geneDistributions(
  rows: { double: string; gene: string; source: string; value: number }[],
): Promise<string> {
  return renderSvg({
    ...base,
    title: 'expression of the top DE genes: observed against predicted cells',
    data: { values: rows },
    facet: { field: 'double', type: 'nominal', title: null },
    columns: 2,
    spec: {
      width: 360,
      height: 160,
      mark: { type: 'boxplot', extent: 'min-max', size: 12 },
      encoding: {
        x: { field: 'gene', type: 'nominal', title: null, sort: null, axis: { labelAngle: -40 } },
        xOffset: { field: 'source', type: 'nominal' },
        y: { field: 'value', type: 'quantitative', title: 'expression' },
        color: { field: 'source', type: 'nominal', title: null },
      },
    },
    resolve: { scale: { x: 'independent' } },
  } as Spec);
}

/** Fraction of cells with zero expression per gene, predicted against observed (all held-out doubles); the genes
 *  furthest from y = x are named. */
export function zeroFractionScatter(
  rows: { double: string; gene: string; observed: number; predicted: number }[],
): Promise<string> {
  const labelled = labelTop(
    rows,
    () => 'all',
    (r) => r.predicted - r.observed,
    'gene',
    5,
  );
  return renderSvg({
    ...base,
    title: 'zero fraction per gene: predicted against observed cells',
    width: 360,
    height: 300,
    data: { values: labelled },
    layer: [
      {
        mark: { type: 'rule', strokeDash: [4, 4], color: '#999' },
        encoding: { x: { datum: 0 }, y: { datum: 0 }, x2: { datum: 1 }, y2: { datum: 1 } },
      },
      {
        mark: { type: 'point', filled: true, size: 24, opacity: 0.7 },
        encoding: {
          x: { field: 'observed', type: 'quantitative', title: 'observed zero fraction', scale: { domain: [0, 1] } },
          y: { field: 'predicted', type: 'quantitative', title: 'predicted zero fraction', scale: { domain: [0, 1] } },
          color: { field: 'double', type: 'nominal', title: null },
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 5, dy: -4, fontSize: 10 },
        encoding: {
          x: { field: 'observed', type: 'quantitative' },
          y: { field: 'predicted', type: 'quantitative' },
          text: { field: 'label' },
        },
      },
    ],
  } as Spec);
}
