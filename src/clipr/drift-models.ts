// What CLIPR needs from a model: fixed points X* and drifts F0 at an anchor state a for the control and single-gene
// queries, in state space (spec §6.1). The reference's anchor is the origin a = 0; for a linear drift
// f_e(x) = A(x − x*_e) holds at every x, so f_e(a) = −A(x*_e − a) identifies the same A from any anchor, and the
// control fixed point a = x*_ctrl is an alternative that lies near the data (see `CliprAnchor`).
// Implementations: the exact linear drift and the exact Gaussian score (the oracles of §6.2–6.3, for validation)
// and a trained LCD (probability flow + the network's drift, "tfm" variant).
import type { LinearSdeParams } from '../sim/linear.ts';
import { stationaryMean } from '../sim/linear.ts';
import * as la from '../reference/linalg.ts';
import type { LCD } from '../lcd/model.ts';
import type { TensorLike } from '../ops/backend.ts';
import { N_LEVELS, isLevelIndex } from '../lcd/schedule.ts';
import { SIGMA_MIN } from '../lcd/schedule.ts';

export interface Responses {
  d: number;
  /** Query targets: queries[0] is the control, then one gene index per single-gene query. */
  genes: number[];
  /** Fixed points in state space, [d × (k+1)] column-major by query (column 0 = control). */
  fixedPoints: Float64Array[];
  /** Drift at the anchor state for each single-gene query (k vectors of length d; empty for the response reading). */
  f0: Float64Array[];
  /** The state where F0 was evaluated (the origin unless a control anchor was asked for). */
  anchor: Float64Array;
}

/**
 * Where the drifts are evaluated: 'origin', x = 0 (the reference, spec §6.1 "tfm"), or 'control', the control
 * fixed point x*_ctrl. Both give A exactly for a linear drift and −Σ⁻¹ for a Gaussian score; for a trained network
 * they differ in how far from the training data the network is read (the origin lay 6–13 Mahalanobis units from
 * the single-gene environments of linear ER screens at d = 30–100, the control fixed point 2.5–10).
 */
export type CliprAnchor = 'origin' | 'control';

/** The anchor state: the origin, or the control fixed point (fixedPoints[0]). */
const anchorState = (at: CliprAnchor, fixedPoints: Float64Array[], d: number): Float64Array =>
  at === 'control' ? Float64Array.from(fixedPoints[0]!) : new Float64Array(d);

export interface DriftModel {
  readonly d: number;
  responses(genes: readonly number[]): Promise<Responses>;
  /** The fixed points alone (control first), when they are cheaper than `responses` (no drift evaluated). */
  fixedPoints?(genes: readonly number[]): Promise<Float64Array[]>;
}

/** The generator's linear drift f_e(x) = A x + b + c_e: x*_e = −A⁻¹(b + c_e), f_e(a) = A a + b + c_e. */
export class LinearDriftOracle implements DriftModel {
  constructor(
    readonly p: LinearSdeParams,
    readonly anchorAt: CliprAnchor = 'origin',
  ) {}
  get d(): number {
    return this.p.d;
  }
  async responses(genes: readonly number[]): Promise<Responses> {
    const d = this.d;
    const fixedPoints = [[], ...genes.map((j) => [j])].map((t) => stationaryMean(this.p, t));
    const anchor = anchorState(this.anchorAt, fixedPoints, d);
    const Aa = la.matmul(this.p.A, anchor, d, d, 1);
    const f0 = genes.map((j) => {
      const v = Aa.map((x, i) => x + this.p.b[i]!);
      v[j]! += this.p.shifts[j]!;
      return v;
    });
    return { d, genes: [...genes], fixedPoints, f0, anchor };
  }
}

/**
 * The exact score of the generator's stationary laws N(μ_e, S) at noise σ (what a perfect LCD learns on linear
 * data, §6.3), in the Langevin form with diffusion √2: f_e(x) = −(S + σ²I)⁻¹(x − μ_e); fixed point μ_e.
 */
export class GaussianScoreOracle implements DriftModel {
  private P: Float64Array;
  constructor(
    readonly p: LinearSdeParams,
    sigma = SIGMA_MIN,
    readonly anchorAt: CliprAnchor = 'origin',
  ) {
    const d = p.d;
    this.P = la.inverse(
      p.S.map((v, i) => v + (i % (d + 1) === 0 ? sigma * sigma : 0)),
      d,
    );
  }
  get d(): number {
    return this.p.d;
  }
  async responses(genes: readonly number[]): Promise<Responses> {
    const d = this.d;
    const mus = [[], ...genes.map((j) => [j])].map((t) => stationaryMean(this.p, t));
    const anchor = anchorState(this.anchorAt, mus, d);
    const f0 = mus.slice(1).map((mu) =>
      la.matmul(
        this.P,
        mu.map((v, i) => v - anchor[i]!),
        d,
        d,
        1,
      ),
    ); // −P(a − μ)
    return { d, genes: [...genes], fixedPoints: mus, f0, anchor };
  }
}

