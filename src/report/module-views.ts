// Views of the gene modules (src/clipr/modules.ts) for the report and the web app: the causal matrix clustered (rows
// and columns in the dendrogram's optimal leaf order, a module colour strip above), a module table with the top
// enriched terms, and a network of the strongest effects with genes on a circle in dendrogram order, coloured by
// module. Plain data in, SVG or HTML out.
import { renderSvg, PAGE_WIDTH, heatmapRange, effectColor, escapeHtml } from './plots.ts';
import type { ModuleAnalysis } from '../clipr/modules.ts';
import { moduleSizes, topTerms } from '../clipr/modules.ts';
import type * as vl from 'vega-lite';

type Spec = vl.TopLevelSpec;
const esc = escapeHtml;

/** Most genes a clustered heatmap shows (genes in modules first, then the rest in dendrogram order). */
export const MAX_HEATMAP_GENES = 60;

const moduleName = (l: number) => (l >= 0 ? `module ${l + 1}` : 'none');

/** Module colours: Tableau 20 by module, grey for genes in none. */
function moduleScale(labels: ArrayLike<number>) {
  const k = moduleSizes(labels).length;
  const palette = [
    '#4e79a7',
    '#f28e2b',
    '#e15759',
    '#76b7b2',
    '#59a14f',
    '#edc948',
    '#b07aa1',
    '#ff9da7',
    '#9c755f',
    '#a0cbe8',
    '#ffbe7d',
    '#ff9d9a',
    '#86bcb6',
    '#8cd17d',
    '#f1ce63',
    '#d4a6c8',
    '#fabfd2',
    '#d7b5a6',
    '#79706e',
    '#bab0ac',
  ];
  const domain = [...Array.from({ length: k }, (_, i) => moduleName(i)), 'none'];
  return { domain, range: [...domain.slice(0, -1).map((_, i) => palette[i % palette.length]!), '#d0d0d0'] };
}

/** Genes shown: dendrogram order, at most MAX_HEATMAP_GENES, genes in modules kept first. */
function shownGenes(a: ModuleAnalysis): number[] {
  const order = a.modules.dendrogram.order,
    lab = a.modules.labels;
  if (order.length <= MAX_HEATMAP_GENES) return order;
  const keep = new Set(order.filter((g) => lab[g]! >= 0).slice(0, MAX_HEATMAP_GENES));
  for (const g of order) if (keep.size < MAX_HEATMAP_GENES) keep.add(g);
  return order.filter((g) => keep.has(g));
}

/** The causal matrix in dendrogram order with a module strip over the columns and beside the rows. */
export function clusteredHeatmap(a: ModuleAnalysis, aCausal: readonly (readonly number[])[]): Promise<string> {
  const genes = shownGenes(a),
    names = genes.map((g) => a.genes[g]!),
    lab = a.modules.labels;
  const rows = genes.flatMap((i) =>
    genes.map((j) => ({ source: a.genes[i]!, target: a.genes[j]!, effect: i === j ? 0 : aCausal[i]![j]! })),
  );
  const m = heatmapRange(rows);
  const step = Math.max(10, Math.min(14, Math.floor((PAGE_WIDTH - 260) / Math.max(1, genes.length))));
  const strip = genes.map((g) => ({ gene: a.genes[g]!, module: moduleName(lab[g]!) }));
  // The module colours are explained by the module table beside the view: no legend here.
  const color = { field: 'module', type: 'nominal', scale: moduleScale(lab), title: 'module', legend: null };
  return renderSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: {
      font: 'sans-serif',
      view: { stroke: null },
      axis: { labelFontSize: 10, titleFontSize: 12 },
      legend: { labelFontSize: 11, titleFontSize: 12, columns: 6 },
      title: { fontSize: 14 },
    },
    title: `causal matrix, genes in dendrogram order (${a.modules.cut === 'silhouette' ? 'silhouette' : 'given'} cut at ${a.modules.cutHeight.toPrecision(3)})`,
    spacing: 2,
    resolve: { scale: { color: 'independent' } },
    vconcat: [
      {
        data: { values: strip },
        mark: 'rect',
        width: { step },
        height: 10,
        encoding: { x: { field: 'gene', type: 'nominal', sort: names, axis: null }, color },
      },
      {
        hconcat: [
          {
            data: { values: rows },
            mark: 'rect',
            width: { step },
            height: { step },
            encoding: {
              x: { field: 'target', type: 'nominal', title: 'target gene', sort: names, axis: { labelAngle: -90 } },
              y: { field: 'source', type: 'nominal', title: 'source gene', sort: names },
              color: effectColor(m, { orient: 'bottom', direction: 'horizontal' }),
            },
          },
          {
            data: { values: strip },
            mark: 'rect',
            width: 10,
            height: { step },
            encoding: { y: { field: 'gene', type: 'nominal', sort: names, axis: null }, color },
          },
        ],
        spacing: 2,
        resolve: { scale: { color: 'independent' } },
      },
    ],
  } as unknown as Spec);
}

