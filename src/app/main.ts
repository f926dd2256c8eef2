// The web app's page: forms, live progress and results. The work runs in a Web Worker (worker.ts) on the page's
// WebGPU device; the plots are the HTML report's Vega-Lite views (report/plots.ts), rendered to SVG here.
import type { AppResult, Layout, LoadChoice, RunChoice } from './pipeline.ts';
import type { ToWorker } from './worker.ts';
import {
  metricBars,
  shiftScatter,
  causalHeatmap,
  categoryScatter,
  pcaScatter,
  geneDistributions,
  zeroFractionScatter,
} from '../report/plots.ts';
import { clusteredHeatmap, moduleNetwork, moduleTable } from '../report/module-views.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const input = (id: string) => $<HTMLInputElement>(id);
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const send = (m: ToWorker, transfer: Transferable[] = []) => worker.postMessage(m, transfer);

/** The state a test (or a curious user) can read: the last layout, result and error. */
const state: { layout?: Layout; result?: AppResult; error?: string; busy: boolean } = { busy: false };
(globalThis as { lcdApp?: typeof state }).lcdApp = state;

function showError(message: string | null): void {
  state.error = message ?? undefined;
  $('error').hidden = !message;
  $('error').textContent = message ?? '';
  if (message) setBusy(false);
}

function setBusy(b: boolean): void {
  state.busy = b;
  for (const id of ['read', 'builtin', 'run']) $<HTMLButtonElement>(id).disabled = b;
}

if (!(navigator as { gpu?: unknown }).gpu) {
  $('nogpu').hidden = false;
  $('nogpu').textContent =
    'This browser has no WebGPU (navigator.gpu is missing). Use a recent Chrome, Edge or Safari, or Firefox with ' +
    'WebGPU enabled; on Linux Chrome may need --enable-unsafe-webgpu. The command line (npx lcd-webgpu) runs anywhere.';
}

function loadChoice(): LoadChoice {
  const fk = input('filter-key').value.trim(),
    fv = input('filter-value').value.trim(),
    values = $<HTMLSelectElement>('values').value;
  return {
    perturbationKey: input('key').value.trim() || 'condition',
    control: input('control').value.trim() || 'ctrl',
    ...(fk ? { filter: { key: fk, value: fv } } : {}),
    // 'recover': log1p of scaled counts, the counts recovered for the measurement model (the CLI's --counts-from implied)
    ...(values === 'recover' ? { values: 'auto', countsFrom: 'implied' } : { values: values as LoadChoice['values'] }),
  };
}

async function readFile(): Promise<void> {
  const f = input('file').files?.[0];
  if (!f) return showError('choose an .h5ad file first (or use the built-in screen)');
  showError(null);
  setBusy(true);
  const bytes = new Uint8Array(await f.arrayBuffer());
  send({ type: 'inspect', bytes, name: f.name, choice: loadChoice() }, [bytes.buffer]);
}

input('file').addEventListener('change', () => void readFile());
$('read').addEventListener('click', () => void readFile());
$('builtin').addEventListener('click', () => {
  showError(null);
  setBusy(true);
  send({ type: 'builtin' });
});

function showLayout(l: Layout): void {
  state.layout = l;
  setBusy(false);
  const singles = l.conditions.filter((c) => c.targets.length === 1).length;
  const columns = Object.entries(l.columns)
    .map(([k, c]) => `${k} (${c.values} values)`)
    .join(', ');
  $('layout').innerHTML =
    `<p><b>${esc(l.source)}</b>: ${l.cells} cells × ${l.genes} genes, values <b>${l.kind}</b>; ` +
    `${l.conditions.length - 1} perturbations (${singles} singles, ${l.doubles.length} doubles) and the control.</p>` +
    (columns ? `<p class="muted">obs columns: ${esc(columns)}</p>` : '');
  const box = $('doubles');
  box.innerHTML = '';
  // Preselect every third double whose two genes were both perturbed alone (a double with a gene never seen
  // alone or in another double cannot be predicted and is discarded by the split).
  const singlesSeen = new Set(l.conditions.filter((c) => c.targets.length === 1).map((c) => c.targets[0]));
  let k = 0;
  for (const name of l.doubles) {
    const c = l.conditions.find((x) => x.name === name)!;
    const pick = c.targets.every((t) => singlesSeen.has(t)) && k++ % 3 === 0;
    const lab = document.createElement('label');
    lab.innerHTML = `<input type="checkbox" value="${esc(name)}" ${pick ? 'checked' : ''}> ${esc(name)}`;
    box.appendChild(lab);
  }
  $('setup').hidden = l.doubles.length === 0;
  if (!l.doubles.length) showError('this screen has no doubles (A+B) to hold out and predict');
}

