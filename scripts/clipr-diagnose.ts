// CLIPR diagnostic: train LCD on a linear-ER screen and compare its CLIPR inputs with the exact-score oracle's,
// separately for the fixed points X* and the drifts at the origin F0, and CLIPR with each swapped in.
// Usage: npx tsx scripts/clipr-diagnose.ts '{"lcd":{"hidden":128,"steps":3000,"weightDecay":1.0},"levels":[29,22]}'
import { Engine } from '../src/gpu/engine.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { linearScreen } from '../src/sim/linear.ts';
import { LCD } from '../src/lcd/model.ts';
import { LcdDriftModel, GaussianScoreOracle } from '../src/clipr/drift-models.ts';
import { solveLinearDrift } from '../src/clipr/clipr.ts';
import { causalMetrics, pearson } from '../src/metrics/causal.ts';
import * as la from '../src/reference/linalg.ts';
const e = await Engine.create();
const B = new WebGPUBackend(e);
const cfg = JSON.parse(process.argv[2] ?? '{}');
const d = 30;
const { screen, params, perturbed: genes } = linearScreen({ d, perturbed: d, cellsPerEnv: 200, seed: 1 });
const lcd = await new LCD(cfg.lcd ?? {}).fit(screen, { backend: B });
const ro = await new GaussianScoreOracle(params).responses(genes);
for (const level of cfg.levels ?? [29]) {
console.log(`--- drift evaluated at level ${level}`);
const rl = await new LcdDriftModel(lcd, 500, level).responses(genes);
const flat = (xs: Float64Array[]) => Float64Array.from(xs.flatMap((x) => [...x]));
console.log('fixed points corr', pearson(flat(rl.fixedPoints), flat(ro.fixedPoints)).toFixed(4), 'max abs diff', Math.max(...flat(rl.fixedPoints).map((v, i) => Math.abs(v - flat(ro.fixedPoints)[i]!))).toFixed(3));
console.log('F0 corr', pearson(flat(rl.f0), flat(ro.f0)).toFixed(4), 'scale ratio', (Math.sqrt(flat(rl.f0).reduce((s, v) => s + v * v, 0)) / Math.sqrt(flat(ro.f0).reduce((s, v) => s + v * v, 0))).toFixed(3));
for (const lam of [1e-3, 1e-2, 1e-1]) {
  const mixA = solveLinearDrift(ro.f0, rl.fixedPoints.slice(1), d, lam).A, mixB = solveLinearDrift(rl.f0, ro.fixedPoints.slice(1), d, lam).A, both = solveLinearDrift(rl.f0, rl.fixedPoints.slice(1), d, lam).A;
  console.log(`λ=${lam}: LCD ${causalMetrics(params.aCausal, la.transpose(both, d, d), d).auroc.toFixed(3)}  oracle F0 + LCD X* ${causalMetrics(params.aCausal, la.transpose(mixA, d, d), d).auroc.toFixed(3)}  LCD F0 + oracle X* ${causalMetrics(params.aCausal, la.transpose(mixB, d, d), d).auroc.toFixed(3)}`);
}
}
e.destroy();
