// `report`: one self-contained HTML file for a run folder: what was run (data, split, hyperparameters, sampler,
// version, times), caveats (a baseline that beats LCD, a causal matrix that is not identified), the headline metrics
// against the baselines with a glossary, loss curves, per-perturbation metrics, predicted vs observed mean shifts on
// the top DE genes, PCA / top-gene distributions / zero fractions of predicted against observed cells, the CLIPR
// causal matrix (when `clipr --run` has been run), and genetic-interaction scores and types (when `gi --run` has been
// run), with links to the CSV outputs. Plots are the views of plots.ts (the web app draws the same), rendered to
// inline SVG; the file has no external references. This file renders what the report job (src/jobs/report-run.ts)
// read from the run folder (`ReportInputs`, plain data): it reads no file and sits below the jobs.
import { relative, dirname } from 'node:path';
import { smallerIsBetter, HEADLINE } from '../metrics/evaluate.ts';
import { LCD_DEFAULTS, resolveHyperparameters } from '../lcd/model.ts';
import type { LcdHyperparameters } from '../lcd/hyperparameters.ts';
import { savedHyperparameters, type ValidationRecord } from '../lcd/io.ts';
import { describeSampler } from '../lcd/sampler-settings.ts';
import { describeResponseReading } from '../clipr/responses.ts';
import {
  lossCurve,
  metricBars,
  shiftScatter,
  causalHeatmap,
  categoryScatter,
  pcaScatter,
  geneDistributions,
  zeroFractionScatter,
  PAGE_WIDTH,
  escapeHtml,
} from './plots.ts';
import type { CellViewRows } from './cell-views.ts';
import { clusteredHeatmap, moduleNetwork, moduleTable } from './module-views.ts';
import { moduleAnalysisFromJson } from '../clipr/modules.ts';
import type { ImplicationRow } from '../metrics/implication.ts';

/** What each metric of the report means (the glossary under the metrics table). */
export const GLOSSARY: [string, string][] = [
  ['ed', 'energy distance between predicted and observed cells, all genes (0 = same distribution; lower is better)'],
  ['mmd_20', 'maximum mean discrepancy (Gaussian kernels) on the perturbation’s top-20 DE genes (lower is better)'],
  ['pearson_de', 'Pearson correlation of predicted and observed mean shifts from control on the top-20 DE genes'],
  ['rmse_m', 'root mean squared error of the predicted mean expression'],
  ['de_f1', 'F1 overlap of predicted and observed DE genes'],
  ['discrimination_score_l1', 'pds_l1: how well the prediction picks out its own perturbation among all (1 = best)'],
  ['overlap_at_N', 'overlap of the predicted and observed top-N DE genes'],
  ['additive (SALT)', 'baseline: control plus the sum of the two single-gene mean shifts'],
  ['control / perturbed', 'baselines: the control cells / all perturbed training cells pooled, as the prediction'],
];

const esc = escapeHtml;
const fmt = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v) ? '–' : Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(3);
/** A link from the report to an output file of the run, relative to the report's folder. */
const link = (file: string, report: string) => {
  const rel = relative(dirname(report), file);
  return `<a href="${esc(rel)}">${esc(rel)}</a>`;
};
/** The report's content width: the views' width (plots.ts) plus the page padding. */
const PAGE_CSS = PAGE_WIDTH + 40;

export interface ReportMetrics {
  peperLosses?: { step: number; loss: number }[];
  tests: string[];
  methods: string[];
  summary: Record<string, Record<string, { mean: number | null; median: number | null }>>;
  rows: { perturbation: string; method: string; metrics: Record<string, number | null> }[];
  /** The ed bias of the baselines that re-centre the training control's cells (evaluate-run.ts), when recorded. */
  recentring?: { bias: number; controlCells: number; methods: string[] };
}

type Losses = { step: number; loss: number }[];

export interface CausalJson {
  genes: string[];
  queryGenes: string[];
  a_causal: number[][];
  lambda: number;
  reading?: string;
  effects?: 'direct' | 'total';
  heldOutR2?: number;
  /** The default reading inverted the linear response because the sampled means' held-out R² was this (< 0.8). */
  meansR2?: number;
  /** How the linear response's direct effects were gated by the run's cells (clipr/data-gate.ts), or why not. */
  dataGate?: string;
  chosenBy?: 'criterion' | 'option';
  driftLevel?: number;
  anchor?: string;
  identifiability?: { note: string };
}

export type ModulesJson = Parameters<typeof moduleAnalysisFromJson>[0] & {
  effects?: string | null;
  identified?: boolean;
  implication?: { testable: boolean; note: string; rows: ImplicationRow[] };
};

