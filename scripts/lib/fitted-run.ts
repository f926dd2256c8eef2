// A fitted count run opened for the diagnostic scripts (clipr-leak.ts, clipr-stages.ts, clipr-alternatives.ts): its
// cells, its measurement model and its LCD on one WebGPU backend; and the simulator's truth scored on its genes.
import '../../src/node/dawn.ts';
import { readFileSync } from 'node:fs';
import { blockEntries, ovoAurocOf, indirectPairs, indirectFalsePositiveRate } from '../../src/metrics/causal.ts';
import { Engine } from '../../src/gpu/engine.ts';
import { WebGPUBackend } from '../../src/ops/webgpu-backend.ts';
import { RunFolder } from '../../src/jobs/run-folder.ts';
import { hasPrior, loadPrior } from '../../src/measurement/io.ts';
import { LCD } from '../../src/lcd/model.ts';
import { folderStore } from '../../src/node/folder-store.ts';
import { normalizeLog1p } from '../../src/data/normalize.ts';
import type { Environment, Screen } from '../../src/data/dataset.ts';
import type { SimulateOptions } from '../../src/jobs/simulate.ts';

/** The run's cells, LCD and measurement model; `needsPrior: false` opens a run fitted without one (prior null). */
export async function openFittedRun(run: string, who: string, o: { needsPrior?: boolean } = {}) {
  const B = new WebGPUBackend(await Engine.create());
  const folder = RunFolder.open(run, who),
    genes = folder.info.genes;
  const data = await folder.readData();
  const model = folderStore(folder.paths.model);
  const prior = hasPrior(model) ? loadPrior(B, model) : null;
  if (!prior && o.needsPrior !== false) throw new Error(`${run} has no measurement model: fit it on counts`);
  if (data.genes.join('\n') !== genes.join('\n')) throw new Error(`${run}: its data's genes are not its model's`);
  return { genes, d: genes.length, data, prior: prior!, lcd: LCD.load(model, B, genes) };
}

/** log1p CP10k of an environment's cells: a run keeps its cells normalised, a simulated screen has counts. */
export const log1pCells = (s: Screen, e: Environment): Float32Array =>
  s.kind === 'counts' ? normalizeLog1p(e.values, e.cells, s.genes.length) : Float32Array.from(e.values);

/** The control's environment, then each gene of P perturbed alone (P's order); `where` names a missing one. */
export function controlAndSingles(s: Screen, genes: readonly string[], P: readonly number[], where: string) {
  const ctrl = s.envs.find((e) => e.targets.length === 0);
  if (!ctrl) throw new Error(`${where}: no control cells`);
  return [
    ctrl,
    ...P.map((g) => {
      const e = s.envs.find((e) => e.targets.length === 1 && e.targets[0] === genes[g]);
      if (!e) throw new Error(`${where}: no single-perturbation environment for ${genes[g]}`);
      return e;
    }),
  ];
}

/** Pseudo-bulk of log1p-CP10k cells (cells × d): log1p of each gene's mean CP10k. */
export function pseudobulkOf(v: ArrayLike<number>, cells: number, d: number): Float64Array {
  const m = new Float64Array(d);
  for (let c = 0; c < cells; c++) for (let j = 0; j < d; j++) m[j]! += Math.expm1(v[c * d + j]!) / cells;
  return m.map((x) => Math.log1p(x));
}

export interface SimTruth {
  seed: number;
  /** simulate's options, as it recorded them */
  options: SimulateOptions;
  genes: string[];
  regulators: string[];
  adjacency: number[][];
}

/**
 * A simulator's truth.json on a run's genes: the perturbed regulators' indices P, and a scorer of a reading
 * (a_causal[k·d + i], k → i) on the perturbed × perturbed block: OVO-AUROC against the signed edges and the
 * indirect-pair false-positive rate.
 */
export function truthOnGenes(path: string, genes: readonly string[]) {
  const truth = JSON.parse(readFileSync(path, 'utf8')) as SimTruth,
    d = genes.length;
  const P = truth.regulators.map((r) => genes.indexOf(r)).filter((i) => i >= 0);
  const col = new Map(truth.genes.map((g, i) => [g, i]));
  const edges = new Float64Array(d * d);
  truth.regulators.forEach((r, ri) => {
    const i = genes.indexOf(r);
    if (i >= 0) genes.forEach((g, j) => (edges[i * d + j] = truth.adjacency[ri]![col.get(g)!]!));
  });
  const classes = blockEntries(edges, d, P, P),
    indirect = blockEntries(indirectPairs(edges, d), d, P, P);
  const score = (a: Float64Array) => {
    const p = blockEntries(a, d, P, P);
    return { auroc: ovoAurocOf(classes, p), fpr: indirectFalsePositiveRate(classes, indirect, p) };
  };
  return { truth, P, score };
}
