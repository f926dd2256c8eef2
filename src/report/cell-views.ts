// Rows for the cell-level views (plots.ts) of held-out doubles: PCA of control, observed and predicted cells, the
// distributions of the top DE genes, and per-gene zero fractions. Shared by the HTML report and the web app, so
// both draw the same views from the same numbers. Engine-free and platform-free.
import { geneMeans } from '../data/dataset.ts';
import type { Cells } from '../metrics/expression.ts';
import { pca2, projectPca } from '../stats/pca.ts';

export interface HeldOutCells {
  name: string;
  observed: Cells;
  predicted: Cells;
}

export interface CellViewRows {
  pca: { double: string; group: string; pc1: number; pc2: number }[];
  distributions: { double: string; gene: string; source: string; value: number }[];
  zeros: { double: string; gene: string; observed: number; predicted: number }[];
}

/** At most `k` rows of `c`, evenly spaced (deterministic). */
function thin(c: Cells, d: number, k: number): Cells {
  if (c.n <= k) return c;
  const out = new Float32Array(k * d);
  for (let i = 0; i < k; i++) {
    const r = Math.floor((i * c.n) / k);
    for (let g = 0; g < d; g++) out[i * d + g] = c.values[r * d + g]!;
  }
  return { values: out, n: k };
}

const colMean = (c: Cells, d: number) => geneMeans(c.values, c.n, d);

/**
 * The rows of the three views. `topGenes` per double (gene indices; default: the 6 largest |observed − control|
 * mean shifts); zero fractions only when `zeros` is set (values with true zeros: log1p or counts, not latent).
 */
export function cellViewRows(
  genes: readonly string[],
  control: Cells,
  doubles: readonly HeldOutCells[],
  o: { topGenes?: Record<string, number[]>; zeros?: boolean; maxCells?: number } = {},
): CellViewRows {
  const d = genes.length,
    k = o.maxCells ?? 200;
  const rows: CellViewRows = { pca: [], distributions: [], zeros: [] };
  const ctrl = thin(control, d, k),
    ctrlMean = colMean(control, d);
  for (const x of doubles) {
    const obs = thin(x.observed, d, k),
      pred = thin(x.predicted, d, k);
    // PCA fitted on the three groups together, so the axes show where the prediction sits between them.
    const all = new Float32Array((ctrl.n + obs.n + pred.n) * d);
    let at = 0;
    for (const c of [ctrl, obs, pred]) for (let i = 0; i < c.n * d; i++) all[at++] = c.values[i]!;
    if (d >= 2) {
      const p = pca2(all, ctrl.n + obs.n + pred.n, d);
      const xy = projectPca(p, all, ctrl.n + obs.n + pred.n);
      xy.forEach(([pc1, pc2], i) =>
        rows.pca.push({
          double: x.name,
          group: i < ctrl.n ? 'control' : i < ctrl.n + obs.n ? 'observed' : 'predicted',
          pc1,
          pc2,
        }),
      );
    }
    const obsMean = colMean(x.observed, d);
    const top =
      o.topGenes?.[x.name]?.slice(0, 6) ??
      Array.from({ length: d }, (_, g) => g)
        .sort((a, b) => Math.abs(obsMean[b]! - ctrlMean[b]!) - Math.abs(obsMean[a]! - ctrlMean[a]!))
        .slice(0, 6);
    for (const g of top)
      for (const [source, c] of [
        ['observed', obs],
        ['predicted', pred],
      ] as const)
        for (let i = 0; i < c.n; i++)
          rows.distributions.push({ double: x.name, gene: genes[g]!, source, value: c.values[i * d + g]! });
    if (o.zeros) {
      const zf = (c: Cells, g: number) => {
        let z = 0;
        for (let i = 0; i < c.n; i++) if (c.values[i * d + g]! <= 1e-6) z++;
        return z / c.n;
      };
      for (let g = 0; g < d; g++)
        rows.zeros.push({
          double: x.name,
          gene: genes[g]!,
          observed: zf(x.observed, g),
          predicted: zf(x.predicted, g),
        });
    }
  }
  return rows;
}
