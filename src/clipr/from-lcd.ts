// CLIPR for a trained LCD: the query set is the control plus every in-panel gene perturbed in training (as a
// single-gene query; targets outside the gene panel cannot be linearised and are skipped).
import type { LCD } from '../lcd/model.ts';
import type { TensorLike } from '../ops/backend.ts';
import { LcdDriftModel } from './drift-models.ts';
import { clipr, type CliprResult } from './clipr.ts';

export interface CliprLcdOptions { lambda?: number; stepsPerLevel?: number }

export function cliprQueryGenes(lcd: LCD<TensorLike>): { genes: number[]; skipped: string[] } {
  const panel = new Map(lcd.genes_.map((g, i) => [g, i]));
  const genes: number[] = [], skipped: string[] = [];
  for (const t of lcd.vocab_!.names) { const i = panel.get(t); if (i === undefined) skipped.push(t); else genes.push(i); }
  return { genes: genes.sort((a, b) => a - b), skipped };
}

export async function cliprFromLcd<T extends TensorLike>(lcd: LCD<T>, o: CliprLcdOptions = {}): Promise<CliprResult & { skipped: string[] }> {
  const { genes, skipped } = cliprQueryGenes(lcd as unknown as LCD<TensorLike>);
  const res = await clipr(new LcdDriftModel(lcd, o.stepsPerLevel ?? 500), genes, { lambda: o.lambda ?? 1e-3 });
  return { ...res, skipped };
}
