// The web app end to end in real headless Chromium (SwiftShader WebGPU): upload the shared Norman file with its
// control label and cell filter, hold out two doubles, train a short fit, predict, read the metrics table, download
// the predictions and compare them with the same pipeline run in Node (Dawn on lavapipe) with the same seed. Then a
// broken file and a wrong control label, each with its message on the page; and the embedding example (a host's
// own GPUDevice lent to Engine.fromDevice). Screenshots: artifacts/app/.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumAvailable, SHARED_H5AD } from './browser/run-smoke.ts';
import { openApp, type AppSession } from './browser/run-app.ts';
import { requireGpu, testEngine } from './helpers/gpu.ts';
import { readH5ad } from '../src/node/h5ad.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { inspectH5ad, runApp, type RunChoice } from '../src/app/pipeline.ts';
// @ts-expect-error: a plain .mjs build script without declarations
import { buildApp } from '../scripts/build-app.mjs';

const have = chromiumAvailable() && existsSync(SHARED_H5AD);
if (!have && !requireGpu) console.warn('\n!!! web app test SKIPPED: no Chromium or no shared data file\n');
const ARTIFACTS = join('artifacts', 'app');
const K562 = { perturbationKey: 'condition', control: 'control', filter: { key: 'cell_type', value: 'k562' } };
const TEST = ['KLF1+MAP2K6', 'MAP2K3+MAP2K6'];
const CHOICE: RunChoice = {
  test: TEST,
  steps: 150,
  hidden: 32,
  seed: 0,
  nGenes: 1000,
  minCellsPerGene: 200,
  cells: 150,
  cliprStepsPerLevel: 100,
};