/**
 * The empirical-Gaussian reading (no training): each environment N(μ̂_e, Σ̂) with its sample mean and the pooled
 * within-environment covariance, whose score −(Σ̂ + εI)⁻¹(x − μ̂_e) CLIPR reads like any drift; fixed points μ̂_e.
 * `means` maps a gene index to the sample mean of its single-gene environment (the control's mean separately).
 */
export class EmpiricalGaussianModel implements DriftModel {
  private P: Float64Array;
  constructor(
    readonly d: number,
    private control: Float64Array,
    private means: ReadonlyMap<number, Float64Array>,
    cov: Float64Array,
    ridge = 1e-3,
  ) {
    this.P = la.inverse(
      cov.map((v, i) => v + (i % (d + 1) === 0 ? ridge : 0)),
      d,
    );
  }
  async fixedPoints(genes: readonly number[]): Promise<Float64Array[]> {
    return [
      this.control,
      ...genes.map((g) => {
        const m = this.means.get(g);
        if (!m) throw new Error(`empirical-Gaussian CLIPR: no environment perturbs gene ${g}`);
        return m;
      }),
    ];
  }
  async responses(genes: readonly number[]): Promise<Responses> {
    const fixedPoints = await this.fixedPoints(genes);
    const f0 = fixedPoints.slice(1).map((mu) => la.matmul(this.P, mu, this.d, this.d, 1)); // −P(0 − μ) at the origin
    return { d: this.d, genes: [...genes], fixedPoints, f0, anchor: new Float64Array(this.d) };
  }
}

/**
 * A trained LCD: fixed points by the probability flow from z = 0 (every level the model trained × stepsPerLevel, one
 * particle per query, all queries in one batch); drift at the anchor at one trained level in the "tfm" variant,
 * f_x(a) = f_z((a − m)/σ_all)/σ_all, where f_z = ((s−1)z − σ g(s z))/σ² (a = 0 is the reference's f_z(−m/σ_all)).
 */
export class LcdDriftModel<T extends TensorLike> implements DriftModel {
  /** `level`: the noise level of the drift evaluation (default the smallest, σ = 0.01, as the reference; a model
   *  refuses a level it did not train, see LCD's trainLevels). */
  constructor(
    readonly lcd: LCD<T>,
    readonly stepsPerLevel = 500,
    readonly level = N_LEVELS - 1,
    readonly anchorAt: CliprAnchor = 'origin',
  ) {
    if (!isLevelIndex(level))
      throw new Error(
        `CLIPR: drift level ${level} is not a noise level index; use an integer 0–${N_LEVELS - 1} (29 = σ 0.01)`,
      );
  }
  get d(): number {
    return this.lcd.genes.length;
  }
  /** Fixed points of the last gene set, held in one box shared by every model made with `withDrift`. */
  private store: { key?: string; fixedPoints?: Float64Array[] } = {};
  /** Progress of the probability flow to the fixed points (levels done of those trained), when set. */
  onFlowProgress?: (p: { done: number; total: number; etaS: number }) => void;

  /** The same model read at another drift level or anchor; the fixed points are computed once and shared. */
  withDrift(level: number, anchorAt: CliprAnchor): LcdDriftModel<T> {
    const m = new LcdDriftModel(this.lcd, this.stepsPerLevel, level, anchorAt);
    m.store = this.store;
    m.onFlowProgress = this.onFlowProgress;
    return m;
  }

  /** Fixed points of the control and the single-gene queries, in state space (computed once per gene set). */
  async fixedPoints(genes: readonly number[]): Promise<Float64Array[]> {
    const key = genes.join(',');
    if (this.store.key === key) return this.store.fixedPoints!;
    const names = this.lcd.genes;
    const fixedPoints = await this.lcd.flowFixedPoints(
      [[], ...genes.map((j) => [names[j]!])],
      this.stepsPerLevel,
      this.onFlowProgress,
    );
    this.store.key = key; // in place, so every model sharing the box sees it
    this.store.fixedPoints = fixedPoints;
    return fixedPoints;
  }

  async responses(genes: readonly number[]): Promise<Responses> {
    const d = this.d,
      names = this.lcd.genes;
    this.lcd.assertTrainedLevel(this.level, 'the drift reading (--drift-level)'); // before the flow, not after it
    const fixedPoints = await this.fixedPoints(genes);
    // Drift at the anchor a (a = 0: the reference's f_z(−m/σ_all); control: at z*_ctrl), single-gene queries only.
    const anchor = anchorState(this.anchorAt, fixedPoints, d);
    const f0 = await this.lcd.driftAt(
      genes.map(() => anchor),
      genes.map((j) => [names[j]!]),
      this.level,
    );
    return { d, genes: [...genes], fixedPoints, f0, anchor };
  }
}
