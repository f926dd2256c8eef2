import { InputError } from '../core/errors.ts';
// The in-memory perturbation screen: environments of cells over one gene panel. Depends on nothing of the engine.
//
// Environment 0 is the control (no targets). A target is a name; it need not be a measured gene (real screens
// perturb genes outside the panel). `values` is row-major [cells × genes].

export interface Environment {
  name: string; // e.g. 'ctrl', 'G3', 'G3+G7'
  targets: string[]; // [] for the control
  values: Float32Array; // cells × genes
  cells: number;
}

export interface Screen {
  genes: string[];
  envs: Environment[]; // envs[0] is the control
  /** What the values are: 'latent' states (continuous), 'log1p' normalised expression, or raw 'counts'. */
  kind: 'latent' | 'log1p' | 'counts';
}

export const CONTROL = 'ctrl';
/** The targets a condition label names: 'A+B' → [A, B], 'A+ctrl' → [A], the control label → [] (unsorted). */
export function labelTargets(label: string, control: string, separator: string): string[] {
  if (label === control) return [];
  return label
    .split(separator)
    .map((t) => t.trim())
    .filter((t) => t && t !== control);
}

export const envName = (targets: readonly string[]): string =>
  targets.length === 0 ? CONTROL : [...targets].sort().join('+');

export function validateScreen(s: Screen): void {
  const d = s.genes.length;
  if (d === 0) throw new InputError('screen has no genes');
  if (s.envs.length === 0 || s.envs[0]!.targets.length !== 0)
    throw new InputError(`screen: environment 0 must be the control (no targets); got '${s.envs[0]?.name}'`);
  const seen = new Set<string>();
  for (const e of s.envs) {
    if (seen.has(e.name)) throw new InputError(`screen: duplicate environment '${e.name}'`);
    seen.add(e.name);
    if (e.cells === 0) throw new InputError(`screen: environment '${e.name}' has no cells`);
    if (e.values.length !== e.cells * d)
      throw new InputError(
        `screen: environment '${e.name}' has ${e.values.length} values for ${e.cells} cells × ${d} genes`,
      );
    for (let i = 0; i < e.values.length; i++)
      if (!Number.isFinite(e.values[i]!))
        throw new InputError(
          `screen: environment '${e.name}' has a non-finite value at cell ${Math.floor(i / d)}, gene '${s.genes[i % d]}'`,
        );
  }
}

/** Gene g's values over the cells of a row-major cells × d matrix. */
export function column(values: ArrayLike<number>, cells: number, d: number, g: number): Float64Array {
  const out = new Float64Array(cells);
  for (let c = 0; c < cells; c++) out[c] = values[c * d + g]!;
  return out;
}

/** Per-gene mean of a row-major cells × d matrix (cells summed in order, then divided once). */
export function geneMeans(values: ArrayLike<number>, cells: number, d: number): Float64Array {
  const m = new Float64Array(d);
  for (let c = 0; c < cells; c++) for (let g = 0; g < d; g++) m[g]! += values[c * d + g]!;
  return m.map((v) => v / cells);
}

/** Per-gene mean of an environment. */
export function envMean(e: Environment, d: number): Float64Array {
  return geneMeans(e.values, e.cells, d);
}