$('run').addEventListener('click', () => {
  const test = Array.from($('doubles').querySelectorAll<HTMLInputElement>('input:checked'), (x) => x.value);
  if (!test.length) return showError('check at least one double to hold out');
  const choice: RunChoice = {
    test,
    steps: Number(input('steps').value),
    hidden: Number(input('hidden').value),
    nGenes: Number(input('n-genes').value),
    minCellsPerGene: Number(input('min-cells').value),
    seed: Number(input('seed').value),
    ...(input('cells').value ? { cells: Number(input('cells').value) } : {}),
    cliprStepsPerLevel: 100,
    unmeasuredTargets: $<HTMLSelectElement>('unmeasured').value as RunChoice['unmeasuredTargets'],
    measurement: $<HTMLSelectElement>('measurement').value as RunChoice['measurement'],
    priorSteps: Number(input('prior-steps').value),
  };
  showError(null);
  setBusy(true);
  state.result = undefined; // a test (or a user) waiting for this run's result must not read the last one
  losses.length = 0;
  $('progress').hidden = false;
  $('results').hidden = true;
  send({ type: 'run', choice });
});

const losses: { step: number; loss: number }[] = [];
function drawLoss(steps: number): void {
  const svg = $('loss'),
    W = 600,
    H = 160;
  if (!losses.length) return;
  const ls = losses.map((l) => Math.log(l.loss));
  const lo = Math.min(...ls),
    hi = Math.max(...ls) + 1e-9;
  const pts = losses
    .map(
      (l, i) =>
        `${((l.step / steps) * (W - 10) + 5).toFixed(1)},${(H - 5 - ((ls[i]! - lo) / (hi - lo)) * (H - 10)).toFixed(1)}`,
    )
    .join(' ');
  svg.innerHTML =
    `<polyline fill="none" stroke="#3465a4" stroke-width="1.5" points="${pts}"/>` +
    `<text x="8" y="14" font-size="11">loss (log scale): ${losses.at(-1)!.loss.toFixed(4)} at step ${losses.at(-1)!.step}</text>`;
}

const fmtEta = (s: number) => (Number.isFinite(s) ? `${Math.ceil(s)} s left` : '');

worker.onmessage = (e: MessageEvent) => {
  const m = e.data;
  if (m.type === 'layout') showLayout(m.layout);
  else if (m.type === 'error') showError(m.message);
  else if (m.type === 'gpu') $('stage').textContent = `GPU: ${m.info.description || m.info.architecture || 'unknown'}`;
  else if (m.type === 'stage') $('stage').textContent = m.text;
  else if (m.type === 'loss') {
    losses.push({ step: m.step, loss: m.loss });
    $<HTMLProgressElement>('bar').value = m.step / m.steps;
    $('stage').textContent = `training: step ${m.step} of ${m.steps}, loss ${m.loss.toFixed(4)}, ${fmtEta(m.etaS)}`;
    drawLoss(m.steps);
  } else if (m.type === 'prior') {
    $<HTMLProgressElement>('bar').value = m.step / m.steps;
    $('stage').textContent =
      `measurement model: step ${m.step} of ${m.steps}, loss ${m.loss.toFixed(3)}, ${fmtEta(m.etaS)}`;
  } else if (m.type === 'sampling') {
    $<HTMLProgressElement>('bar').value = m.done / m.total;
    $('stage').textContent = `sampling: level ${m.done} of ${m.total}, ${fmtEta(m.etaS)}`;
  } else if (m.type === 'result') void showResult(m.result);
};
worker.onerror = (e) => showError(`the worker failed: ${e.message}`);

const blobUrl = (data: BlobPart, type: string) => URL.createObjectURL(new Blob([data], { type }));

