// CLIPR for a trained LCD: the query set is the control plus every in-panel gene perturbed in training (as a
// single-gene query; targets outside the gene panel cannot be linearised and are skipped).
import type { LCD } from '../lcd/model.ts';
import type { TensorLike } from '../ops/backend.ts';
import { LcdDriftModel } from './drift-models.ts';
import { clipr, type CliprResult } from './clipr.ts';

export interface CliprLcdOptions {
  lambda?: number; stepsPerLevel?: number;
  /** Noise level of the drift evaluation (default 29, σ = 0.01, the reference). On linear ER d = 30 a trained LCD
   *  scored OVO-AUROC 0.76 at level 29 and 0.83 at level 22 (σ ≈ 0.05) after 8,000 steps (scripts/clipr-diagnose.ts):
   *  at σ = 0.01 errors of the network output are amplified 1/σ = 100×, at the origin far from the data. */
  driftLevel?: number;
}

export function cliprQueryGenes(lcd: LCD<TensorLike>): { genes: number[]; skipped: string[] } {
  const panel = new Map(lcd.genes_.map((g, i) => [g, i]));
  const genes: number[] = [], skipped: string[] = [];
  for (const t of lcd.vocab_!.names) { const i = panel.get(t); if (i === undefined) skipped.push(t); else genes.push(i); }
  return { genes: genes.sort((a, b) => a - b), skipped };
}

export async function cliprFromLcd<T extends TensorLike>(lcd: LCD<T>, o: CliprLcdOptions = {}): Promise<CliprResult & { skipped: string[] }> {
  const { genes, skipped } = cliprQueryGenes(lcd as unknown as LCD<TensorLike>);
  const res = await clipr(new LcdDriftModel(lcd, o.stepsPerLevel ?? 500, o.driftLevel), genes, { lambda: o.lambda ?? 1e-3 });
  return { ...res, skipped };
}
