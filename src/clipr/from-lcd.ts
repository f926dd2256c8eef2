// CLIPR for a trained LCD: the query set is the control plus every in-panel gene perturbed in training (as a
// single-gene query; targets outside the gene panel cannot be linearised and are skipped). Two readings share the
// fixed points: 'response' (the default; responses.ts: effects read from the fixed points alone, direct effects when
// the linear response model explains held-out responses) and 'drift' (the reference's: the network's drift at an
// anchor state and one noise level, solved against the fixed points).
import type { LCD } from '../lcd/model.ts';
import type { TensorLike } from '../ops/backend.ts';
import { LcdDriftModel, type CliprAnchor } from './drift-models.ts';
import { clipr, cliprByResponses, type CliprResult } from './clipr.ts';
import type { ResponseReadingOptions, ResponseReadingResult } from './responses.ts';
import { DEFAULT_DRIFT_LEVEL, CLIPR_FLOW_STEPS_PER_LEVEL } from '../lcd/sampler-settings.ts';

/** How CLIPR reads the trained model (see the file comment); 'response' is the default. */
export type CliprReadingKind = 'response' | 'drift';

export interface CliprLcdOptions {
  reading?: CliprReadingKind;
  /** Response reading: force direct or total effects instead of choosing by the held-out R² criterion. */
  effects?: ResponseReadingOptions['effects'];
  /** Drift reading: the Tikhonov λ of the solve. */
  lambda?: number;
  stepsPerLevel?: number;
  /** Noise level of the drift evaluation. Default 19 (σ ≈ 0.11); the reference reads level 29 (σ = 0.01), where an
   *  error in the network output g is amplified 1/σ = 100× at the origin, far from the data. Measured on linear ER
   *  screens (scripts/clipr-diagnose.ts, 9 trained models, d = 30 and 100): OVO-AUROC 0.65–0.77 at level 29,
   *  0.75–0.82 at level 22, 0.76–0.83 at level 19 (best or within 0.05 of best in every run), lower again at 16. */
  driftLevel?: number;
  /** Where the drifts are evaluated: 'origin' (the reference) or 'control' (the control fixed point). */
  anchor?: CliprAnchor;
  /** Progress of the probability flow (levels done of 30, ETA). */
  onFlowProgress?: (p: { done: number; total: number; etaS: number }) => void;
}

/** The drift level cliprFromLcd reads by default (see `driftLevel`); the reference's is 29. */
export { DEFAULT_DRIFT_LEVEL };

export function cliprQueryGenes(lcd: LCD<TensorLike>): { genes: number[]; skipped: string[] } {
  const panel = new Map(lcd.genes.map((g, i) => [g, i]));
  const genes: number[] = [],
    skipped: string[] = [];
  for (const t of lcd.targets) {
    const i = panel.get(t);
    if (i === undefined) skipped.push(t);
    else genes.push(i);
  }
  return { genes: genes.sort((a, b) => a - b), skipped };
}

export async function cliprFromLcd<T extends TensorLike>(
  lcd: LCD<T>,
  o: CliprLcdOptions = {},
): Promise<CliprResult & { skipped: string[]; reading?: ResponseReadingResult }> {
  const { genes, skipped } = cliprQueryGenes(lcd as unknown as LCD<TensorLike>);
  const model = new LcdDriftModel(
    lcd,
    o.stepsPerLevel ?? CLIPR_FLOW_STEPS_PER_LEVEL,
    o.driftLevel ?? DEFAULT_DRIFT_LEVEL,
    o.anchor,
  );
  model.onFlowProgress = o.onFlowProgress;
  if ((o.reading ?? 'response') === 'response')
    return { ...(await cliprByResponses(model, genes, { effects: o.effects })), skipped };
  const res = await clipr(model, genes, { lambda: o.lambda ?? 1e-3 });
  return { ...res, skipped };
}
