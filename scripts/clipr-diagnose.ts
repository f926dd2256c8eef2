// CLIPR diagnostic: train LCD on a linear-ER screen and compare its CLIPR inputs with the exact-score oracle's,
// separately for the fixed points X* and the drifts F0, and CLIPR with each swapped in, per drift level and anchor.
// Usage: npx tsx scripts/clipr-diagnose.ts '{"d":30,"seed":1,"lcd":{"hidden":128,"steps":3000,"envsPerBatch":8},"levels":[29,22],"anchors":["origin","control"]}'
import { Engine } from '../src/gpu/engine.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { linearScreen } from '../src/sim/linear.ts';
import { LCD } from '../src/lcd/model.ts';
import { LcdDriftModel, GaussianScoreOracle, type CliprAnchor, type Responses } from '../src/clipr/drift-models.ts';
import { solveLinearDrift } from '../src/clipr/clipr.ts';
import { causalMetrics, pearson } from '../src/metrics/causal.ts';
import * as la from '../src/reference/linalg.ts';

const e = await Engine.create();
const B = new WebGPUBackend(e);
const cfg = JSON.parse(process.argv[2] ?? '{}');
const d: number = cfg.d ?? 30;
const { screen, params, perturbed: genes } = linearScreen({ d, perturbed: cfg.p ?? d, graph: cfg.graph ?? 'er', cellsPerEnv: 200, seed: cfg.seed ?? 1 });
const t0 = performance.now();
const lcd = await new LCD(cfg.lcd ?? {}).fit(screen, { backend: B });
console.log(`trained in ${((performance.now() - t0) / 1e3).toFixed(0)} s`, JSON.stringify(cfg.lcd ?? {}));
const flat = (xs: Float64Array[]) => Float64Array.from(xs.flatMap((x) => [...x]));
const rel = (r: Responses) => r.fixedPoints.slice(1).map((x) => x.map((v, i) => v - r.anchor[i]!));
const auroc = (f0: Float64Array[], xs: Float64Array[], lam: number) => causalMetrics(params.aCausal, la.transpose(solveLinearDrift(f0, xs, d, lam).A, d, d), d).auroc.toFixed(3);
for (const anchor of (cfg.anchors ?? ['origin']) as CliprAnchor[]) {
  const ro = await new GaussianScoreOracle(params, undefined, anchor).responses(genes);
  for (const level of cfg.levels ?? [29]) {
    const rl = await new LcdDriftModel(lcd, 500, level, anchor).responses(genes);
    const fl = flat(rl.f0), fo = flat(ro.f0), xl = flat(rl.fixedPoints), xo = flat(ro.fixedPoints);
    const norm = (v: Float64Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    console.log(`--- anchor ${anchor}, drift level ${level}: X* corr ${pearson(xl, xo).toFixed(4)} (max |Δ| ${Math.max(...xl.map((v, i) => Math.abs(v - xo[i]!))).toFixed(3)}), F0 corr ${pearson(fl, fo).toFixed(4)} (norm ratio ${(norm(fl) / norm(fo)).toFixed(3)})`);
    for (const lam of cfg.lambdas ?? [1e-3, 1e-2]) {
      console.log(`  λ=${lam}: LCD ${auroc(rl.f0, rel(rl), lam)}   oracle F0 + LCD X* ${auroc(ro.f0, rel(rl), lam)}   LCD F0 + oracle X* ${auroc(rl.f0, rel(ro), lam)}   oracle ${auroc(ro.f0, rel(ro), lam)}`);
    }
  }
}
e.destroy();