/** Everything the report shows, as the report job read it from the run folder (absent outputs are null). */
export interface ReportInputs {
  runDir: string;
  /** Where the report will be written (links are relative to its folder). */
  out: string;
  version: string;
  run: {
    source: string;
    valuesIn: string;
    genes: number;
    split: { mode: string; seed: number; train: number; test: string[]; val?: string[] };
    lcd: Partial<LcdHyperparameters>;
    measurement?: string;
    log: string[];
  };
  model: {
    hyperparameters?: typeof LCD_DEFAULTS;
    step?: number;
    losses?: Losses;
    /** fit --early-stopping: the validation energy distance at each scored step, and the step kept. */
    validation?: ValidationRecord;
  } | null;
  priorLosses: Losses | null;
  /** File times (UTC, '–' when absent) of run.json, the model and the metrics. */
  times: { run: string; model: string; metrics: string };
  /** The run's output files the report links to. */
  files: {
    metricsCsv: string;
    summaryCsv: string;
    meanShiftsCsv: string;
    cliprCsv: string;
    modulesCsv: string;
    enrichmentCsv: string;
    implicationCsv: string;
    giCsv: string;
  };
  /** Outputs made by an earlier model of this folder (a re-fit since), with how to redo them. */
  stale: readonly { file: string; recorded: string; current: string; redo: string }[];
  metrics: ReportMetrics | null;
  shifts: { method: string; perturbation: string; gene: string; observed: number; predicted: number }[] | null;
  cells: { views: CellViewRows; perturbations: number } | null;
  causal: CausalJson | null;
  modules: ModulesJson | null;
  gi: { rows: Record<string, string | number>[] } | null;
}

