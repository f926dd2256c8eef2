// The `modules` job end to end on a run folder made without training (so it costs seconds): a planted-module gene
// network's latent screen as the run's data, two singles held out, and the simulator's own total effects (what a
// perfect model's differential expression would be) as the causal matrix. Checks the files, that the planted
// modules are found and enriched, that the implication test runs on the held-out singles with a precision above the
// base rate, and the errors a user meets.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { grnScreen, MODULES_DEFAULTS } from '../src/sim/grn.ts';
import { runPaths, writeScreenH5ad } from '../src/jobs/run-folder.ts';
import { modulesRun } from '../src/jobs/modules-run.ts';
import { formatGmt } from '../src/stats/gene-sets.ts';
import { adjustedRandIndex } from '../src/stats/modules.ts';
import { fromCsv } from '../src/io/csv.ts';
import { InputError } from '../src/core/errors.ts';

const HELD = ['R1', 'R5'];

describe('the modules job on a planted-module screen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'modules-run-'));
  const r = grnScreen({ ...MODULES_DEFAULTS, seed: 0, cells: 80, counts: null });
  const genes = r.truth.genes,
    d = genes.length;
  const p = runPaths(dir);
  beforeAll(async () => {
    await writeScreenH5ad(p.data, genes, r.screen.envs, {}, { values: 'latent' });
    const names = r.screen.envs.map((e) => e.name);
    writeFileSync(
      p.runJson,
      JSON.stringify({
        format: 'lcd-webgpu-run/1',
        source: 'simulated',
        options: {},
        genes,
        split: { mode: 'explicit', seed: 0, train: names.filter((n) => !HELD.includes(n)), test: HELD, discarded: [] },
        markers: {},
        hvgRank: [],
        qc: null,
        log: [],
        valuesIn: 'latent',
      }),
    );
    const a: number[][] = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? -1 : 0)));
    r.truth.total.forEach((row, ri) => row.forEach((v, j) => ri !== j && (a[ri]![j] = v)));
    mkdirSync(p.clipr, { recursive: true });
    writeFileSync(
      p.cliprMatrixJson,
      JSON.stringify({ genes, a_causal: a, queryGenes: r.truth.regulators, effects: 'total', model_id: 'test' }),
    );
    writeFileSync(join(dir, 'planted.gmt'), formatGmt(r.truth.geneSets!, 'planted'));
  });

  it('writes the four files; the planted modules are found and each is enriched', async () => {
    const res = await modulesRun({ run: dir, geneSets: [join(dir, 'planted.gmt')] });
    for (const f of ['modules.csv', 'modules.json', 'enrichment.csv', 'implication.csv'])
      expect(existsSync(join(p.modules, f)), f).toBe(true);
    const rows = fromCsv(readFileSync(join(p.modules, 'modules.csv'), 'utf8'));
    const label = rows.map((x) => (x['module'] === '' ? -1 : Number(x['module'])));
    expect(adjustedRandIndex(label, r.truth.modules!)).toBeGreaterThan(0.8);
    const j = JSON.parse(readFileSync(p.modulesJson, 'utf8'));
    expect(j.model_id).toBe('test');
    expect(new Set(j.enriched.map((e: { term: string }) => e.term))).toEqual(new Set(Object.keys(r.truth.geneSets!)));
    expect(res.analysis.enrichment.every((x) => x.overlap > 0)).toBe(true);
  });

  it('the implication test runs on the held-out singles, the causal matrix above the base rate', async () => {
    const res = await modulesRun({ run: dir, force: true, quantiles: [0.9] });
    const imp = res.implication!;
    expect(imp.testable).toBe(true);
    expect(imp.heldOut.sort()).toEqual(HELD);
    const causal = imp.rows.find((x) => x.predictor === 'causal matrix')!;
    expect(causal.pairs).toBe(HELD.length * (d - 1));
    expect(causal.predicted).toBeGreaterThan(0);
    expect(causal.precision).toBeGreaterThan(causal.baseRate);
    expect(causal.precisionLow).toBeLessThanOrEqual(causal.precision);
    expect(causal.liftLow).toBeLessThanOrEqual(causal.lift);
    expect(imp.rows.map((x) => x.predictor)).toEqual(['causal matrix', 'training DE']);
    // Same seed, same table: the bootstrap draws from a named stream.
    const again = await modulesRun({ run: dir, force: true, quantiles: [0.9] });
    expect(again.implication!.rows).toEqual(imp.rows);
  });

  it('says what is missing or wrong', async () => {
    await expect(modulesRun({ run: dir })).rejects.toThrow(/exists and is not empty; .* --force/);
    await expect(modulesRun({ run: dir, force: true, geneSets: ['nope.gmt'] })).rejects.toThrow(
      /--gene-sets nope\.gmt: file not found/,
    );
    await expect(modulesRun({ run: dir, force: true, cutHeight: 0 })).rejects.toThrow(InputError);
    const empty = mkdtempSync(join(tmpdir(), 'modules-norun-'));
    await expect(modulesRun({ run: empty })).rejects.toThrow(/no causal matrix; run 'lcd-webgpu clipr --run/);
  });
});
