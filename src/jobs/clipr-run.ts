// The clipr job: a saved model's CLIPR causal matrix into an output folder (causal_matrix.csv/.json, edges.csv),
// with how it was read and which model it read (its id), the identifiability note and the strongest edges. The
// command line only parses options and prints what this returns.
import type { Engine } from '../gpu/engine.ts';
import { WebGPUBackend } from '../ops/webgpu-backend.ts';
import { LCD } from '../lcd/model.ts';
import {
  cliprFromEnsemble,
  cliprQueryGenes,
  DEFAULT_DRIFT_LEVEL,
  LINEAR_RESPONSE_SCALE,
  type CliprLcdOptions,
} from '../clipr/from-lcd.ts';
import { CLIPR_RESPONSE_CELLS } from '../lcd/sampler-settings.ts';
import { InputError } from '../core/errors.ts';
import { identifiability, rankedEdges } from '../clipr/export.ts';
import { describeResponseReading } from '../clipr/responses.ts';
import { writeCliprOutputs } from '../node/clipr-files.ts';
import { folderStore } from '../node/folder-store.ts';
import { modelId } from '../node/model-id.ts';
import { assertNotLocked } from '../node/run-lock.ts';
import { assertWritableOutDir } from './builtin-screen.ts';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { readRunData, runPaths } from './run-folder.ts';
import { MODEL_FILES } from '../lcd/io.ts';
import { jobLog, samplingStage, stageProgress, type JobContext } from './job-context.ts';

export interface CliprRunOptions extends Omit<CliprLcdOptions, 'onFlowProgress'>, JobContext {
  /** Folder of the saved model, and the output folder. */
  model: string;
  out: string;
  force?: boolean;
  /** The run folder the model belongs to, if any: refused while a fit holds it. */
  run?: string;
  /** Other fits of the same data (run folders or model folders): the reading of the models' averaged states
   *  (cliprFromEnsemble). */
  ensemble?: string[];
}

/** A model folder from a run folder (its model/) or a model folder itself. */
function modelFolder(path: string): string {
  const inRun = runPaths(path).model;
  if (existsSync(join(inRun, MODEL_FILES.config))) return inRun;
  if (existsSync(join(path, MODEL_FILES.config))) return path;
  throw new InputError(`--ensemble: ${path} holds no model (neither ${inRun}/ nor ${path}/ has ${MODEL_FILES.config})`);
}

export const CLIPR_FILES = ['causal_matrix.csv', 'causal_matrix.json', 'edges.csv'] as const;

export async function cliprRun(engine: Engine, o: CliprRunOptions) {
  const log = jobLog(o);
  if (o.run) assertNotLocked(o.run, 'clipr'); // the model's run folder: refused while a fit holds it
  assertWritableOutDir(o.out, o.force);
  const drift = o.reading === 'drift',
    points = o.points ?? 'auto',
    cells = o.cells;
  const backend = new WebGPUBackend(engine);
  const lcd = LCD.load(folderStore(o.model), backend);
  const members = (o.ensemble ?? []).map(modelFolder);
  const ensemble = [lcd, ...members.map((m) => LCD.load(folderStore(m), backend))];
  if (!cliprQueryGenes(lcd).genes.length)
    throw new InputError(
      `CLIPR needs genes of the panel perturbed in training, and the model at ${o.model} has none (its ${lcd.targets.length} trained target(s), e.g. ${lcd.targets.slice(0, 3).join(', ') || '–'}, are outside the ${lcd.genes.length}-gene panel): keep a panel gene's perturbations in training, or fit with more genes (--genes)`,
    );
  // The run's cells gate the linear response's direct effects (clipr/data-gate.ts), read before the progress bar
  // starts and only where the linear response may be read; a bare model folder has none.
  const linear = !drift && (points === 'auto' || points === 'linear');
  const data = o.data ?? (o.run && linear && o.dataGate !== 0 ? await readRunData(o.run) : undefined);
  const bar = stageProgress(
    o,
    drift || points === 'flow' ? 'probability flow' : `sampling ${cells ?? CLIPR_RESPONSE_CELLS} cells per environment`,
    samplingStage,
  );
  const res = await cliprFromEnsemble(ensemble, { ...o, data, onFlowProgress: bar.onProgress });
  bar.done();
  if (res.skipped.length)
    log(`skipped ${res.skipped.length} targets outside the gene panel: ${res.skipped.slice(0, 10).join(', ')}`);
  const rr = res.reading;
  const read = rr?.states ?? points;
  const reading: Record<string, string | number> = rr
    ? {
        reading: 'response',
        points:
          read === 'flow'
            ? 'flow fixed points'
            : read === 'linear'
              ? `linear response at embedding scale ${o.responseScale ?? LINEAR_RESPONSE_SCALE} (means of ${cells ?? CLIPR_RESPONSE_CELLS} coupled cells), in standardised units (each gene / its training scale)`
              : `means of ${cells ?? CLIPR_RESPONSE_CELLS} sampled cells`,
        effects: rr.effects,
        chosenBy: rr.chosenBy,
        heldOutR2: rr.heldOutR2,
        // the default ('auto') read the linear response because the means' responses failed the criterion
        ...(rr.meansR2 !== undefined ? { meansR2: rr.meansR2 } : {}),
        ...(read === 'linear' && rr.effects === 'direct'
          ? {
              dataGate: rr.gated
                ? `each effect k → i scaled by min(1, |t| / ${rr.gated.t0}), t the Welch t of i's shift in the run's cells with k perturbed (${rr.gated.rows} rows)`
                : o.dataGate === 0
                  ? 'off (--data-gate 0)'
                  : 'none: no cells to gate with (a model folder without --run)',
            }
          : {}),
      }
    : { reading: 'drift', driftLevel: o.driftLevel ?? DEFAULT_DRIFT_LEVEL, anchor: o.anchor ?? 'origin' };
  const id = modelId(o.model);
  if (id) reading['model_id'] = id; // which model the matrix reads: the report compares it with the run's
  if (members.length) reading['ensemble'] = members.map((m) => `${m}:${modelId(m) ?? '?'}`).join(',');
  const lambda = drift ? (o.lambda ?? 1e-3) : rr?.effects === 'direct' ? rr.lambda : NaN; // 1e-3: cliprFromLcd's
  writeCliprOutputs(o.out, res, lcd.genes, lambda, reading);
  const ident = identifiability(res, lcd.genes);
  log(
    rr
      ? `CLIPR response reading over ${res.genes.length} perturbed genes: ${describeResponseReading(rr)}`
      : `CLIPR drift reading over ${res.genes.length} perturbed genes (${res.form} solve, λ = ${o.lambda}, drift at level ${o.driftLevel}, ${o.anchor} anchor)`,
  );
  if (!ident.enough || ident.perturbed.length < lcd.genes.length) log(`warning: ${ident.note}`);
  const edges = rankedEdges(res, lcd.genes).filter((e) => e.identified);
  if (edges.length) {
    log('strongest identified edges:');
    for (const e of edges.slice(0, 10)) log(`  ${e.source} → ${e.target}  ${e.effect.toFixed(4)}`);
  }
  log(`wrote ${o.out}/{${CLIPR_FILES.join(', ')}}`);
  return {
    out: o.out,
    files: CLIPR_FILES.map((f) => join(o.out, f)),
    reading,
    perturbed_genes: res.genes.length,
    skipped_targets: res.skipped,
    identifiability: ident,
    strongest_edges: edges.slice(0, 10),
  };
}
