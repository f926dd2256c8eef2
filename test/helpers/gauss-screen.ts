// A latent screen of standard-normal cells for tests that fit a tiny model: genes g0 … g{d−1}, the control and g0
// perturbed alone, `cells` each, drawn from the scratch stream of `seed` (the control's cells first).
import { scratchRng } from '../../src/reference/rng.ts';
import type { Screen } from '../../src/data/dataset.ts';

export function gaussScreen(d: number, cells: number, seed: number): Screen {
  const rng = scratchRng(seed);
  const env = (name: string, targets: string[]) => ({
    name,
    targets,
    cells,
    values: Float32Array.from({ length: cells * d }, () => rng.normal()),
  });
  return {
    genes: Array.from({ length: d }, (_, i) => `g${i}`),
    envs: [env('ctrl', []), env('g0', ['g0'])],
    kind: 'latent',
  };
}
