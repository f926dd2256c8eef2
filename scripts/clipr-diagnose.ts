// CLIPR diagnostic: train LCD on a linear-ER screen and compare its CLIPR inputs with the exact-score oracle's,
// separately for the fixed points X* and the drifts F0, and CLIPR with each swapped in, per drift level and anchor.
// Usage: npx tsx scripts/clipr-diagnose.ts '{"d":30,"seed":1,"lcd":{"hidden":128,"steps":3000,"envsPerBatch":8},"levels":[29,22],"anchors":["origin","control"]}'
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../src/gpu/engine.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import type { GpuTensor } from '../src/gpu/tensor.ts';
import { linearScreen } from '../src/sim/linear.ts';
import { envMean } from '../src/data/dataset.ts';
import { LCD } from '../src/lcd/model.ts';
import { folderStore } from '../src/node/folder-store.ts';
import '../src/node/dawn.ts';
import { LcdDriftModel, GaussianScoreOracle, type CliprAnchor, type Responses } from '../src/clipr/drift-models.ts';
import { solveLinearDrift } from '../src/clipr/clipr.ts';
import { causalMetrics, pearson } from '../src/metrics/causal.ts';
import * as la from '../src/reference/linalg.ts';

const e = await Engine.create();
const B = new WebGPUBackend(e);
const cfg = JSON.parse(process.argv[2] ?? '{}');
const d: number = cfg.d ?? 30;
const {
  screen,
  params,
  perturbed: genes,
} = linearScreen({ d, perturbed: cfg.p ?? d, graph: cfg.graph ?? 'er', cellsPerEnv: 200, seed: cfg.seed ?? 1 });
const t0 = performance.now();
// "model": a folder to reuse (loaded when it exists, written after training otherwise).
const lcd =
  cfg.model && existsSync(join(cfg.model, 'config.json'))
    ? LCD.load(folderStore(cfg.model), B)
    : await new LCD<GpuTensor>(cfg.lcd ?? {}).fit(screen, { backend: B });
if (cfg.model && !existsSync(join(cfg.model, 'config.json'))) await lcd.save(folderStore(cfg.model));
console.log(`trained/loaded in ${((performance.now() - t0) / 1e3).toFixed(0)} s`, JSON.stringify(lcd.hp));
const flat = (xs: Float64Array[]) => Float64Array.from(xs.flatMap((x) => [...x]));
const rel = (r: Responses) => r.fixedPoints.slice(1).map((x) => x.map((v, i) => v - r.anchor[i]!));
const auroc = (f0: Float64Array[], xs: Float64Array[], lam: number) =>
  causalMetrics(params.aCausal, la.transpose(solveLinearDrift(f0, xs, d, lam).A, d, d), d).auroc.toFixed(3);
const base = new LcdDriftModel(lcd, 500); // fixed points once, shared by every level and anchor
{
  // where the fixed points are off: per query, the RMS distance to the oracle's and to the environment's sample mean
  const rl = await base.fixedPoints(genes),
    ro = await new GaussianScoreOracle(params).responses(genes);
  const means = screen.envs.map((env) => envMean(env, d));
  const rms = (a: Float64Array, b: Float64Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0) / d);
  const own = rl.map((x, q) =>
    Math.abs(x[q === 0 ? 0 : genes[q - 1]!]! - ro.fixedPoints[q]![q === 0 ? 0 : genes[q - 1]!]!),
  );
  if (cfg.worst) {
    // the queries with the largest fixed-point error, and where it sits
    const errs = rl.map((x, q) => ({
      q,
      gene: q === 0 ? -1 : genes[q - 1]!,
      e: Math.max(...x.map((v, g) => Math.abs(v - ro.fixedPoints[q]![g]!))),
      at: x.reduce(
        (b, v, g, a) => (Math.abs(v - ro.fixedPoints[q]![g]!) > Math.abs(a[b]! - ro.fixedPoints[q]![b]!) ? g : b),
        0,
      ),
    }));
    for (const w of errs.sort((a, b) => b.e - a.e).slice(0, cfg.worst))
      console.log(
        `  query ${w.q} (gene ${w.gene}): max |Δ| ${w.e.toFixed(3)} at gene ${w.at}: LCD ${rl[w.q]![w.at]!.toFixed(3)}, oracle ${ro.fixedPoints[w.q]![w.at]!.toFixed(3)}, sample mean ${means[w.q]![w.at]!.toFixed(3)}, control ${ro.fixedPoints[0]![w.at]!.toFixed(3)}`,
      );
  }
  console.log(
    `X* RMS error vs oracle: LCD ${(rl.reduce((s, x, q) => s + rms(x, ro.fixedPoints[q]!), 0) / rl.length).toFixed(4)}, sample means ${(means.reduce((s, x, q) => s + rms(x, ro.fixedPoints[q]!), 0) / means.length).toFixed(4)}; LCD vs sample means ${(rl.reduce((s, x, q) => s + rms(x, means[q]!), 0) / rl.length).toFixed(4)}; mean |error| on the perturbed gene ${(own.slice(1).reduce((a, b) => a + b, 0) / genes.length).toFixed(4)}`,
  );
}
for (const anchor of (cfg.anchors ?? ['origin']) as CliprAnchor[]) {
  const ro = await new GaussianScoreOracle(params, undefined, anchor).responses(genes);
  for (const level of cfg.levels ?? [29]) {
    const rl = await base.withDrift(level, anchor).responses(genes);
    const fl = flat(rl.f0),
      fo = flat(ro.f0),
      xl = flat(rl.fixedPoints),
      xo = flat(ro.fixedPoints);
    const norm = (v: Float64Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    console.log(
      `--- anchor ${anchor}, drift level ${level}: X* corr ${pearson(xl, xo).toFixed(4)} (max |Δ| ${Math.max(...xl.map((v, i) => Math.abs(v - xo[i]!))).toFixed(3)}), F0 corr ${pearson(fl, fo).toFixed(4)} (norm ratio ${(norm(fl) / norm(fo)).toFixed(3)})`,
    );
    for (const lam of cfg.lambdas ?? [1e-3, 1e-2]) {
      console.log(
        `  λ=${lam}: LCD ${auroc(rl.f0, rel(rl), lam)}   oracle F0 + LCD X* ${auroc(ro.f0, rel(rl), lam)}   LCD F0 + oracle X* ${auroc(rl.f0, rel(ro), lam)}   oracle ${auroc(ro.f0, rel(ro), lam)}`,
      );
    }
  }
}
e.destroy();
