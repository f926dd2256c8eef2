// Plots for the HTML report: Vega-Lite specifications compiled and rendered to SVG in Node by Vega's headless
// renderer (no canvas, no browser). Each function takes plain rows and returns an SVG string.
import * as vega from 'vega';
import * as vl from 'vega-lite';

type Row = Record<string, string | number | null>;
type Spec = vl.TopLevelSpec;

export async function renderSvg(spec: Spec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

const base = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  config: { font: 'sans-serif', view: { stroke: null } },
} as const;

/** Loss against step, one line per series. */
export function lossCurve(rows: { step: number; loss: number; series: string }[], title: string): Promise<string> {
  return renderSvg({
    ...base,
    title,
    width: 520,
    height: 240,
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 1.2 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'training step' },
      y: { field: 'loss', type: 'quantitative', scale: { type: 'log' }, title: 'loss (log scale)' },
      color: { field: 'series', type: 'nominal', title: null },
    },
  } as Spec);
}

/** Grouped bars: one group per perturbation, one bar per method, for one metric. */
export function metricBars(
  rows: { perturbation: string; method: string; value: number | null }[],
  metric: string,
  lowerIsBetter: boolean,
): Promise<string> {
  return renderSvg({
    ...base,
    title: `${metric} per test perturbation (${lowerIsBetter ? 'lower' : 'higher'} is better)`,
    height: 200,
    data: { values: rows },
    mark: 'bar',
    encoding: {
      x: { field: 'perturbation', type: 'nominal', title: null, axis: { labelAngle: -30 } },
      xOffset: { field: 'method', type: 'nominal' },
      y: { field: 'value', type: 'quantitative', title: metric },
      color: { field: 'method', type: 'nominal' },
      tooltip: [{ field: 'method' }, { field: 'value', format: '.4f' }],
    },
    width: { step: 70 },
  } as Spec);
}

/** Predicted against observed mean shift (vs control) on each perturbation's marker genes, one panel per method. */
export function shiftScatter(rows: Row[]): Promise<string> {
  // The y = x guide spans the data, whatever their range.
  const m = Math.max(1e-6, ...rows.flatMap((r) => [Math.abs(Number(r.observed)), Math.abs(Number(r.predicted))]));
  return renderSvg({
    ...base,
    title: 'mean shift vs control on the top-20 DE genes: predicted against observed',
    data: { values: rows },
    facet: { column: { field: 'method', type: 'nominal', title: null } },
    spec: {
      width: 220,
      height: 220,
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
            tooltip: [
              { field: 'gene' },
              { field: 'perturbation' },
              { field: 'observed', format: '.3f' },
              { field: 'predicted', format: '.3f' },
            ],
          },
        },
      ],
    },
  } as Spec);
}

/** Heatmap of a causal matrix: rows = source genes, columns = target genes, diverging colours around 0. */
export function causalHeatmap(
  rows: { source: string; target: string; effect: number }[],
  title: string,
): Promise<string> {
  const m = Math.max(1e-12, ...rows.map((r) => Math.abs(r.effect)));
  return renderSvg({
    ...base,
    title,
    data: { values: rows },
    mark: 'rect',
    width: { step: 14 },
    height: { step: 14 },
    encoding: {
      x: { field: 'target', type: 'nominal', title: 'target gene', sort: null, axis: { labelAngle: -90 } },
      y: { field: 'source', type: 'nominal', title: 'source gene', sort: null },
      color: { field: 'effect', type: 'quantitative', scale: { scheme: 'redblue', domain: [m, -m] }, title: 'effect' },
      tooltip: [{ field: 'source' }, { field: 'target' }, { field: 'effect', format: '.4f' }],
    },
  } as Spec);
}

/** Scatter of two scores, coloured by a category (genetic interactions: mag against dcor_ratio by type). */
export function categoryScatter(rows: Row[], x: string, y: string, color: string, title: string): Promise<string> {
  return renderSvg({
    ...base,
    title,
    width: 300,
    height: 260,
    data: { values: rows },
    facet: { column: { field: 'source', type: 'nominal', title: null } },
    spec: {
      width: 260,
      height: 240,
      mark: { type: 'point', filled: true, size: 50 },
      encoding: {
        x: { field: x, type: 'quantitative' },
        y: { field: y, type: 'quantitative' },
        color: { field: color, type: 'nominal' },
        tooltip: [{ field: 'double' }, { field: x, format: '.3f' }, { field: y, format: '.3f' }, { field: color }],
      },
    },
  } as Spec);
}
