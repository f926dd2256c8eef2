// Held-out energy distance against drift evaluations for sampler settings (issue: fewer drift evaluations for the
// same predictions). For each screen seed: simulate the built-in screen (or a larger, harder variant), train LCD
// with the main job's settings, then sample the held-out doubles with every setting below at two sampler seeds
// and score them against the true cells. Writes JSON lines to stdout's file argument and a table to the terminal.
//
//   npx tsx scripts/sampler-table.ts [out.jsonl] [screen seeds, e.g. 0,1,2] [settings, e.g. lm:20:0.1:22,em:200:0.01:22]
//
// With LCD_MODELS=runs/demo,runs/demo-s1,… (the main job's run folders for those seeds, `lcd-webgpu demo --seed k`)
// the trained models are loaded instead of trained again: the same models, since training is deterministic.
import { appendFileSync } from 'node:fs';
import '../src/node/dawn.ts';
import { Engine } from '../src/gpu/engine.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { LCD } from '../src/lcd/model.ts';
import { nonlinearScreen } from '../src/sim/nonlinear.ts';
import { BUILTIN_SCREEN, BUILTIN_LCD, splitDoubles } from '../src/jobs/builtin-screen.ts';
import { energyDistance } from '../src/metrics/distribution.ts';
import type { SamplerSettings } from '../src/lcd/sampler-settings.ts';
import { folderStore } from '../src/node/folder-store.ts';
import { join } from 'node:path';

const out = process.argv[2] ?? 'sampler-table.jsonl';
const seeds = (process.argv[3] ?? '0,1,2').split(',').map(Number);
const parsed = process.argv[4]?.split(',').map((t) => {
  const [integrator, n, c, last] = t.split(':');
  return {
    integrator: integrator as 'em' | 'lm',
    stepsPerLevel: Number(n),
    stepScale: Number(c),
    lastLevel: Number(last),
  };
});
const models = process.env.LCD_MODELS?.split(',');
const SETTINGS: SamplerSettings[] = parsed ?? [
  { integrator: 'em', stepsPerLevel: 200, stepScale: 0.01, lastLevel: 22 },
  { integrator: 'em', stepsPerLevel: 40, stepScale: 0.05, lastLevel: 22 },
  { integrator: 'lm', stepsPerLevel: 40, stepScale: 0.05, lastLevel: 22 },
  { integrator: 'em', stepsPerLevel: 20, stepScale: 0.2, lastLevel: 22 },
  { integrator: 'lm', stepsPerLevel: 20, stepScale: 0.2, lastLevel: 22 },
  { integrator: 'lm', stepsPerLevel: 10, stepScale: 0.5, lastLevel: 22 },
  { integrator: 'lm', stepsPerLevel: 10, stepScale: 1, lastLevel: 22 },
  { integrator: 'lm', stepsPerLevel: 20, stepScale: 0.5, lastLevel: 29 },
  { integrator: 'em', stepsPerLevel: 40, stepScale: 0.01, lastLevel: 22 },
];

const e = await Engine.create();
const B = new WebGPUBackend(e);
for (const seed of seeds) {
  const { screen } = await nonlinearScreen(B, { ...BUILTIN_SCREEN, seed });
  const d = screen.genes.length;
  const { train, test } = splitDoubles(screen, 6, seed);
  let t0 = performance.now();
  const dir = models?.[seeds.indexOf(seed)];
  const lcd = dir ? LCD.load(folderStore(join(dir, 'model')), B, screen.genes) : new LCD({ ...BUILTIN_LCD, seed });
  if (!dir) await lcd.fit(train, { backend: B });
  console.log(
    `seed ${seed}: ${dir ? `loaded ${dir}/model` : 'trained'} in ${((performance.now() - t0) / 1e3).toFixed(0)} s`,
  );
  for (const s of SETTINGS)
    for (const sampleSeed of [100, 101]) {
      t0 = performance.now();
      const preds = await lcd.sampleMany(
        test.map((t) => t.targets),
        test[0]!.cells,
        { ...s, seed: sampleSeed },
      );
      const secs = (performance.now() - t0) / 1e3;
      const eds = test.map((t, i) =>
        energyDistance({ values: preds[i]!, n: t.cells }, { values: t.values, n: t.cells }, d),
      );
      const ed = eds.reduce((a, b) => a + b, 0) / eds.length;
      const row = { seed, sampleSeed, ...s, evals: s.stepsPerLevel * (s.lastLevel + 1), ed, eds, secs };
      appendFileSync(out, JSON.stringify(row) + '\n');
      console.log(
        `${seed} ${sampleSeed} ${s.integrator} N=${s.stepsPerLevel} c=${s.stepScale} last=${s.lastLevel} evals=${row.evals} ED ${ed.toFixed(4)} ${secs.toFixed(0)} s`,
      );
    }
}
e.destroy();