async function showResult(r: AppResult): Promise<void> {
  state.result = r;
  $('stage').textContent = `done in ${r.timing.totalS.toFixed(1)} s`;
  $('results').hidden = false;
  const methods = ['LCD', 'additive', 'control'];
  const cell = (x: number) => `<td>${x.toFixed(4)}</td>`;
  $('metrics').innerHTML =
    `<tr><th>held-out double</th>${methods.map((m) => `<th>ED ${m}</th>`).join('')}${methods.map((m) => `<th>MMD ${m}</th>`).join('')}</tr>` +
    r.test
      .map((d) => {
        const row = (m: string) => r.rows.find((x) => x.double === d && x.method === m)!;
        return `<tr><td>${esc(d)}</td>${methods.map((m) => cell(row(m).ed)).join('')}${methods.map((m) => cell(row(m).mmd)).join('')}</tr>`;
      })
      .join('') +
    `<tr><th>mean</th>${methods.map((m) => cell(r.mean[m]!.ed)).join('')}${methods.map((m) => cell(r.mean[m]!.mmd)).join('')}</tr>`;
  const caveats: string[] = [];
  if (r.mean.additive!.ed < r.mean.LCD!.ed)
    caveats.push(
      `The additive baseline beats LCD here (mean ED ${r.mean.additive!.ed.toFixed(4)} against ${r.mean.LCD!.ed.toFixed(4)}): train longer or check the data.`,
    );
  if (!r.causal.identified) caveats.push(`Causal matrix: ${r.causal.note}.`);
  else if (r.causal.effects === 'total') caveats.push(`Causal matrix: ${r.causal.reading}.`);
  $('caveats').innerHTML = caveats.map((c) => `<p class="caveat">${esc(c)}</p>`).join('');
  $<HTMLAnchorElement>('dl-predictions').href = blobUrl(r.predictionsH5ad as BlobPart, 'application/x-hdf5');
  $<HTMLAnchorElement>('dl-causal').href = blobUrl(r.causal.csv, 'text/csv');
  $<HTMLAnchorElement>('dl-modules').href = blobUrl(r.causal.modulesCsv, 'text/csv');
  $<HTMLAnchorElement>('dl-config').href = blobUrl(r.model['config.json']! as BlobPart, 'application/json');
  $<HTMLAnchorElement>('dl-weights').href = blobUrl(
    r.model['weights.safetensors']! as BlobPart,
    'application/octet-stream',
  );
  $('timing').textContent =
    `first training step after ${r.timing.firstStepS.toFixed(1)} s; ${r.timing.dsmStepsPerS.toFixed(1)} DSM steps/s; ` +
    `${Math.round(r.timing.samplerParticleStepsPerS)} sampler particle-steps/s`;
  const d = r.genes.length;
  const heat = r.causal.matrix.map((effect, k) => ({
    source: r.genes[Math.floor(k / d)]!,
    target: r.genes[k % d]!,
    effect,
  }));
  const views = [
    await metricBars(
      r.rows.map((x) => ({ perturbation: x.double, method: x.method, value: x.ed })),
      'energy distance',
      true,
    ),
    await shiftScatter(
      r.shifts.flatMap((s) => [
        { perturbation: s.double, gene: s.gene, method: 'LCD', observed: s.observed, predicted: s.LCD },
        { perturbation: s.double, gene: s.gene, method: 'additive', observed: s.observed, predicted: s.additive },
      ]),
    ),
    ...(r.cells.pca.length ? [await pcaScatter(r.cells.pca)] : []),
    await geneDistributions(r.cells.distributions),
    ...(r.cells.zeros.length ? [await zeroFractionScatter(r.cells.zeros)] : []),
    ...(r.gi.length
      ? [
          giTable(r),
          await categoryScatter(
            r.gi as never,
            'mag',
            'dcor_ratio',
            'type',
            'interaction scores of the held-out doubles, coloured by type',
          ),
        ]
      : []),
    ...(d <= 60
      ? [
          await causalHeatmap(
            heat,
            `causal matrix a_causal[source, target] (CLIPR, ${r.causal.effects === 'total' ? "total effects: the model's differential expression" : `${r.causal.effects} effects`})`,
          ),
        ]
      : []),
    ...(r.causal.identified ? await moduleViews(r) : []),
  ];
  $('views').innerHTML = views.join('');
  $<HTMLAnchorElement>('dl-report').href = blobUrl(reportHtml(r), 'text/html');
  setBusy(false);
}

/** The module table, the clustered causal matrix and the network of its strongest effects. */
async function moduleViews(r: AppResult): Promise<string[]> {
  const d = r.genes.length,
    rows = r.genes.map((_, i) => r.causal.matrix.slice(i * d, (i + 1) * d));
  return [
    `<h3>Gene modules of the causal matrix</h3>${moduleTable(r.causal.modules)}`,
    await clusteredHeatmap(r.causal.modules, rows),
    await moduleNetwork(r.causal.modules, rows),
  ];
}

/** The results section as a standalone HTML file: inline SVG views and tables, the run's settings, no links to
 *  the page's in-memory downloads. */
function reportHtml(r: AppResult): string {
  const results = $('results').cloneNode(true) as HTMLElement;
  results.querySelector('#downloads')?.remove();
  results.removeAttribute('hidden');
  const style = document.querySelector('style')?.outerHTML ?? '';
  const settings = [
    `data: ${esc(state.layout?.source ?? '')}`,
    `held out: ${r.test.map(esc).join(', ')}`,
    `genes: ${r.genes.length}`,
    ...r.log.map(esc),
  ]
    .map((l) => `<li>${l}</li>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>lcd-webgpu report (web app)</title>${style}</head><body><h1>lcd-webgpu report (web app)</h1><p>${esc(new Date().toISOString())}</p><ul>${settings}</ul>${results.innerHTML}</body></html>\n`;
}

/** Observed and predicted interaction types per double (a predicted type that differs is shaded). */
function giTable(r: AppResult): string {
  const sources = ['observed', 'LCD', 'additive'];
  const type = (dbl: string, src: string) => r.gi.find((x) => x.double === dbl && x.source === src)?.type ?? '–';
  const doubles = [...new Set(r.gi.map((x) => x.double))];
  return (
    `<h3>Interaction types</h3><table id="gi-types"><tr><th>double</th>${sources.map((s) => `<th>${s}</th>`).join('')}</tr>` +
    doubles
      .map(
        (dbl) =>
          `<tr><td>${esc(dbl)}</td>${sources
            .map(
              (s) =>
                `<td${s !== 'observed' && type(dbl, s) !== type(dbl, 'observed') ? ' style="background:#fde8e8"' : ''}>${esc(type(dbl, s))}</td>`,
            )
            .join('')}</tr>`,
      )
      .join('') +
    '</table>'
  );
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
