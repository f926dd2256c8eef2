// A simulated latent (continuous, possibly negative) screen through the pipeline with --values latent: no expm1 in
// preprocessing or GI, the run remembers the kind, every GI gene is used.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEngine } from './helpers/gpu.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { simulate } from '../src/jobs/simulate.ts';
import { fitRun } from '../src/jobs/fit-run.ts';
import { predictRun } from '../src/jobs/predict-run.ts';
import { giRun } from '../src/jobs/gi-run.ts';
import { readRun, readRunData } from '../src/jobs/run-folder.ts';
import { evaluateRun } from '../src/jobs/evaluate-run.ts';
import { parseSplitFile } from '../src/data/splits.ts';

const engine = await testEngine();
describe.skipIf(!engine)('latent screen through the pipeline', () => {
  it('fit --values latent → predict → gi', async () => {
    const B = new WebGPUBackend(engine!),
      dir = mkdtempSync(join(tmpdir(), 'latent-')),
      quiet = () => {};
    const s = await simulate(B, { out: join(dir, 'sim'), kind: 'linear', d: 12, doubles: 4, cells: 80 });
    expect(s.envs.some((e) => e.values.some((v) => v < 0))).toBe(true);
    const run = join(dir, 'run');
    await fitRun(B, {
      data: join(dir, 'sim', 'screen.h5ad'),
      out: run,
      load: { values: 'latent' },
      split: { mode: 'seen2' },
      lcd: { steps: 60, hidden: 32, stepsPerLevel: 5 },
      log: quiet,
    });
    expect(readRun(run).valuesIn).toBe('latent');
    expect((await readRunData(run)).kind).toBe('latent');
    await predictRun(B, { run, engine: engine!, cells: 30, log: quiet });
    // a target that is neither trained nor a gene of the panel is a typo, not an unseen perturbation
    const g0 = readRun(run).genes[0]!;
    await expect(
      predictRun(B, { run, engine: engine!, perturbations: [[`${g0}x`, g0]], out: join(dir, 'x.h5ad'), log: quiet }),
    ).rejects.toThrow(
      new RegExp(
        `target '${g0}x' \\(in ${g0}x\\+${g0}\\) is neither a perturbation seen in training nor a gene of the panel \\(did you mean '${g0}'`,
      ),
    );
    const gi = await giRun(engine!, { run, log: quiet });
    expect(gi.genes).toBe(12);
    expect(gi.doubles.length).toBeGreaterThan(0);
  }, 300_000);

  it('the held-out-split workflow: fit --split-file → predict → evaluate, on exactly the listed conditions', async () => {
    const B = new WebGPUBackend(engine!),
      dir = mkdtempSync(join(tmpdir(), 'splitfile-')),
      quiet = () => {};
    const s = await simulate(B, { out: join(dir, 'sim'), kind: 'linear', d: 10, doubles: 5, cells: 60 });
    const doubles = s.envs.filter((e) => e.targets.length === 2).map((e) => e.name);
    // the data write 'A+B'; the split file names the first test double the other way round, as other tools may
    const [a, b] = doubles[0]!.split('+');
    const file = join(dir, 'split.json');
    writeFileSync(file, JSON.stringify({ test: [`${b}+${a}`, doubles[1]], val: [doubles[2]] }));
    const run = join(dir, 'run');
    await fitRun(B, {
      data: join(dir, 'sim', 'screen.h5ad'),
      out: run,
      load: { values: 'latent' },
      split: parseSplitFile(readFileSync(file, 'utf8'), file),
      lcd: { steps: 40, hidden: 32, stepsPerLevel: 4, lastLevel: 8 },
      log: quiet,
    });
    const split = readRun(run).split;
    expect(split.mode).toBe(`explicit:${file}`);
    expect(split.test).toEqual([doubles[0], doubles[1]]);
    expect(split.val).toEqual([doubles[2]]);
    expect(split.train).not.toContain(doubles[2]); // validation is held out of training
    expect(split.train).toContain(doubles[3]);
    await predictRun(B, { run, engine: engine!, cells: 30, log: quiet });
    const r = await evaluateRun(engine!, { run, baselines: ['control', 'additive'], log: quiet });
    expect(r.tests).toEqual([doubles[0], doubles[1]]);
    expect(r.rows.filter((x) => x.method === 'LCD').map((x) => x.perturbation)).toEqual([doubles[0], doubles[1]]);
  }, 300_000);

  it('a damaged last checkpoint falls back to the previous one, and the resumed fit matches an uninterrupted one', async () => {
    const B = new WebGPUBackend(engine!),
      dir = mkdtempSync(join(tmpdir(), 'latent-ck-')),
      lines: string[] = [];
    await simulate(B, { out: join(dir, 'sim'), kind: 'linear', d: 8, doubles: 2, cells: 30 });
    const fit = (out: string, extra: Partial<Parameters<typeof fitRun>[1]>) =>
      fitRun(B, {
        data: join(dir, 'sim', 'screen.h5ad'),
        out: join(dir, out),
        load: { values: 'latent' },
        split: { mode: 'seen2' },
        lcd: { steps: 40, hidden: 8, batchSize: 64 },
        checkpointEvery: 10,
        log: (l) => lines.push(l),
        ...extra,
      });
    const ref = (await fit('ref', {})).lcd;
    await fit('run', { stopAfter: 30 });
    const ck = join(dir, 'run', 'checkpoint');
    expect(JSON.parse(readFileSync(join(ck, 'config.json'), 'utf8')).step).toBe(30);
    expect(JSON.parse(readFileSync(join(ck + '.prev', 'config.json'), 'utf8')).step).toBe(20);
    writeFileSync(join(ck, 'weights.safetensors'), readFileSync(join(ck, 'weights.safetensors')).subarray(0, 100));
    const resumed = (await fit('run', { resume: true })).lcd;
    expect(lines.some((l) => /the last checkpoint is damaged .*resuming from the previous one .*step 20/.test(l))).toBe(
      true,
    );
    const [a, b] = [await ref.parameterArrays(), await resumed.parameterArrays()];
    for (const k of Object.keys(a) as (keyof typeof a)[]) expect(Array.from(b[k])).toEqual(Array.from(a[k]));
  }, 120_000);

  it('a batch larger than the training set is clamped to it, with a note', async () => {
    const B = new WebGPUBackend(engine!),
      dir = mkdtempSync(join(tmpdir(), 'latent-batch-')),
      lines: string[] = [];
    await simulate(B, { out: join(dir, 'sim'), kind: 'linear', d: 8, doubles: 2, cells: 20 });
    const { lcd } = await fitRun(B, {
      data: join(dir, 'sim', 'screen.h5ad'),
      out: join(dir, 'run'),
      load: { values: 'latent' },
      split: { mode: 'seen2' },
      lcd: { steps: 3, hidden: 8, batchSize: 100_000 },
      log: (l) => lines.push(l),
    });
    // 8 singles + control + 1 training double (seen2 holds out the other), 20 cells each
    const cells = (await readRunData(join(dir, 'run'))).envs.length * 20;
    expect(lcd.hp.batchSize).toBeLessThan(100_000);
    expect(lines.some((l) => l.includes(`--batch 100000 is larger than the ${lcd.hp.batchSize} training cells`))).toBe(
      true,
    );
    expect(lcd.hp.batchSize).toBeLessThanOrEqual(cells);
  }, 120_000);
});
