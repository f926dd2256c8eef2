// CLIPR's linear-response reading on a trained LCD of a cascade screen (chains of six, a confounding program,
// per-cell knock-down efficiency): a model trained in CI time, the reading inverted into direct effects, against
// differential expression of the same screen. What it is measured to do (README, "CLIPR"): call far fewer of a
// chain's indirect pairs as edges than DE. On these small latent screens (standardised units) its OVO-AUROC beat DE
// on seed 0 (0.978 against 0.958) but not on seeds 1 and 2 (0.905 against 0.917, 0.956 against 0.955), while its
// indirect-pair false-positive rate was 0.02, 0.07, 0.05 against DE's 0.21, 0.23, 0.15; so only the
// false-positive rate is asserted against DE. The default reading ('auto') falls to this reading on such a screen.
import { describe, it, expect } from 'vitest';
import { testEngine } from './helpers/gpu.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { LCD } from '../src/lcd/model.ts';
import { grnScreen, CASCADE_DEFAULTS } from '../src/sim/grn.ts';
import { geneMeans } from '../src/data/dataset.ts';
import { signedResponses, describeResponseReading, DIRECT_MIN_R2 } from '../src/clipr/responses.ts';
import { cliprFromPoints } from '../src/clipr/clipr.ts';
import { linearResponseStates, cliprQueryGenes, cliprFromEnsemble, cliprFromLcd } from '../src/clipr/from-lcd.ts';
import { Rng } from '../src/reference/rng.ts';
import { dataShiftGate } from '../src/clipr/data-gate.ts';
import { randomStream } from '../src/core/random-streams.ts';
import { blockEntries, ovoAurocOf, indirectPairs, indirectFalsePositiveRate } from '../src/metrics/causal.ts';

const engine = await testEngine();

describe.skipIf(!engine)('CLIPR linear-response reading on a trained cascade model', () => {
  it('halves the indirect-pair false positives of differential expression', async () => {
    // 40 genes (24 perturbed regulators), 200 cells per environment, log1p of the latent expression
    const r = grnScreen({ ...CASCADE_DEFAULTS, seed: 0, d: 40, cells: 200, doubles: 0, counts: null });
    const screen = {
      ...r.screen,
      envs: r.screen.envs.map((e) => ({ ...e, values: e.values.map((v) => Math.log1p(4 * v)) })),
    };
    const lcd = await new LCD({ steps: 1500, hidden: 64, envsPerBatch: 4, seed: 0 }).fit(screen, {
      backend: new WebGPUBackend(engine!),
    });
    const d = screen.genes.length,
      { genes } = cliprQueryGenes(lcd);
    expect(genes.length).toBe(24);
    const adj = new Float64Array(d * d);
    r.truth.adjacency.forEach((row, s) => row.forEach((v, t) => (adj[s * d + t] = v)));
    const classes = blockEntries(adj, d, genes, genes),
      indirect = blockEntries(indirectPairs(adj, d), d, genes, genes);
    const score = (a: Float64Array) => {
      const b = blockEntries(a, d, genes, genes);
      return { auroc: ovoAurocOf(classes, b), fpr: indirectFalsePositiveRate(classes, indirect, b) };
    };
    const byTarget = new Map(screen.envs.map((e) => [e.targets.join('+'), e]));
    const means = [screen.envs[0]!, ...genes.map((g) => byTarget.get(screen.genes[g]!)!)].map((e) =>
      geneMeans(e.values, e.cells, d),
    );
    const de = score(signedResponses(means, genes, d));
    const states = await linearResponseStates(lcd, genes);
    const direct = score(cliprFromPoints(states, genes, d, { effects: 'direct' }).aCausal);
    // measured: DE 0.958 / 0.21, linear-direct 0.978 / 0.02
    expect(direct.fpr).toBeLessThanOrEqual(0.5 * de.fpr);
    expect(direct.auroc).toBeGreaterThan(0.93);
    // Gated by the screen's cells (clipr/data-gate.ts): measured 0.981 / 0.015 → 0.984 / 0.053 here. The gate may
    // let a few of DE's indirect pairs back in, but not toward DE's rate, and it does not lose ranking.
    const gated = score(
      cliprFromPoints(states, genes, d, {
        effects: 'direct',
        gate: dataShiftGate(screen, screen.genes, genes),
      }).aCausal,
    );
    expect(gated.fpr).toBeLessThanOrEqual(0.5 * de.fpr);
    expect(gated.auroc).toBeGreaterThanOrEqual(direct.auroc - 0.005);
    expect(gated.auroc).toBeGreaterThan(de.auroc + 0.02);
    // the model's own total effects at the same states are DE again: as many indirect pairs called
    expect(score(signedResponses(states, genes, d)).fpr).toBeGreaterThan(2 * direct.fpr);
    // The default reading ('auto') reads the sampled means first; on this nonlinear screen their responses fail the
    // criterion (held-out R² < 0.8), so it inverts the same linear response (same seed, same states) instead of
    // returning the means' total effects, and says so.
    const auto = await cliprFromLcd(lcd);
    const means300 = await cliprFromLcd(lcd, { points: 'means' });
    expect(means300.reading!.effects).toBe('total');
    expect(auto.reading).toMatchObject({ effects: 'direct', states: 'linear', meansR2: means300.reading!.heldOutR2 });
    expect(auto.reading!.meansR2!).toBeLessThan(DIRECT_MIN_R2);
    expect(Array.from(auto.aCausal)).toEqual(
      Array.from(cliprFromPoints(states, genes, d, { effects: 'direct' }).aCausal),
    );
    expect(describeResponseReading(auto.reading!)).toMatch(/^direct effects from the model's linear response/);
    // An ensemble reads its models' averaged states, each model under its own seed (here one model twice: the
    // second sampled with the seed stream 'clipr.ensemble' gives it), exactly.
    const ens = await cliprFromEnsemble([lcd, lcd], { points: 'linear', seed: 0 });
    const second = await linearResponseStates(lcd, genes, {
      seed: new Rng(randomStream(0, 'clipr.ensemble', 1)).int(2 ** 31),
    });
    const averaged = states.map((x, e) => x.map((v, i) => (v + second[e]![i]!) / 2));
    expect(Array.from(ens.aCausal)).toEqual(
      Array.from(cliprFromPoints(averaged, genes, d, { effects: 'direct' }).aCausal),
    );
    expect(second.some((x, e) => x.some((v, i) => v !== states[e]![i]))).toBe(true); // its own noise
    await expect(cliprFromEnsemble([lcd, lcd], { points: 'flow' })).rejects.toThrow(
      /an ensemble averages the models' sampled states \(--points auto, means or linear\), not the flow fixed points/,
    );
  }, 300_000);
});
