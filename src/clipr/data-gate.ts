// CLIPR's data gate: the model's direct effects, each scaled by the evidence in the measured cells that the
// perturbation moves the gene at all.
//
// A direct effect k → i implies a total one: perturbing k moves i (faithfulness: no exact cancellation of paths).
// The trained model's linear responses leak, moving genes that the perturbation does not reach (README, "Which stage
// leaks"), and the ridge that keeps their inversion stable mixes each gene's coefficients with those of the genes it
// co-responds with; the reading then calls reversed edges (i → k for k → i) and siblings (two targets of one parent).
// Neither pair shows a shift of i in the cells perturbed at k. The gate multiplies a_causal[k][i] by
// min(1, |t_k(i)| / t0), t_k(i) the Welch t of gene i's shift between the control cells and the cells with k
// perturbed: an entry is kept in full where the data show a shift of at least t0 standard errors, and shrunk toward
// zero as the evidence of any effect vanishes. Measured with `clipr-benchmark` (README, "CLIPR"): t0 = 1 raised the
// linear response's OVO-AUROC on both chain families at both budgets while keeping its indirect-pair false positives
// under half of differential expression's; larger t0 let the data's total effects (which call a chain's indirect
// pairs) decide more of the ranking.
import type { Screen } from '../data/dataset.ts';
import { normalizeLog1p } from '../data/normalize.ts';
import { groupMoments, welchT } from '../stats/shift-t.ts';
import { InputError } from '../core/errors.ts';

/** The gate's t0: a data shift of one standard error keeps an effect in full. */
export const DATA_GATE_T = 1;

export interface DataShiftGate {
  /** t0 > 0; an entry is scaled by min(1, |t| / t0). */
  t0: number;
  /** Per query gene (the order of the reading's genes): the Welch t of every gene's shift (length d) in the cells
   *  with that gene perturbed alone, or null where the data have no such cells (its row is not gated). */
  shifts: readonly (Float64Array | null)[];
}

/**
 * The gate of a reading from the cells a model was fitted on (log1p or latent values, as the model saw them; raw
 * counts are log1p-normalised first): control cells `data.envs[0]` against each query gene's single-perturbation
 * cells, the genes matched by name to the model's panel.
 */
export function dataShiftGate(
  data: Screen,
  modelGenes: readonly string[],
  genes: readonly number[],
  t0 = DATA_GATE_T,
): DataShiftGate {
  if (!(t0 > 0)) throw new RangeError(`CLIPR data gate: t0 must be > 0, got ${t0}`);
  const D = data.genes.length,
    col = new Map(data.genes.map((g, i) => [g, i]));
  const cols = modelGenes.map((g) => {
    const c = col.get(g);
    if (c === undefined)
      throw new InputError(
        `CLIPR data gate: the model's gene '${g}' is not in the data's ${D} genes; gate with the cells the model was fitted on (its run folder's data), or pass no data`,
      );
    return c;
  });
  const ctrl = data.envs[0];
  if (!ctrl || ctrl.targets.length !== 0)
    throw new InputError('CLIPR data gate: the data have no control cells first (envs[0] with no targets)');
  const d = modelGenes.length;
  const cellsOf = (e: Screen['envs'][number]) => {
    const v = data.kind === 'counts' ? normalizeLog1p(e.values, e.cells, D) : e.values;
    const out = new Float64Array(e.cells * d);
    for (let c = 0; c < e.cells; c++) for (let j = 0; j < d; j++) out[c * d + j] = v[c * D + cols[j]!]!;
    return { values: out, cells: e.cells };
  };
  const single = new Map(
    data.envs.filter((e) => e.targets.length === 1 && e.cells >= 2).map((e) => [e.targets[0]!, e]),
  );
  const control = groupMoments(cellsOf(ctrl), d); // once, for every query gene
  const shifts = genes.map((g) => {
    const env = single.get(modelGenes[g]!);
    return env ? welchT(control, groupMoments(cellsOf(env), d)) : null;
  });
  return { t0, shifts };
}

/** a_causal[k][i] · min(1, |t_k(i)| / t0) for every query gene k with cells (rows of others unchanged, diagonal kept). */
export function gateByShifts(
  aCausal: Float64Array,
  genes: readonly number[],
  d: number,
  gate: DataShiftGate,
): Float64Array {
  if (gate.shifts.length !== genes.length)
    throw new Error(`CLIPR data gate: ${gate.shifts.length} shift vectors for ${genes.length} query genes`);
  const out = Float64Array.from(aCausal);
  genes.forEach((k, q) => {
    const t = gate.shifts[q];
    if (!t) return;
    for (let i = 0; i < d; i++) if (i !== k) out[k * d + i]! *= Math.min(1, Math.abs(t[i]!) / gate.t0);
  });
  return out;
}
