// The synthetic CLIPR benchmark (spec §7.3, Fig. 3): linear-SDE screens on ER and scale-free-outgoing graphs,
// LCD trained per point, CLIPR on the trained model, causal metrics per point beside the exact-score oracle
// (what a perfect LCD would reach, §6.3). Settings are the reference's scaled to what this machine finishes.
import { join } from 'node:path';
import type { Engine } from '../gpu/engine.ts';
import { WebGPUBackend } from '../ops/webgpu-backend.ts';
import { linearScreen } from '../sim/linear.ts';
import type { GraphKind } from '../sim/graphs.ts';
import { LCD, type LcdHyperparameters } from '../lcd/model.ts';
import { cliprFromLcd } from '../clipr/from-lcd.ts';
import { clipr } from '../clipr/clipr.ts';
import { GaussianScoreOracle } from '../clipr/drift-models.ts';
import { causalMetrics, type CausalMetrics } from '../metrics/causal.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { formatDuration } from '../cli/progress.ts';

export interface GridPoint { graph: GraphKind; d: number; p: number }

export const FULL_GRID: GridPoint[] = [
  ...(['er', 'sfo'] as const).flatMap((graph) => [30, 50, 70, 100].map((p) => ({ graph, d: 100, p }))),
  { graph: 'er', d: 300, p: 300 },
];
export const QUICK_GRID: GridPoint[] = [{ graph: 'er', d: 30, p: 30 }, { graph: 'sfo', d: 30, p: 30 }];

/** Reference λ per d (spec §6.1): 1e-3 at d = 100, 3e-4 at d = 300, 1e-4 at d = 1000. */
export const lambdaFor = (d: number) => (d <= 100 ? 1e-3 : d <= 300 ? 3e-4 : 1e-4);

export interface PointResult extends GridPoint { lambda: number; lcd: CausalMetrics; scoreOracle: CausalMetrics; trainS: number }

export async function runCliprBenchmark(engine: Engine, o: { grid: GridPoint[]; lcd: Partial<LcdHyperparameters>; outDir: string; seed?: number; log?: (s: string) => void }): Promise<PointResult[]> {
  const log = o.log ?? console.log;
  const B = new WebGPUBackend(engine);
  const results: PointResult[] = [];
  log(`graph    d    p  λ        LCD: OVO-AUROC  Pearson  F1     AUPRC   score oracle: OVO-AUROC  Pearson   train`);
  for (const pt of o.grid) {
    const { screen, params, perturbed: genes } = linearScreen({ d: pt.d, perturbed: pt.p, graph: pt.graph, cellsPerEnv: 200, seed: o.seed ?? 0 });
    const lambda = lambdaFor(pt.d);
    const oracle = causalMetrics(params.aCausal, (await clipr(new GaussianScoreOracle(params), genes, { lambda })).aCausal, pt.d);
    const t0 = performance.now();
    const lcd = await new LCD({ ...o.lcd, seed: o.seed ?? 0 }).fit(screen, { backend: B });
    const trainS = (performance.now() - t0) / 1e3;
    const res = await cliprFromLcd(lcd, { lambda });
    const m = causalMetrics(params.aCausal, res.aCausal, pt.d);
    results.push({ ...pt, lambda, lcd: m, scoreOracle: oracle, trainS });
    const f = (x: number) => x.toFixed(3).padStart(6);
    log(`${pt.graph.padEnd(6)} ${String(pt.d).padStart(4)} ${String(pt.p).padStart(4)}  ${lambda.toExponential(0).padEnd(7)}  ${f(m.auroc)}          ${f(m.pearson)}  ${f(m.f1)} ${f(m.auprc)}  ${f(oracle.auroc)}                   ${f(oracle.pearson)}   ${formatDuration(trainS)}`);
    writeFileAtomic(join(o.outDir, 'clipr-benchmark.json'), JSON.stringify({ lcd: o.lcd, results }, null, 1));
  }
  return results;
}
