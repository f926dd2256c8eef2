// `report`: one self-contained HTML file for a run folder: what was run, the headline metrics against the
// baselines, loss curves, per-perturbation metrics, predicted vs observed mean shifts on the top DE genes, the CLIPR
// causal matrix (when `clipr --run` has been run) and genetic-interaction scores (when `gi --run` has been run).
// Plots are Vega-Lite rendered to inline SVG in Node (plots.ts); the file has no external references.
import { existsSync, readFileSync } from 'node:fs';
import { readRun, runPaths } from '../jobs/run-folder.ts';
import { HEADLINE } from '../jobs/evaluate-run.ts';
import { smallerIsBetter } from '../metrics/evaluate.ts';
import { writeFileAtomic } from '../node/atomic.ts';
import { lossCurve, metricBars, shiftScatter, causalHeatmap, categoryScatter } from './plots.ts';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const fmt = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v) ? '–' : Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(3);
const readJson = <T>(p: string): T | null => (existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as T) : null);

interface Metrics {
  peperLosses?: { step: number; loss: number }[];
  tests: string[];
  methods: string[];
  summary: Record<string, Record<string, { mean: number | null; median: number | null }>>;
  rows: { perturbation: string; method: string; metrics: Record<string, number | null> }[];
}

export async function writeReport(runDir: string, out = runPaths(runDir).report): Promise<string> {
  const run = readRun(runDir);
  const sections: string[] = [];
  sections.push(
    `<h2>Run</h2><table>${[
      ['data', run.source],
      ['values in the file', run.valuesIn],
      ['genes modelled', String(run.genes.length)],
      [
        'split',
        `${run.split.mode} (seed ${run.split.seed}): ${run.split.train.length} training environments, ${run.split.test.length} test perturbations`,
      ],
      ['test perturbations', run.split.test.join(', ') || '–'],
      ['preprocessing', run.log.join('<br>')],
    ]
      .map(([k, v]) => `<tr><th>${esc(k!)}</th><td>${k === 'preprocessing' ? v : esc(v!)}</td></tr>`)
      .join('')}</table>`,
  );

  const metrics = readJson<Metrics>(runPaths(runDir).metricsJson);
  if (metrics) {
    const best = (m: string) => {
      const vals = metrics.methods.map((me) => metrics.summary[me]?.[m]?.mean ?? NaN).filter(Number.isFinite);
      return smallerIsBetter(m) ? Math.min(...vals) : Math.max(...vals);
    };
    sections.push(
      `<h2>Metrics against the baselines</h2><p>Mean over ${metrics.tests.length} test perturbations; the best value per metric is in bold. Distances (ed, mmd, rmse) lower is better; correlations and DE scores higher is better. <code>_20</code>: on each perturbation's top-20 marker genes.</p>` +
        `<table><tr><th>method</th>${HEADLINE.map((m) => `<th>${m}</th>`).join('')}</tr>${metrics.methods
          .map(
            (me) =>
              `<tr><th>${esc(me)}</th>${HEADLINE.map((m) => {
                const v = metrics.summary[me]?.[m]?.mean ?? null;
                return `<td>${v !== null && v === best(m) ? `<b>${fmt(v)}</b>` : fmt(v)}</td>`;
              }).join('')}</tr>`,
          )
          .join('')}</table>`,
    );
    for (const m of ['mmd_20', 'ed', 'pearson_de']) {
      const rows = metrics.rows.map((r) => ({
        perturbation: r.perturbation,
        method: r.method,
        value: r.metrics[m] ?? null,
      }));
      sections.push(await metricBars(rows, m, smallerIsBetter(m)));
    }
  } else sections.push(`<p>No metrics yet: run <code>lcd-webgpu evaluate --run ${esc(runDir)}</code>.</p>`);

  const cfg = readJson<{ losses: { step: number; loss: number }[] }>(runPaths(runDir).modelConfig);
  if (cfg?.losses.length) {
    sections.push(
      '<h2>Training</h2>' +
        (await lossCurve(
          cfg.losses.map((l) => ({ ...l, series: 'LCD denoising score matching' })),
          'LCD training loss',
        )),
    );
    const prior = readJson<{ losses: { step: number; loss: number }[] }>(runPaths(runDir).modelMeasurement);
    if (prior?.losses.length)
      sections.push(
        await lossCurve(
          prior.losses.map((l) => ({ ...l, series: 'measurement model −log p̂(x)' })),
          'measurement model (ZIP prior) training loss',
        ),
      );
    if (metrics?.peperLosses?.length)
      sections.push(
        await lossCurve(
          metrics.peperLosses.map((l) => ({ ...l, series: 'PEPER √(Σ‖mean − x‖²)' })),
          'PEPER baseline training loss',
        ),
      );
  }

  // Mean shifts as evaluate computed them (mean_shifts.csv): LCD and the additive baseline on the marker genes.
  const shiftsPath = runPaths(runDir).meanShiftsCsv;
  if (existsSync(shiftsPath)) {
    const rows = readFileSync(shiftsPath, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(','))
      .filter(([, , method]) => method === 'LCD' || method === 'additive')
      .map(([perturbation, gene, method, observed, predicted]) => ({
        method: method!,
        perturbation: perturbation!,
        gene: gene!,
        observed: Number(observed),
        predicted: Number(predicted),
      }));
    if (rows.length) sections.push('<h2>Predicted mean shifts</h2>' + (await shiftScatter(rows)));
  }

  const causal = readJson<{
    genes: string[];
    queryGenes: string[];
    a_causal: number[][];
    lambda: number;
    identifiability?: { note: string };
  }>(runPaths(runDir).cliprMatrixJson);
  if (causal && causal.queryGenes.length) {
    const idx = new Map(causal.genes.map((g, i) => [g, i]));
    const src = causal.queryGenes.map((g) => idx.get(g)!);
    const strength = causal.genes.map((_, j) =>
      Math.max(...src.map((i) => (i === j ? 0 : Math.abs(causal.a_causal[i]![j]!)))),
    );
    const targets = causal.genes
      .map((_, j) => j)
      .sort((a, b) => strength[b]! - strength[a]!)
      .slice(0, 40);
    // Columns of genes that were never perturbed are not identified (spec §6.3): marked with '*' and a caveat.
    const perturbed = new Set(src);
    const rows = src.flatMap((i) =>
      targets.map((j) => ({
        source: causal.genes[i]!,
        target: perturbed.has(j) ? causal.genes[j]! : `${causal.genes[j]!} *`,
        effect: i === j ? 0 : causal.a_causal[i]![j]!,
      })),
    );
    const caveat =
      src.length < 2
        ? `<p class="caveat"><b>Not a result:</b> only ${src.length} gene of the panel was perturbed, so CLIPR identifies no causal effect; the matrix below is what the regularised solve returns, not an estimate.</p>`
        : targets.some((j) => !perturbed.has(j))
          ? `<p class="caveat"><b>Caveat:</b> only effects between perturbed genes are identified; columns marked * are genes that were never perturbed, whose entries the perturbations cannot identify (${causal.identifiability?.note ?? ''}).</p>`
          : '';
    sections.push(
      `<h2>Causal matrix (CLIPR)</h2><p>Effects of the ${src.length} perturbed genes (rows) on the 40 genes they affect most (columns), λ = ${causal.lambda}; the diagonal is blanked. Full matrix: <code>clipr/causal_matrix.csv</code>.</p>` +
        caveat +
        (await causalHeatmap(rows, 'a_causal[source, target]')),
    );
  }

  const gi = readJson<{ rows: Record<string, string | number>[] }>(runPaths(runDir).giJson);
  if (gi?.rows.length) {
    sections.push(
      '<h2>Genetic interactions</h2>' +
        (await categoryScatter(
          gi.rows,
          'mag',
          'dcor_ratio',
          'type',
          'interaction scores of the test doubles, coloured by type',
        )),
    );
  }

  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>lcd-webgpu report: ${esc(runDir)}</title><style>
body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px;vertical-align:top}h2{margin-top:2em;border-bottom:1px solid #ddd}.caveat{background:#fff4e5;border-left:4px solid #e69500;padding:6px 10px}svg{max-width:100%;height:auto;display:block;margin:1em 0}
</style></head><body><h1>lcd-webgpu report</h1><p>${esc(new Date().toISOString())} · run folder <code>${esc(runDir)}</code></p>${sections.join('\n')}</body></html>\n`;
  writeFileAtomic(out, html);
  return out;
}
