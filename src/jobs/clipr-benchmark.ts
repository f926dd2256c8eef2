// The synthetic CLIPR benchmark (spec §7.3, Fig. 3): linear-SDE screens on ER and scale-free-outgoing graphs,
// LCD trained per point, CLIPR on the trained model, causal metrics per point beside the exact-score oracle
// (what a perfect LCD would reach, §6.3). Settings are the reference's scaled to what this machine finishes.
import { REFERENCE_SAMPLER } from '../lcd/sampler-settings.ts';
import { join } from 'node:path';
import type { Engine } from '../gpu/engine.ts';
import { WebGPUBackend } from '../ops/webgpu-backend.ts';
import { linearScreen } from '../sim/linear.ts';
import type { GraphKind } from '../sim/graphs.ts';
import { LCD, type LcdHyperparameters } from '../lcd/model.ts';
import { cliprQueryGenes, DEFAULT_DRIFT_LEVEL } from '../clipr/from-lcd.ts';
import { clipr } from '../clipr/clipr.ts';
import { GaussianScoreOracle, LcdDriftModel, type CliprAnchor } from '../clipr/drift-models.ts';
import { causalMetrics, type CausalMetrics } from '../metrics/causal.ts';
import { writeFileAtomic } from '../node/atomic.ts';
import { formatDuration } from '../core/format.ts';

export interface GridPoint {
  graph: GraphKind;
  d: number;
  p: number;
}

export const FULL_GRID: GridPoint[] = [
  ...(['er', 'sfo'] as const).flatMap((graph) => [30, 50, 70, 100].map((p) => ({ graph, d: 100, p }))),
  { graph: 'er', d: 300, p: 300 },
];
export const QUICK_GRID: GridPoint[] = [
  { graph: 'er', d: 30, p: 30 },
  { graph: 'sfo', d: 30, p: 30 },
];

/** 'er:100:30,sfo:100:100' → grid points (graph:d:p); a usage-style error names the bad entry. */
export function parseGridPoints(spec: string): GridPoint[] {
  return spec
    .split(',')
    .filter(Boolean)
    .map((item) => {
      const [graph, d, p] = item.split(':');
      const dn = Number(d),
        pn = Number(p);
      if ((graph !== 'er' && graph !== 'sfo') || !Number.isInteger(dn) || !Number.isInteger(pn) || pn < 1 || pn > dn)
        throw new Error(`grid point '${item}': expected graph:d:p with graph er or sfo and 1 ≤ p ≤ d, e.g. er:100:30`);
      return { graph, d: dn, p: pn };
    });
}

/** Reference λ per d (spec §6.1): 1e-3 at d = 100, 3e-4 at d = 300, 1e-4 at d = 1000. */
export const lambdaFor = (d: number) => (d <= 100 ? 1e-3 : d <= 300 ? 3e-4 : 1e-4);

/** How CLIPR reads the trained network: the drift's noise level and anchor state (spec §6.1 is level 29, origin). */
export interface CliprReading {
  name: string;
  level: number;
  anchor: CliprAnchor;
}
export const REFERENCE_READING: CliprReading = {
  name: 'reference',
  level: REFERENCE_SAMPLER.lastLevel,
  anchor: 'origin',
};
export const DEFAULT_READINGS: CliprReading[] = [
  REFERENCE_READING,
  { name: `level${DEFAULT_DRIFT_LEVEL}`, level: DEFAULT_DRIFT_LEVEL, anchor: 'origin' },
  { name: `level${DEFAULT_DRIFT_LEVEL}-control`, level: DEFAULT_DRIFT_LEVEL, anchor: 'control' },
];

export interface PointResult extends GridPoint {
  lambda: number;
  lcd: Record<string, CausalMetrics>;
  scoreOracle: CausalMetrics;
  trainS: number;
}

export async function runCliprBenchmark(
  engine: Engine,
  o: {
    grid: GridPoint[];
    lcd: Partial<LcdHyperparameters>;
    outDir: string;
    seed?: number;
    readings?: CliprReading[];
    log?: (s: string) => void;
  },
): Promise<PointResult[]> {
  const log = o.log ?? (() => {});
  const B = new WebGPUBackend(engine);
  const readings = o.readings ?? DEFAULT_READINGS;
  const results: PointResult[] = [];
  const f = (x: number) => x.toFixed(3).padStart(7);
  log(
    `graph    d    p  λ       reading            OVO-AUROC  Pearson       F1    AUPRC | score oracle: OVO-AUROC  Pearson   train`,
  );
  for (const pt of o.grid) {
    const { screen, params, perturbed } = linearScreen({
      d: pt.d,
      perturbed: pt.p,
      graph: pt.graph,
      cellsPerEnv: 200,
      seed: o.seed ?? 0,
    });
    const lambda = lambdaFor(pt.d);
    const oracle = causalMetrics(
      params.aCausal,
      (await clipr(new GaussianScoreOracle(params), perturbed, { lambda })).aCausal,
      pt.d,
    );
    const t0 = performance.now();
    const lcd = await new LCD({ ...o.lcd, seed: o.seed ?? 0 }).fit(screen, { backend: B });
    const trainS = (performance.now() - t0) / 1e3;
    const { genes } = cliprQueryGenes(lcd);
    const base = new LcdDriftModel(lcd, 500); // fixed points once, shared by every reading
    const lcdMetrics: Record<string, CausalMetrics> = {};
    for (const r of readings) {
      const m = (lcdMetrics[r.name] = causalMetrics(
        params.aCausal,
        (await clipr(base.withDrift(r.level, r.anchor), genes, { lambda })).aCausal,
        pt.d,
      ));
      log(
        `${pt.graph.padEnd(6)} ${String(pt.d).padStart(4)} ${String(pt.p).padStart(4)}  ${lambda.toExponential(0).padEnd(6)}  ${r.name.padEnd(17)} ${f(m.auroc)}  ${f(m.pearson)}  ${f(m.f1)}  ${f(m.auprc)} |               ${f(oracle.auroc)}  ${f(oracle.pearson)}   ${formatDuration(trainS)}`,
      );
    }
    results.push({ ...pt, lambda, lcd: lcdMetrics, scoreOracle: oracle, trainS });
    writeFileAtomic(join(o.outDir, 'clipr-benchmark.json'), JSON.stringify({ lcd: o.lcd, readings, results }, null, 1));
  }
  return results;
}
