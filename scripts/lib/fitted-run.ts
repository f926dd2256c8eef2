// A fitted count run opened for the diagnostic scripts (clipr-leak.ts, clipr-stages.ts): its cells, its measurement
// model and its LCD on one WebGPU backend.
import '../../src/node/dawn.ts';
import { Engine } from '../../src/gpu/engine.ts';
import { WebGPUBackend } from '../../src/ops/webgpu-backend.ts';
import { RunFolder } from '../../src/jobs/run-folder.ts';
import { hasPrior, loadPrior } from '../../src/measurement/io.ts';
import { LCD } from '../../src/lcd/model.ts';
import { folderStore } from '../../src/node/folder-store.ts';

export async function openFittedRun(run: string, who: string) {
  const B = new WebGPUBackend(await Engine.create());
  const folder = RunFolder.open(run, who),
    genes = folder.info.genes;
  const data = await folder.readData();
  const model = folderStore(folder.paths.model);
  if (!hasPrior(model)) throw new Error(`${run} has no measurement model: fit it on counts`);
  return { genes, d: genes.length, data, prior: loadPrior(B, model), lcd: LCD.load(model, B, genes) };
}
