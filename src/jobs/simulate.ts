// `simulate`: a synthetic perturbation screen with ground truth, written as screen.h5ad (obs 'condition' in the GEARS
// convention, control 'ctrl') plus truth.json. 'nonlinear': the built-in Hopfield-type gradient system (simulated by
// Euler–Maruyama on the GPU); 'linear': the spec's linear SDE (exact stationary Gaussians; truth.json holds the true
// causal matrix for CLIPR); 'grn': a directed gene network with Hill kinetics (sim/grn.ts; truth.json holds the signed
// adjacency, the direct and the total effects); 'cascade': the gene network's layered CRISPRi family (chains of six,
// feed-forward loops, a confounding program, per-cell efficiency, negative-binomial counts); 'modules': the gene
// network with planted modules (genes.gmt names them, for `modules --gene-sets`). With counts, the latent
// states are measured by the zero-inflated Poisson model (the gene networks by their own library-size and dropout
// model); `latentCells` also writes the gene networks' cells before counts (latent.h5ad, log1p CP10k of their
// expression), the data a perfect measurement model would leave, to fit beside the counts.
import { mkdirSync, rmSync } from 'node:fs';
import { normalizeLog1p } from '../data/normalize.ts';
import { InputError } from '../core/errors.ts';
import type { Backend, TensorLike } from '../ops/backend.ts';
import { nonlinearScreen, NONLINEAR_DEFAULTS } from '../sim/nonlinear.ts';
import { linearScreen } from '../sim/linear.ts';
import { grnScreen, GRN_DEFAULTS, CASCADE_DEFAULTS, MODULES_DEFAULTS, type GrnOptions } from '../sim/grn.ts';
import { measureCounts } from '../sim/counts.ts';
import type { Screen } from '../data/dataset.ts';
import { writeFileAtomic } from '../node/atomic.ts';
import { simulationPaths, writeScreenH5ad } from './run-folder.ts';
import { formatGmt } from '../stats/gene-sets.ts';
import { assertWritableOutDir, BUILTIN_SCREEN } from './builtin-screen.ts';

export interface SimulateOptions {
  out: string;
  force?: boolean;
  seed?: number;
  kind: 'nonlinear' | 'linear' | 'grn' | 'cascade' | 'modules';
  d?: number;
  perturbed?: number;
  doubles?: number;
  cells?: number;
  /** Measure counts: Poisson(unitScale · softplus(z)) with zero-inflation probability zeroProb. */
  counts?: { unitScale: number; zeroProb: number } | null;
  /** Gene networks with counts: also write their latent cells as log1p CP10k (latent.h5ad). */
  latentCells?: boolean;
  /** Gene networks with counts: the negative-binomial size θ of the counts (0: Poisson; default the family's). */
  nbSize?: number;
}

type NetworkKind = 'grn' | 'cascade' | 'modules';
const isNetwork = (o: SimulateOptions): o is SimulateOptions & { kind: NetworkKind } =>
  o.kind === 'grn' || o.kind === 'cascade' || o.kind === 'modules';

/** The options' own consistency, checked before any work (the CLI calls it before it starts the GPU). */
export function checkSimulateOptions(o: SimulateOptions): void {
  const networkCounts = !!o.counts && isNetwork(o);
  if (o.latentCells && !networkCounts)
    throw new InputError(
      `simulate: --latent-cells writes a gene network's cells before counts; use it with --kind grn, cascade or modules and --counts (got --kind ${o.kind}${o.counts ? ' --counts' : ''})`,
    );
  if (o.nbSize !== undefined && !(networkCounts && o.nbSize >= 0 && Number.isFinite(o.nbSize)))
    throw new InputError(
      `simulate: --nb-size ${o.nbSize} sets a gene network's negative-binomial counts; use a size ≥ 0 (0: Poisson) with --kind grn, cascade or modules and --counts`,
    );
}

/**
 * The gene-network simulator's options (sim/grn.ts) for simulate's options of a network kind: the family's defaults
 * where an option is absent. The gene network measures its own counts (library sizes, expression-dependent dropout)
 * when asked, negative binomial of size `nbSize` (0: Poisson) where given. A truth.json's `options` and `seed` give
 * the same screen again (scripts/clipr-stages.ts).
 */