/** The report's HTML. */
export async function renderReport(x: ReportInputs): Promise<string> {
  const { run, model, out, runDir, files } = x;
  const sections: string[] = [];
  const caveats: string[] = [];
  // Outputs made by an earlier model of this folder (a re-fit since) are shown, but flagged with how to redo them.
  for (const st of x.stale)
    caveats.push(
      `${esc(st.file)} was made by model ${st.recorded}, not by the run's current model ${st.current} (fitted again since): its numbers describe the earlier model; run <code>${esc(st.redo)}</code>.`,
    );
  const hp = resolveHyperparameters(model?.hyperparameters ? savedHyperparameters(model.hyperparameters) : run.lcd);
  sections.push(
    `<h2>Run</h2><table>${[
      ['data', run.source],
      ['values in the file', run.valuesIn],
      ['genes modelled', String(run.genes)],
      [
        'split',
        `${run.split.mode} (seed ${run.split.seed}): ${run.split.train} training environments, ${run.split.test.length} test perturbations`,
      ],
      ['test perturbations', run.split.test.join(', ') || '–'],
      [
        'LCD',
        `${model?.step ?? hp.steps} DSM steps on noise levels 0–${hp.trainLevels - 1}, hidden ${hp.hidden}, batch ${hp.batchSize}, learning rate ${hp.learningRate}, weight decay ${hp.weightDecay}, seed ${hp.seed}`,
      ],
      ['sampler', describeSampler(hp)],
      ['measurement model', run.measurement ?? 'none'],
      ['lcd-webgpu', x.version],
      ['written', `run ${x.times.run} · model ${x.times.model} · metrics ${x.times.metrics} (UTC)`],
      ['preprocessing', run.log.join('<br>')],
    ]
      .map(([k, v]) => `<tr><th>${esc(k!)}</th><td>${k === 'preprocessing' ? v : esc(v!)}</td></tr>`)
      .join('')}</table>`,
  );

  const metrics = x.metrics;
  if (metrics) {
    const best = (m: string) => {
      const vals = metrics.methods.map((me) => metrics.summary[me]?.[m]?.mean ?? NaN).filter(Number.isFinite);
      return smallerIsBetter(m) ? Math.min(...vals) : Math.max(...vals);
    };
    const lcd = metrics.methods.find((m) => m.startsWith('LCD'));
    if (lcd)
      for (const m of ['ed', 'mmd_20', 'pearson_de']) {
        const mine = metrics.summary[lcd]?.[m]?.mean;
        if (mine === null || mine === undefined) continue;
        const better = metrics.methods.filter((me) => {
          const v = metrics.summary[me]?.[m]?.mean;
          return me !== lcd && v !== null && v !== undefined && (smallerIsBetter(m) ? v < mine : v > mine);
        });
        if (better.length)
          caveats.push(
            `On <b>${m}</b> ${better.map(esc).join(', ')} beat${better.length === 1 ? 's' : ''} LCD (mean ${fmt(mine)}).`,
          );
      }
    // A re-centred baseline's ed lead may be its estimator's bias (metrics/distribution.ts, recentringBias).
    const rc = metrics.recentring,
      mineEd = lcd ? metrics.summary[lcd]?.['ed']?.mean : undefined;
    if (lcd && rc && Number.isFinite(rc.bias) && mineEd !== null && mineEd !== undefined) {
      const within = rc.methods.filter((me) => {
        const v = metrics.summary[me]?.['ed']?.mean;
        return v !== null && v !== undefined && v < mineEd && v + rc.bias >= mineEd;
      });
      if (within.length)
        caveats.push(
          `${within.map(esc).join(', ')} shift${within.length === 1 ? 's' : ''} the ${rc.controlCells} training control cells to each prediction's mean; such re-centred cells score an <b>ed</b> lower than independent draws of the same prediction by about ${fmt(rc.bias)}, more than ${within.length === 1 ? 'its' : 'their'} lead over LCD (see <code>ed_corrected</code> in the metrics files).`,
        );
    }
    sections.push(
      `<h2>Metrics against the baselines</h2><p>Mean over ${metrics.tests.length} test perturbations; the best value per metric is in bold. Distances (ed, mmd, rmse) lower is better; correlations and DE scores higher is better. <code>_20</code>: on each perturbation's top-20 marker genes. Every value: ${link(files.metricsCsv, out)}; means and medians: ${link(files.summaryCsv, out)}.</p>` +
        `<table><tr><th>method</th>${HEADLINE.map((m) => `<th>${m}</th>`).join('')}</tr>${metrics.methods
          .map(
            (me) =>
              `<tr><th>${esc(me)}</th>${HEADLINE.map((m) => {
                const v = metrics.summary[me]?.[m]?.mean ?? null;
                return `<td>${v !== null && v === best(m) ? `<b>${fmt(v)}</b>` : fmt(v)}</td>`;
              }).join('')}</tr>`,
          )
          .join('')}</table>` +
        `<details><summary>Glossary</summary><dl>${GLOSSARY.map(([k, v]) => `<dt><code>${esc(k)}</code></dt><dd>${esc(v)}</dd>`).join('')}</dl></details>`,
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

  if (model?.losses?.length) {
    sections.push(
      '<h2>Training</h2>' +
        (await lossCurve(
          model.losses.map((l) => ({ ...l, series: 'LCD denoising score matching' })),
          'LCD training loss',
        )),
    );
    const v = model.validation;
    if (v?.scores.length)
      sections.push(
        `<p>Early stopping: the model is the one of step ${v.bestStep} of ${model.step ?? v.bestStep}, the lowest energy distance of the held-out training combinations (${esc(run.split.val?.join(', ') ?? '')}); every score: <code>validation.csv</code>.</p>` +
          (await lossCurve(
            v.scores.map((x) => ({ step: x.step, loss: x.score, series: 'validation energy distance' })),
            'LCD validation energy distance (early stopping)',
          )),
      );
    if (x.priorLosses?.length)
      sections.push(
        await lossCurve(
          x.priorLosses.map((l) => ({ ...l, series: 'measurement model −log p̂(x)' })),
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
  if (x.shifts?.length)
    sections.push(
      `<h2>Predicted mean shifts</h2><p>Values: ${link(files.meanShiftsCsv, out)}.</p>` +
        (await shiftScatter(x.shifts)),
    );

  // Cells: PCA, top-gene distributions and zero fractions of the predicted against the observed test doubles.
  if (x.cells) {
    const v = x.cells.views;
    const shown = x.cells.perturbations > 9 ? ` (the first 9 of ${x.cells.perturbations} test perturbations)` : '';
    sections.push(
      `<h2>Predicted cells</h2><p>Control, observed and predicted cells of the test perturbations${shown}; at most 200 cells per group.</p>` +
        (v.pca.length ? await pcaScatter(v.pca) : '') +
        (await geneDistributions(v.distributions)) +
        (v.zeros.length ? await zeroFractionScatter(v.zeros) : ''),
    );
  }

  const causal = x.causal;
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
    if (src.length < 2)
      caveats.push('The causal matrix is not a result: fewer than 2 genes of the panel were perturbed.');
    sections.push(
      `<h2>Causal matrix (CLIPR)</h2><p>Effects of the ${src.length} perturbed genes (rows) on the 40 genes they affect most (columns); ${
        causal.reading === 'response' && causal.effects
          ? `response reading: ${esc(describeResponseReading({ effects: causal.effects, heldOutR2: causal.heldOutR2 ?? NaN, lambda: causal.lambda, chosenBy: causal.chosenBy ?? 'criterion', meansR2: causal.meansR2 }))}${causal.dataGate ? `; data gate: ${esc(causal.dataGate)}` : ''}`
          : `drift reading${causal.driftLevel !== undefined ? ` at level ${causal.driftLevel}, ${causal.anchor} anchor` : ''}, λ = ${causal.lambda}`
      }; the diagonal is blanked. Full matrix: ${link(files.cliprCsv, out)}.</p>` +
        caveat +
        (await causalHeatmap(rows, 'a_causal[source, target]')),
    );
  }

  const modulesJson = x.modules;
  if (modulesJson && causal) {
    const a = moduleAnalysisFromJson(modulesJson);
    const imp = modulesJson.implication;
    const num = (v: number, f = 3) => (Number.isFinite(v) ? v.toFixed(f) : '–');
    const impTable = imp?.testable
      ? `<table class="implication"><tr><th>predictor</th><th>quantile of |effect|</th><th>predicted effects</th><th>precision P(DE | effect) [95 % CI]</th><th>base rate P(DE)</th><th>lift [95 % bootstrap CI]</th><th>Fisher p</th></tr>${imp.rows
          .map(
            (r) =>
              `<tr><th>${esc(r.predictor)}</th><td>${r.quantile}</td><td>${r.predicted}</td><td>${num(r.precision)} [${num(r.precisionLow)}, ${num(r.precisionHigh)}]</td><td>${num(r.baseRate)}</td><td>${num(r.lift, 2)} [${num(r.liftLow, 2)}, ${num(r.liftHigh, 2)}]</td><td>${r.fisherP.toExponential(2)}</td></tr>`,
          )
          .join('')}</table>`
      : '';
    sections.push(
      `<h2>Gene modules</h2><p>Genes grouped by the causal matrix (distances: shortest paths with edge lengths 1/(|a_ij| + |a_ji|); average linkage; optimal leaf order). ${
        modulesJson.effects === 'total'
          ? "The matrix holds total effects (the model's differential expression): modules group genes that respond together, not genes under the same direct regulator. "
          : ''
      }Files: ${link(files.modulesCsv, out)}${a.collections.length ? `, ${link(files.enrichmentCsv, out)}` : ''}.</p>` +
        (modulesJson.identified === false
          ? '<p class="caveat"><b>Not a result:</b> fewer than 2 genes of the panel were perturbed, so the causal matrix identifies no effect and these modules group genes by what the regularised solve returned.</p>'
          : '') +
        moduleTable(a) +
        (await clusteredHeatmap(a, causal.a_causal)) +
        (await moduleNetwork(a, causal.a_causal)) +
        (imp
          ? `<h3>Implication test on held-out perturbations</h3><p>Does a predicted effect t → j imply that j is differentially expressed when t, held out of training, is perturbed? ${esc(imp.note)}.${imp.testable ? ` ${link(files.implicationCsv, out)}` : ''}</p>` +
            impTable
          : ''),
    );
  }

  const gi = x.gi;
  if (gi?.rows.length) {
    // Observed and predicted interaction types, one row per double.
    const sources = [...new Set(gi.rows.map((r) => String(r.source)))];
    const doubles = [...new Set(gi.rows.map((r) => String(r.double)))];
    const typeOf = (dbl: string, src: string) =>
      String(gi.rows.find((r) => r.double === dbl && r.source === src)?.type ?? '–');
    const table =
      `<table class="gi-types"><tr><th>double</th>${sources.map((s) => `<th>${esc(s)}</th>`).join('')}</tr>` +
      doubles
        .map(
          (dbl) =>
            `<tr><th>${esc(dbl)}</th>${sources
              .map((s) => {
                const t = typeOf(dbl, s);
                return `<td${s !== 'observed' && t !== typeOf(dbl, 'observed') ? ' class="miss"' : ''}>${esc(t)}</td>`;
              })
              .join('')}</tr>`,
        )
        .join('') +
      '</table>';
    sections.push(
      `<h2>Genetic interactions</h2><p>Interaction types of the test doubles, observed and predicted (a predicted type that differs from the observed one is shaded). Scores: ${link(files.giCsv, out)}.</p>` +
        table +
        (await categoryScatter(
          gi.rows,
          'mag',
          'dcor_ratio',
          'type',
          'interaction scores of the test doubles, coloured by type',
        )),
    );
  }

  const caveatBox = caveats.length
    ? `<div class="caveat"><b>Read with care:</b><ul>${caveats.map((c) => `<li>${c}</li>`).join('')}</ul></div>`
    : '';
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>lcd-webgpu report: ${esc(runDir)}</title><style>
body{font-family:sans-serif;max-width:${PAGE_CSS}px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px;vertical-align:top}h2{margin-top:2em;border-bottom:1px solid #ddd}.caveat{background:#fff4e5;border-left:4px solid #e69500;padding:6px 10px}td.miss{background:#fde8e8}svg{max-width:100%;height:auto;display:block;margin:1em 0}dt{font-weight:bold;margin-top:0.4em}
</style></head><body><h1>lcd-webgpu report</h1><p>${esc(new Date().toISOString())} · run folder <code>${esc(runDir)}</code></p>${caveatBox}${sections.join('\n')}</body></html>\n`;
  return html;
}
