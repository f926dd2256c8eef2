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

/** The run's cells, LCD and measurement model; `needsPrior: false` opens a run fitted without one (prior null). */
export async function openFittedRun(run: string, who: string, o: { needsPrior?: boolean } = {}) {
  const B = new WebGPUBackend(await Engine.create());
  const folder = RunFolder.open(run, who),
    genes = folder.info.genes;
  const data = await folder.readData();
  const model = folderStore(folder.paths.model);
  const prior = hasPrior(model) ? loadPrior(B, model) : null;
  if (!prior && o.needsPrior !== false) throw new Error(`${run} has no measurement model: fit it on counts`);
  return { genes, d: genes.length, data, prior: prior!, lcd: LCD.load(model, B, genes) };
}

export interface SimTruth {
  seed: number;
  options: { kind: string; d?: number; perturbed?: number; doubles?: number; cells?: number; nbSize?: number };
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