export function networkScreenOptions(o: SimulateOptions & { kind: NetworkKind }, seed: number): GrnOptions {
  const family = { grn: GRN_DEFAULTS, cascade: CASCADE_DEFAULTS, modules: MODULES_DEFAULTS }[o.kind];
  return {
    ...family,
    d: o.d ?? family.d,
    regulators: o.perturbed ?? family.regulators,
    doubles: o.doubles ?? family.doubles,
    cells: o.cells ?? family.cells,
    seed,
    counts: o.counts
      ? { ...family.counts!, ...(o.nbSize !== undefined ? { nbSize: o.nbSize || undefined } : {}) }
      : null,
  };
}

export async function simulate<T extends TensorLike>(B: Backend<T>, o: SimulateOptions): Promise<Screen> {
  checkSimulateOptions(o);
  assertWritableOutDir(o.out, o.force);
  mkdirSync(o.out, { recursive: true });
  const seed = o.seed ?? 0,
    paths = simulationPaths(o.out);
  if (!o.latentCells) rmSync(paths.latent, { force: true }); // a --force'd folder keeps no other screen's latent cells
  let screen: Screen, truth: Record<string, unknown>;
  if (o.kind === 'nonlinear') {
    const r = await nonlinearScreen(B, {
      ...BUILTIN_SCREEN,
      d: o.d ?? NONLINEAR_DEFAULTS.d,
      perturbed: o.perturbed ?? NONLINEAR_DEFAULTS.perturbed,
      doubles: o.doubles ?? NONLINEAR_DEFAULTS.doubles,
      cellsPerEnv: o.cells ?? BUILTIN_SCREEN.cellsPerEnv,
      seed,
    });
    screen = r.screen;
    truth = {
      kind: 'nonlinear (Hopfield gradient system)',
      d: r.params.d,
      J: Array.from(r.params.J),
      b: Array.from(r.params.b),
      shifts: Array.from(r.params.shifts),
    };
  } else if (isNetwork(o)) {
    const r = grnScreen(networkScreenOptions(o, seed));
    screen = r.screen;
    const kind = {
      grn: 'gene regulatory network (Hill kinetics)',
      cascade: 'gene regulatory cascade (Hill kinetics, layered CRISPRi knock-downs, confounding program)',
      modules: 'gene regulatory network with planted modules (Hill kinetics; genes.gmt names the modules)',
    }[o.kind];
    truth = { kind, d: screen.genes.length, ...r.truth };
    await writeScreenH5ad(paths.screen, screen.genes, screen.envs, {}, { values: screen.kind });
    if (o.latentCells) {
      const d = r.latent.genes.length,
        envs = r.latent.envs.map((e) => ({ ...e, values: normalizeLog1p(e.values, e.cells, d) }));
      await writeScreenH5ad(paths.latent, r.latent.genes, envs, {}, { values: 'log1p' });
    }
    writeFileAtomic(paths.truth, JSON.stringify({ seed, options: o, ...truth }));
    if (r.truth.geneSets) writeFileAtomic(paths.geneSets, formatGmt(r.truth.geneSets, 'planted module'));
    return screen;
  } else {
    const d = o.d ?? 30;
    const r = linearScreen({
      d,
      perturbed: o.perturbed ?? d,
      doubles: o.doubles ?? 0,
      cellsPerEnv: o.cells ?? 200,
      seed,
    });
    screen = r.screen;
    const W = r.params.aCausal,
      aCausal = Array.from({ length: d }, (_, i) => Array.from(W.subarray(i * d, (i + 1) * d)));
    truth = { kind: 'linear SDE', d, a_causal: aCausal, genes: screen.genes };
  }
  if (o.counts) {
    const d = screen.genes.length;
    screen = measureCounts(
      screen,
      {
        unitScale: new Float64Array(d).fill(o.counts.unitScale),
        zeroProb: new Float64Array(d).fill(o.counts.zeroProb),
      },
      seed,
    );
  }
  await writeScreenH5ad(paths.screen, screen.genes, screen.envs, {}, { values: screen.kind });
  writeFileAtomic(paths.truth, JSON.stringify({ seed, options: o, ...truth }));
  return screen;
}