/** The strongest off-diagonal effects (at most `k`), genes on a circle in dendrogram order, coloured by module. */
export function moduleNetwork(a: ModuleAnalysis, aCausal: readonly (readonly number[])[], k = 80): Promise<string> {
  const d = a.genes.length,
    order = a.modules.dendrogram.order,
    lab = a.modules.labels;
  const pos = new Map(order.map((g, i) => [g, i]));
  const xy = (g: number) => {
    const t = (2 * Math.PI * pos.get(g)!) / d - Math.PI / 2;
    return [Math.cos(t), Math.sin(t)] as const;
  };
  const edges: { i: number; j: number; v: number }[] = [];
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) if (i !== j && aCausal[i]![j]) edges.push({ i, j, v: aCausal[i]![j]! });
  edges.sort((p, q) => Math.abs(q.v) - Math.abs(p.v));
  const top = edges.slice(0, k),
    max = Math.abs(top[0]?.v ?? 1);
  const lines = top.map((e) => {
    const [x, y] = xy(e.i),
      [x2, y2] = xy(e.j);
    return { x, y, x2, y2, strength: Math.abs(e.v) / max, sign: e.v > 0 ? 'activating (+)' : 'repressing (−)' };
  });
  const nodes = order.map((g) => {
    const [x, y] = xy(g);
    return { x, y, gene: a.genes[g]!, module: moduleName(lab[g]!), lx: x * 1.09, ly: y * 1.09 };
  });
  // Past 60 genes only the genes the shown effects touch are named (text stays at 10 px).
  const touched = new Set(top.flatMap((e) => [a.genes[e.i]!, a.genes[e.j]!]));
  const named = d > 60 ? nodes.filter((n) => touched.has(n.gene)) : nodes;
  const size = Math.min(PAGE_WIDTH - 200, 560);
  const sc = { domain: [-1.2, 1.2] };
  const axes = {
    x: { field: 'x', type: 'quantitative', scale: sc, axis: null },
    y: { field: 'y', type: 'quantitative', scale: { ...sc, reverse: true }, axis: null },
  };
  return renderSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: {
      font: 'sans-serif',
      view: { stroke: null },
      legend: { labelFontSize: 11, titleFontSize: 12, orient: 'bottom', columns: 4 },
      title: { fontSize: 14 },
    },
    title: `the ${top.length} strongest effects, genes on a circle in dendrogram order`,
    width: size,
    height: size,
    resolve: { scale: { color: 'independent' } },
    layer: [
      {
        data: { values: lines },
        mark: { type: 'rule' },
        encoding: {
          ...axes,
          x2: { field: 'x2' },
          y2: { field: 'y2' },
          opacity: {
            field: 'strength',
            type: 'quantitative',
            scale: { domain: [0, 1], range: [0.15, 0.9] },
            legend: null,
          },
          strokeWidth: {
            field: 'strength',
            type: 'quantitative',
            scale: { domain: [0, 1], range: [0.5, 3] },
            legend: null,
          },
          color: {
            field: 'sign',
            type: 'nominal',
            scale: { domain: ['activating (+)', 'repressing (−)'], range: ['#c0392b', '#2c7fb8'] },
            title: 'effect',
          },
        },
      },
      {
        data: { values: nodes },
        mark: { type: 'circle', size: 90, opacity: 1, stroke: 'white' },
        encoding: { ...axes, color: { field: 'module', type: 'nominal', scale: moduleScale(lab), title: 'module' } },
      },
      {
        data: { values: named },
        mark: { type: 'text', fontSize: 10 },
        encoding: { x: { ...axes.x, field: 'lx' }, y: { ...axes.y, field: 'ly' }, text: { field: 'gene' } },
      },
    ],
  } as unknown as Spec);
}

/** HTML table: each module's size, genes and top enriched terms. */
export function moduleTable(a: ModuleAnalysis): string {
  const sizes = moduleSizes(a.modules.labels),
    terms = topTerms(a, 3);
  const colours = moduleScale(a.modules.labels);
  const rows = sizes.map((n, l) => {
    // members joined by the nearest-module placement (not by the tree's cut) in italics
    const genes = a.modules.dendrogram.order
      .filter((g) => a.modules.labels[g] === l)
      .map((g) => (a.modules.placed[g] ? `<i>${esc(a.genes[g]!)}</i>` : esc(a.genes[g]!)));
    const t = terms.filter((r) => r.module === l);
    return `<tr><th><span style="display:inline-block;width:10px;height:10px;background:${colours.range[l]}"></span> ${l + 1}</th><td>${n}</td><td style="text-align:left">${genes.join(', ')}</td><td style="text-align:left">${
      a.collections.length
        ? t.length
          ? t.map((r) => `${esc(r.term)} (${r.overlap}/${r.moduleSize}, FDR ${r.fdr.toExponential(1)})`).join('<br>')
          : `none at FDR ≤ ${a.fdr}`
        : 'no gene sets given'
    }</td></tr>`;
  });
  const none = Array.from(a.modules.labels).filter((l) => l < 0).length,
    placed = Array.from(a.modules.placed).filter(Boolean).length;
  const outside =
    a.modules.placement === 'nearest'
      ? `${placed} of ${a.genes.length} genes fell outside the cut's modules (weak responders, or clusters smaller than ${a.modules.minSize}) and joined the module nearest to them on mean distance (in italics)${none > 0 ? `; ${none} equally near two modules stayed in none` : ''}`
      : `${none} of ${a.genes.length} genes are in no module (clusters smaller than ${a.modules.minSize})`;
  return `<table class="modules"><tr><th>module</th><th>genes</th><th>members (dendrogram order)</th><th>top enriched terms</th></tr>${rows.join('')}</table><p>${outside}; mean silhouette ${a.modules.silhouette.toFixed(3)}.</p>`;
}