describe.skipIf(!have)('web app in headless Chromium', () => {
  let app: AppSession, dist: string;
  beforeAll(async () => {
    dist = mkdtempSync(join(tmpdir(), 'lcd-app-dist-'));
    await buildApp(dist, { quiet: true });
    app = await openApp(dist, ARTIFACTS);
  }, 120_000);
  afterAll(async () => app?.close());

  it('upload → layout → train → predict → metrics → download, predictions as in Node with the same seed', async () => {
    const { page } = app;
    expect(await page.locator('#nogpu').isHidden()).toBe(true);
    await page.fill('#control', 'control');
    await page.fill('#filter-key', 'cell_type');
    await page.fill('#filter-value', 'k562');
    await page.setInputFiles('#file', SHARED_H5AD);
    await page.waitForFunction(() => (globalThis as { lcdApp?: { layout?: unknown } }).lcdApp?.layout, undefined, {
      timeout: 60_000,
    });
    const layout = (await app.state()).layout!;
    expect(layout.cells).toBe(3375);
    expect(layout.genes).toBe(500);
    expect(layout.doubles).toEqual(expect.arrayContaining(TEST));
    await expect.poll(() => page.locator('#layout').innerText()).toMatch(/3375 cells × 500 genes, values log1p/);
    await app.shot('1-layout');

    // Hold out exactly TEST; short training.
    for (const box of await page.locator('#doubles input').all())
      await box.setChecked(TEST.includes(await box.inputValue()));
    await page.fill('#steps', String(CHOICE.steps));
    await page.fill('#hidden', String(CHOICE.hidden));
    await page.fill('#min-cells', String(CHOICE.minCellsPerGene));
    await page.fill('#cells', String(CHOICE.cells));
    await page.click('#run');
    await page.waitForFunction(
      () =>
        (globalThis as { lcdApp?: { result?: unknown; error?: string } }).lcdApp?.result ||
        (globalThis as { lcdApp?: { error?: string } }).lcdApp?.error,
      undefined,
      { timeout: 600_000 },
    );
    expect((await app.state()).error).toBeUndefined();
    await app.shot('2-results');

    const table = await page.locator('#metrics').innerText();
    for (const d of TEST) expect(table).toContain(d);
    expect(table).toMatch(/mean/);
    // The report's views, drawn on the page: bars, mean shifts, PCA, top-gene distributions, zero fractions,
    // interaction scores, and the interaction-type table.
    expect(await page.locator('#views svg').count()).toBeGreaterThanOrEqual(6);
    const views = await page.locator('#views').innerHTML();
    for (const t of [
      'PCA of control, observed and predicted cells',
      'expression of the top DE genes',
      'zero fraction per gene',
    ])
      expect(views, t).toContain(t);
    expect(await page.locator('#gi-types').innerText()).toMatch(/KLF1\+MAP2K6/);
    expect(await page.locator('#caveats').innerText()).toMatch(/only 1 gene\(s\) of the panel were perturbed/);

    const [report] = await Promise.all([page.waitForEvent('download'), page.click('#dl-report')]);
    await report.saveAs(join(dist, 'report.html'));
    const reportHtml = readFileSync(join(dist, 'report.html'), 'utf8');
    expect(reportHtml).toContain('PCA of control, observed and predicted cells');
    expect(reportHtml).toContain('KLF1+MAP2K6');
    expect(reportHtml).not.toContain('blob:'); // no links to the page's in-memory files

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#dl-predictions')]);
    const file = join(dist, 'predictions.h5ad');
    await download.saveAs(file);
    const pageAd = await readH5ad(file);
    // Readable by anndata (Debian's python3-anndata, when installed; CI installs it).
    const py = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        'import sys, anndata; a = anndata.read_h5ad(sys.argv[1]); print(a.n_obs, a.n_vars, sorted(set(a.obs["condition"])))',
        file,
      ],
      { encoding: 'utf8' },
    );
    if (py.status === 0)
      expect(py.stdout.trim()).toBe(
        `${TEST.length * CHOICE.cells!} 54 ${JSON.stringify(TEST).replace(/"/g, "'").replace(/,/g, ', ')}`,
      );
    else if (process.env.CI === 'true') throw new Error(`anndata could not read the page's predictions: ${py.stderr}`);
    expect(pageAd.nObs).toBe(TEST.length * CHOICE.cells!);
    expect(pageAd.nVars).toBe(54);

    // The same pipeline in Node (Dawn on lavapipe), same seed: the Philox streams are the same on both adapters, so
    // the predictions agree cell for cell; the two software adapters round f32 differently, which 150 training steps
    // and the sampler amplify to at most ~1e-3 on log1p values (measured 9e-4; README, "Web app").
    const engine = await testEngine();
    if (!engine) return;
    const { raw } = await inspectH5ad(new Uint8Array(readFileSync(SHARED_H5AD)), 'norman', K562);
    const node = await runApp(new WebGPUBackend(engine), raw, CHOICE);
    expect(pageAd.varNames).toEqual(node.genes);
    writeFileSync(join(dist, 'node.h5ad'), node.predictionsH5ad);
    const nodeAd = await readH5ad(join(dist, 'node.h5ad'));
    expect(nodeAd.obs['condition']).toEqual(pageAd.obs['condition']);
    let maxDiff = 0,
      spread = 0;
    for (let i = 0; i < pageAd.X.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(pageAd.X[i]! - nodeAd.X[i]!));
      spread = Math.max(spread, Math.abs(nodeAd.X[i]! - nodeAd.X[i % 54]!));
    }
    expect(spread).toBeGreaterThan(0.5); // cells differ from each other: the comparison is not of constants
    // log1p input: the page's predictions are expression-like, as the CLI's (zeros restored, none negative)
    expect(pageAd.X.every((v) => v >= 0)).toBe(true);
    expect(pageAd.X.filter((v) => v === 0).length / pageAd.X.length).toBeGreaterThan(0.3);
    expect(maxDiff).toBeLessThan(5e-3);
    // Speeds of the same work in both (measured, not asserted; README "Web app" quotes one run).
    const pageTiming = await page.evaluate(
      () => (globalThis as unknown as { lcdApp: { result: { timing: unknown } } }).lcdApp.result.timing,
    );
    console.log(
      `web app timing: page ${JSON.stringify(pageTiming)}, Node ${JSON.stringify(node.timing)}; max |page − Node| ${maxDiff}`,
    );
  }, 900_000);

  it('a browser without WebGPU is told so', async () => {
    const page = await app.page.context().newPage();
    await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined }));
    await page.goto(app.page.url());
    await expect.poll(() => page.locator('#nogpu').innerText()).toMatch(/This browser has no WebGPU/);
    await page.screenshot({ path: join(ARTIFACTS, '0-no-webgpu.png') });
    await page.close();
  });

  it('a truncated file and a wrong control label get their messages on the page', async () => {
    const { page } = app;
    const bad = join(dist, 'truncated.h5ad');
    writeFileSync(bad, readFileSync(SHARED_H5AD).subarray(0, 300_000));
    await page.setInputFiles('#file', bad);
    await expect.poll(() => page.locator('#error').innerText(), { timeout: 60_000 }).toMatch(/truncated/);
    await app.shot('3-truncated');
    await page.fill('#control', 'nope');
    await page.setInputFiles('#file', SHARED_H5AD);
    await expect
      .poll(() => page.locator('#error').innerText(), { timeout: 60_000 })
      .toMatch(/control label 'nope' not found/);
    await app.shot('4-bad-control');
  }, 180_000);

  it('the embedding example: a host device lent to Engine.fromDevice survives the engine and keeps rendering', async () => {
    const { page } = app;
    await page.goto(page.url().replace(/[^/]*$/, 'embed.html'));
    const r = (await page.evaluate(() => (globalThis as unknown as { embedResult: Promise<unknown> }).embedResult)) as {
      error?: string;
      sampledFinite: boolean;
      cells: number;
      frames: number;
      deviceLost: boolean;
      uncapturedErrors: number;
    };
    expect(r.error).toBeUndefined();
    expect(r.sampledFinite).toBe(true);
    expect(r.cells).toBe(32 * 6);
    expect(r.frames).toBe(6); // one before, three during, two after the engine's life
    expect(r.deviceLost).toBe(false);
    expect(r.uncapturedErrors).toBe(0);
    await app.shot('5-embed');
  }, 180_000);
});
