// The HTML report of a whole run folder (simulate --counts → fit on log1p → predict → evaluate → gi → clipr →
// report), read as a user at the page's width would: every view fits the page (no SVG wider than PAGE_WIDTH, so no
// text is shrunk) with no text below 10 px, the points that matter carry names (genes on the mean-shift plot,
// doubles on the interaction plot), each view and table is present (run table with hyperparameters, sampler,
// version and times; caveats; glossary; CSV links; PCA, top-gene distributions, zero fractions; the interaction-type
// table; the causal heatmap; the gene modules: table, clustered heatmap, network), and the caveat box says what metrics.json says (a baseline beating LCD).
import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEngine } from './helpers/gpu.ts';
import { PAGE_WIDTH } from '../src/report/plots.ts';

const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' };
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['bin/lcd-webgpu.mjs', ...args], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`lcd-webgpu ${args.join(' ')}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};

const engine = await testEngine();
describe.skipIf(!engine)('HTML report at the page width', () => {
  let html: string, run: string;
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'report-'));
    run = join(dir, 'run');
    cli('simulate', '--out', join(dir, 'sim'), '--counts', '--cells', '120', '--seed', '2');
    cli('fit', '--data', join(dir, 'sim', 'screen.h5ad'), '--out', run, '--measurement', 'none', '--split', 'seen2');
    cli('predict', '--run', run, '--cells', '80');
    cli('evaluate', '--run', run, '--baselines', 'additive');
    cli('gi', '--run', run);
    cli('clipr', '--run', run, '--steps-per-level', '20');
    cli('modules', '--run', run, '--min-size', '3');
    cli('report', '--run', run);
    html = readFileSync(join(run, 'report.html'), 'utf8');
  }, 900_000);

  const svgs = () => [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);

  it('clipr --ensemble reads several fits (here the run twice) and records them; a folder without a model exits 2', () => {
    const out = join(run, '..', 'clipr-ensemble');
    cli('clipr', '--model', join(run, 'model'), '--out', out, '--points', 'linear', '--ensemble', run);
    const m = JSON.parse(readFileSync(join(out, 'causal_matrix.json'), 'utf8'));
    expect(m.ensemble).toMatch(new RegExp(`^${join(run, 'model')}:[0-9a-f]+$`));
    expect(m.effects).toBe('direct');
    // a model folder alone has no cells to gate the linear response with, and says so; a run folder has them
    expect(m.dataGate).toMatch(/^none: no cells to gate with/);
    cli('clipr', '--run', run, '--out', `${out}-gated`, '--points', 'linear');
    const g = JSON.parse(readFileSync(join(`${out}-gated`, 'causal_matrix.json'), 'utf8'));
    expect(g.dataGate).toMatch(/^each effect k → i scaled by min\(1, \|t\| \/ 1\), t the Welch t/);
    cli('clipr', '--run', run, '--out', `${out}-off`, '--points', 'linear', '--data-gate', '0');
    expect(JSON.parse(readFileSync(join(`${out}-off`, 'causal_matrix.json'), 'utf8')).dataGate).toBe(
      'off (--data-gate 0)',
    );
    const r = spawnSync(
      process.execPath,
      ['bin/lcd-webgpu.mjs', 'clipr', '--run', run, '--out', `${out}-2`, '--ensemble', join(run, 'nowhere')],
      { encoding: 'utf8', env },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--ensemble: .*nowhere holds no model/);
  }, 300_000);

  it('every view fits the page width and no text is smaller than 10 px', () => {
    expect(svgs().length).toBeGreaterThanOrEqual(9);
    for (const svg of svgs()) {
      const width = Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(svg)![1]);
      const title = /<text[^>]*>([^<]+)<\/text>/.exec(svg)?.[1];
      expect(width, `view '${title}'`).toBeLessThanOrEqual(PAGE_WIDTH);
      const sizes = [...svg.matchAll(/font-size="([\d.]+)px"/g)].map((m) => Number(m[1]));
      expect(sizes.length, `view '${title}'`).toBeGreaterThan(0);
      expect(Math.min(...sizes), `view '${title}'`).toBeGreaterThanOrEqual(10);
    }
    expect(html).toMatch(/max-width:94\dpx/); // the page is as wide as the views plus padding
  });

  it('points carry names: genes on the mean-shift plot, doubles on the interaction plot', () => {
    const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
    const shift = svgs().find((s) => s.includes('predicted against observed</text>') && s.includes('observed shift'))!;
    const genes = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')).genes as string[];
    expect(texts(shift).filter((t) => genes.includes(t)).length).toBeGreaterThanOrEqual(3);
    const gi = svgs().find((s) => s.includes('interaction scores'))!;
    const doubles = (JSON.parse(readFileSync(join(run, 'gi', 'gi.json'), 'utf8')).doubles as string[]) ?? [];
    expect(doubles.length).toBeGreaterThan(0);
    for (const dbl of doubles) expect(texts(gi), dbl).toContain(dbl);
  });

  it('has the run table, glossary, CSV links, every view and the interaction-type table', () => {
    for (const s of [
      'hidden 128',
      'Leimkuhler–Matthews',
      'lcd-webgpu</th>',
      'written</th>',
      'DSM steps on noise levels 0–22',
    ])
      expect(html, s).toContain(s);
    expect(html).toMatch(/<summary>Glossary<\/summary>/);
    for (const f of ['metrics.csv', 'summary.csv', 'mean_shifts.csv', 'gi/gi.csv', 'clipr/causal_matrix.csv'])
      expect(html, f).toContain(`href="${f}"`);
    for (const title of [
      'PCA of control, observed and predicted cells',
      'expression of the top DE genes',
      'zero fraction per gene',
      'mean shift vs control',
      'a_causal[source, target]',
      'interaction scores',
      'per test perturbation',
      'causal matrix, genes in dendrogram order',
      'strongest effects, genes on a circle in dendrogram order',
    ])
      expect(html, title).toContain(title);
    expect(html).toMatch(/<table class="gi-types"><tr><th>double<\/th><th>observed<\/th>/);
    // Modules: the table, and the implication test's note (this split holds out doubles only).
    expect(html).toMatch(/<table class="modules"><tr><th>module<\/th>/);
    expect(html).toMatch(/no single-gene perturbation is held out of training/);
    expect(html, 'modules.csv').toContain('href="modules/modules.csv"');
  });

  it('the caveat box lists exactly the baselines that beat LCD on ed in metrics.json', () => {
    const m = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
    const lcd = m.methods.find((x: string) => x.startsWith('LCD'));
    const beats = m.methods.filter((x: string) => x !== lcd && m.summary[x].ed.mean < m.summary[lcd].ed.mean);
    const line = /<li>On <b>ed<\/b> ([^<]*) beats? LCD/.exec(html);
    if (beats.length) expect(line?.[1]?.split(', ').sort()).toEqual([...beats].sort());
    else expect(line).toBeNull();
  });

  it('a re-centred baseline whose ed lead is within its estimated bias is flagged as such, and only then', () => {
    const m = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
    const lcd = m.summary[m.methods.find((x: string) => x.startsWith('LCD'))].ed.mean as number;
    expect(m.recentring.methods).toEqual(['additive']);
    expect(m.recentring.bias).toBeGreaterThan(0);
    const additive = m.summary.additive.ed.mean as number;
    expect(m.summary.additive.ed_corrected.mean).toBeCloseTo(additive + m.recentring.bias, 10);
    const within = additive < lcd && additive + m.recentring.bias >= lcd;
    expect(/additive shifts the \d+ training control cells/.test(html)).toBe(within);
  });
});
