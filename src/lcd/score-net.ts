// LCD's noise-conditional score network (spec §4.2–4.4), on any Backend.
//
//   temb  = Dense_H(tanh(Dense_H(sinusoidal(t))))              one row per noise level t (a [L×H] table)
//   ē     = w·E                                                 perturbation embedding (see embedding.ts)
//   h1    = tanh(W1ᵀ x_in + b1 + temb[t] + U1 ē + u1),   x_in = z̃/√(1+σ²)
//   h2    = tanh(W2ᵀ h1 + b2 + U2 ē + u2)
//   g     = W3ᵀ h2 + b3
//   drift f(z̃) = (D − z̃)/σ²,  D = x_in − σ g   ("cond" model, "song" parameterisation)
//
// DSM with Song–Ermon weighting (λ_w = 2): for x̃ = x + σε the per-sample loss σ²·mean_g ½(f + (x̃ − x)/σ²)²
// equals mean_g ½ r² with r = σf + ε = ((s − 1)/σ)·x̃ − g + ε, s = 1/√(1+σ²). So only g is learned and the
// residual needs no division by σ² (well conditioned at σ = 0.01). (The tape computes it as ½·mean((g − target)²).)
import type { Backend, TensorLike } from '../ops/backend.ts';
import type { Tape, Var } from '../ops/tape.ts';
import * as ad from '../ops/autodiff.ts';
import { lecunNormal } from '../nn/init.ts';
import { normalStream } from '../reference/philox.ts';
import { randomStream } from '../core/random-streams.ts';
import { sinusoidalTable, N_LEVELS } from './schedule.ts';
import { condShapesOk, scoreCondKernel, scoreCondVjpKernel } from './kernels/score-cond.ts';
import { PARAM_NAMES, COND_PARAMS, type ParamName } from './param-names.ts';

export interface ScoreNetShape {
  d: number;
  H: number;
  De: number;
  G: number;
  L: number;
}

export { PARAM_NAMES, type ParamName } from './param-names.ts';

export function paramShapes(s: ScoreNetShape): Record<ParamName, number[]> {
  const { d, H, De, G } = s;
  return {
    'time.w1': [H, H],
    'time.b1': [H],
    'time.w2': [H, H],
    'time.b2': [H],
    'embed.table': [G, De],
    'inject1.w': [De, H],
    'inject1.b': [H],
    'inject2.w': [De, H],
    'inject2.b': [H],
    'mlp.w1': [d, H],
    'mlp.b1': [H],
    'mlp.w2': [H, H],
    'mlp.b2': [H],
    'mlp.w3': [H, d],
    'mlp.b3': [d],
  };
}

/** Flax defaults: lecun-normal kernels, zero biases, embedding table N(0, 0.01²); each from stream 'scoreNet.init' at its index. */
export function initParams(s: ScoreNetShape, seed: number): Record<ParamName, Float64Array> {
  const shapes = paramShapes(s);
  const out = {} as Record<ParamName, Float64Array>;
  PARAM_NAMES.forEach((name, k) => {
    const shape = shapes[name];
    const n = shape.reduce((a, b) => a * b, 1);
    if (name === 'embed.table') out[name] = normalStream(n, randomStream(seed, 'scoreNet.init', k), 0.01);
    else if (shape.length === 2) out[name] = lecunNormal(shape[0]!, shape[1]!, randomStream(seed, 'scoreNet.init', k));
    else out[name] = new Float64Array(n);
  });
  return out;
}

/** One DSM batch from one or several environments; all tensors already on the backend. */
export interface DsmBatch<T> {
  xin: T; // s·x̃ with x̃ = x + σ ε, s = 1/√(1+σ²)   [N×d]
  negTarget: T; // −(((s−1)/σ)·x̃ + ε)                  [N×d]  (so that r = g − target = g + negTarget)
  levels: T; // one-hot of t [N×L], or [N×rows], rows a multiple of 4 ≤ levelColumns (the table's gradient levelsᵀ·dh1)
  levelIndex: T; // t itself, as f32   [N]    (the forward gathers temb[t] in the first layer's epilogue)
  envWeights: T; // w, one row per environment of the batch   [k×G]
  /** One-hot sample → environment [N×k]; absent when k = 1 (the injection is then one broadcast bias row). */
  envRows?: T;
}

export class ScoreNet<T extends TensorLike> {
  readonly sinusoid: T;
  /** Columns of a training batch's one-hot levels when every level trains: L rounded up to a multiple of 4. Training
   *  runs the level table with that many rows (the extra rows zero and never selected), so that its backward
   *  products, whose inner or row dimension is the table's length, meet the register-blocked matmul's multiple-of-4
   *  rule instead of falling to the strided kernel (at L = 30: three products of 0.1–0.6 ms each on lavapipe). A
   *  padded row's gradient is exactly 0 and each real row's sums add only exact zeros, so the step's values are
   *  those of the L-row table. With fewer trained levels (LCD's trainLevels) the table is cut the same way to
   *  `levelRowsFor(trainLevels)` rows: the rows dropped are never selected, so again the same values. */
  readonly levelColumns: number;
  /** Whether a batch from one environment computes its conditioning with the fused op (score_cond); false runs the
   *  separate products, which give the same values (the tests compare the two). */
  fuseConditioning = true;
  /** The level table's first rows (zero rows past L), by row count, made on first use. */
  private readonly tables = new Map<number, T>();

  constructor(
    readonly B: Backend<T>,
    readonly shape: ScoreNetShape,
    readonly params: Record<ParamName, T>,
    /** The buffer every parameter is a slice of (PARAM_NAMES order), when they are packed: the optimiser updates them
     *  all in one pass over it. */
    readonly packed?: T,
  ) {
    this.sinusoid = B.fromArray(sinusoidalTable(shape.H, shape.L), [shape.L, shape.H]);
    this.levelColumns = ScoreNet.levelRowsFor(shape.L);
  }

  /** Rows of the level table a training batch uses when levels 0 … trainLevels − 1 train: a multiple of 4. */
  static levelRowsFor(trainLevels: number): number {
    return Math.ceil(trainLevels / 4) * 4;
  }

  /** The level table with `rows` rows: L (the table itself) or a multiple of 4 up to levelColumns. */
  private levelTable(rows: number): T {
    if (rows === this.shape.L) return this.sinusoid;
    if (rows % 4 !== 0 || rows < 4 || rows > this.levelColumns)
      throw new Error(
        `ScoreNet.dsmLoss: the batch's levels have ${rows} columns, not L (${this.shape.L}) or a multiple of 4 up to ${this.levelColumns}`,
      );
    let t = this.tables.get(rows);
    if (!t) {
      const { H, L } = this.shape,
        full = sinusoidalTable(H, L);
      // kept past the scope of the step that first asks for it: the network owns it (dispose)
      t = this.B.keep(
        this.B.fromArray(
          Float64Array.from({ length: rows * H }, (_, i) => full[i] ?? 0),
          [rows, H],
        ),
      );
      this.tables.set(rows, t);
    }
    return t;
  }

  static create<T extends TensorLike>(B: Backend<T>, shape: ScoreNetShape, seed: number): ScoreNet<T> {
    return ScoreNet.fromArrays(B, shape, initParams(shape, seed));
  }

  static fromArrays<T extends TensorLike>(
    B: Backend<T>,
    shape: ScoreNetShape,
    arrays: Record<ParamName, ArrayLike<number>>,
  ): ScoreNet<T> {
    const shapes = paramShapes(shape);
    const { whole, slices } = B.packed(PARAM_NAMES.map((name) => ({ data: arrays[name], shape: shapes[name] })));
    const params = {} as Record<ParamName, T>;
    PARAM_NAMES.forEach((name, i) => (params[name] = slices[i]!));
    return new ScoreNet(B, shape, params, whole);
  }

  list(): T[] {
    return PARAM_NAMES.map((n) => this.params[n]);
  }

  /** Free the parameters and the level table (the network is unusable afterwards). */
  dispose(): void {
    for (const t of this.list()) this.B.dispose(t);
    if (this.packed) this.B.dispose(this.packed);
    this.B.dispose(this.sinusoid);
    for (const t of this.tables.values()) this.B.dispose(t);
    this.tables.clear();
  }

  /** Overwrite every parameter's values in place (early stopping's best step, a checkpoint's). */
  setParams(arrays: Record<ParamName, ArrayLike<number>>): void {
    for (const n of PARAM_NAMES) this.B.write(this.params[n], arrays[n]);
  }

  /** DSM loss of one batch on the tape; returns the loss Var and the parameter Vars in PARAM_NAMES order. With
   *  `lossInto` the loss is added to that [1] tensor in place (the loss Var's value is then the running total). */
  dsmLoss(
    tape: Tape<T>,
    batch: DsmBatch<T>,
    lossInto: T | null = null,
    gradSlots: readonly T[] | null = null,
  ): { loss: Var<T>; vars: Var<T>[] } {
    const P = {} as Record<ParamName, Var<T>>;
    for (const n of PARAM_NAMES) P[n] = tape.param(this.params[n]);
    const c = (t: T) => tape.constant(t);
    // The level embedding table, with as many rows as the batch's one-hot levels have columns (L, levelColumns or
    // fewer: see there); each sample's row is gathered in the first layer's epilogue, its gradient is levelsᵀ·dh1.
    const sinusoid = this.levelTable(batch.levels.shape[1]!);
    const { h1, h2 } =
      !batch.envRows && this.fuseConditioning && condShapesOk(sinusoid.shape[0]!, this.shape.H, this.shape.De)
        ? this.fusedHiddenLayers(tape, P, sinusoid, batch, gradSlots)
        : this.hiddenLayers(tape, P, sinusoid, batch);
    // r = g − target straight from the last layer: −target rides in its epilogue. ½·mean(r²) (the sign of r does not
    // change the loss; this way g's gradient needs no negation).
    const r = ad.matmul(tape, h2, P['mlp.w3'], { bias: P['mlp.b3'], add: c(batch.negTarget) });
    const loss = ad.meanSquare(tape, r, 0.5, lossInto);
    return { loss, vars: PARAM_NAMES.map((n) => P[n]) };
  }

  /** The two hidden layers h1, h2 of a batch with its conditioning as separate products (several environments, or
   *  sizes the fused op does not take). */
  private hiddenLayers(
    tape: Tape<T>,
    P: Record<ParamName, Var<T>>,
    sinusoid: T,
    batch: DsmBatch<T>,
  ): { h1: Var<T>; h2: Var<T> } {
    const c = (t: T) => tape.constant(t);
    const xin = c(batch.xin);
    let h1: Var<T>, h2: Var<T>;
    const temb = ad.matmul(
      tape,
      ad.matmul(tape, c(sinusoid), P['time.w1'], { bias: P['time.b1'], act: 'tanh' }),
      P['time.w2'],
      { bias: P['time.b2'] },
    );
    // One row per sample, temb[t_i], gathered in the epilogue of the product it is added to (no one-hot product).
    const tRows = { table: temb, index: batch.levelIndex, selector: batch.levels };
    // Perturbation embedding and its per-layer injections: one [k×H] row per environment of the batch.
    const ebar = ad.matmul(tape, c(batch.envWeights), P['embed.table']);
    if (!batch.envRows) {
      // One environment: its injection folded into the layer biases (no per-sample rows), the layer's own bias b
      // added in the injection's epilogue: bias = (ē U + u) + b, one [1×H] row, in the order a separate add would.
      const H = this.shape.H;
      const row = (b: Var<T>) => ad.reshape(tape, b, [1, H]);
      const inj = (w: ParamName, b: ParamName, layer: ParamName) =>
        ad.reshape(tape, ad.matmul(tape, ebar, P[w], { bias: P[b], add: row(P[layer]) }), [H]);
      const bias1 = inj('inject1.w', 'inject1.b', 'mlp.b1'),
        bias2 = inj('inject2.w', 'inject2.b', 'mlp.b2');
      // tanh(x W1 + bias1 + temb[t]) in one matmul pass: the level rows ride in the epilogue (`addRows`).
      h1 = ad.matmul(tape, xin, P['mlp.w1'], { bias: bias1, addRows: tRows, act: 'tanh' });
      h2 = ad.matmul(tape, h1, P['mlp.w2'], { bias: bias2, act: 'tanh' });
    } else {
      // Several: each sample picks its environment's injection rows through the one-hot [N×k] selector.
      const inj1 = ad.matmul(tape, ebar, P['inject1.w'], { bias: P['inject1.b'] });
      const inj2 = ad.matmul(tape, ebar, P['inject2.w'], { bias: P['inject2.b'] });
      const rows = c(batch.envRows);
      const add1 = ad.matmul(tape, rows, inj1, { addRows: tRows }); // the level rows in the selector's epilogue
      h1 = ad.matmul(tape, xin, P['mlp.w1'], { bias: P['mlp.b1'], add: add1, act: 'tanh' });
      h2 = ad.matmul(tape, h1, P['mlp.w2'], { bias: P['mlp.b2'], add: ad.matmul(tape, rows, inj2), act: 'tanh' });
    }
    return { h1, h2 };
  }

  /** The same layers for a batch from one environment, the conditioning (the level table and both bias rows) one
   *  fused op on the tape: score_cond forward, score_cond_vjp backward (lcd/kernels/score-cond.ts), the values of
   *  the separate products. */
  private fusedHiddenLayers(
    tape: Tape<T>,
    P: Record<ParamName, Var<T>>,
    sinusoid: T,
    batch: DsmBatch<T>,
    gradSlots: readonly T[] | null,
  ): { h1: Var<T>; h2: Var<T> } {
    const B = this.B;
    // the conditioning's gradients straight into the optimiser's slots, when given (no copy there)
    const into = gradSlots ? COND_PARAMS.map((n) => gradSlots[PARAM_NAMES.indexOf(n)]!) : [];
    const params = COND_PARAMS.map((n) => P[n]);
    const [temb, bias1, bias2, saved] = B.fused(
      scoreCondKernel,
      [sinusoid, batch.envWeights, ...params.map((v) => v.value)],
      {},
    );
    const [tembVar, bias1Var, bias2Var] = tape.recordMulti('score_cond', [temb!, bias1!, bias2!], params, (gs) => {
      const [gT, g1, g2] = gs;
      if (!gT || !g1 || !g2)
        throw new Error('ScoreNet: the conditioning needs the gradients of the level table and both bias rows');
      return B.fused(
        scoreCondVjpKernel,
        [
          sinusoid,
          batch.envWeights,
          saved!,
          gT,
          g1,
          g2,
          ...(['time.w2', 'embed.table', 'inject1.w', 'inject2.w'] as const).map((n) => P[n].value),
          ...into,
        ],
        {},
      );
    });
    const xin = tape.constant(batch.xin);
    const rows = { table: tembVar!, index: batch.levelIndex, selector: batch.levels };
    // tanh(x W1 + bias1 + temb[t]) in one matmul pass: the level rows ride in the epilogue (`addRows`).
    const h1 = ad.matmul(tape, xin, P['mlp.w1'], { bias: bias1Var!, addRows: rows, act: 'tanh' });
    const h2 = ad.matmul(tape, h1, P['mlp.w2'], { bias: bias2Var!, act: 'tanh' });
    return { h1, h2 };
  }

  /** [L×H] level-embedding table plus b1 (no tape). */
  levelBiasTable(): T {
    const B = this.B,
      p = this.params;
    return B.scope(() => {
      const temb = B.matmul(B.matmul(this.sinusoid, p['time.w1'], { bias: p['time.b1'], act: 'tanh' }), p['time.w2'], {
        bias: p['time.b2'],
      });
      return B.binary('add', temb, p['mlp.b1']);
    });
  }

  /** First-layer bias of every environment at level t: U1ē + u1 (inj1, [E×H]) + temb[t] + b1. */
  firstLayerBias(inj1: T, level: number, levelTable?: T): T {
    const B = this.B,
      L = this.shape.L;
    const table = levelTable ?? this.levelBiasTable();
    const onehot = new Float64Array(L);
    onehot[level] = 1;
    const oh = B.fromArray(onehot, [1, L]);
    const row = B.matmul(oh, table);
    const out = B.binary('add', inj1, row);
    B.dispose(oh);
    B.dispose(row);
    if (!levelTable) B.dispose(table);
    return out;
  }

  /** Injection rows for environments with target-weight rows w_e (TargetVocab.weights): U1 ē + u1 and U2 ē + u2 + b2, each [E×H]. */
  envBiases(weights: readonly Float64Array[]): { inj1: T; bias2: T } {
    const B = this.B,
      p = this.params,
      { G, De } = this.shape,
      E = weights.length;
    return B.scope(() => {
      let ebar: T;
      if (G > 0) {
        const W = new Float64Array(E * G);
        weights.forEach((w, e) => W.set(w, e * G));
        ebar = B.matmul(B.fromArray(W, [E, G]), p['embed.table']);
      } else ebar = B.full([E, De], 0); // no targets seen in training: every ē is 0
      return {
        inj1: B.matmul(ebar, p['inject1.w'], { bias: p['inject1.b'] }),
        bias2: B.binary('add', B.matmul(ebar, p['inject2.w'], { bias: p['inject2.b'] }), p['mlp.b2']),
      };
    });
  }

  /**
   * Network output g for states z [E·P × d] (environment-major rows, P particles each) at level t:
   * x_in = s·z is folded into the first matmul's alpha, the per-(level, env) biases ride in the epilogues.
   */
  outputAt(z: T, s: number, bias1: T, bias2: T, particles: number): T {
    const B = this.B,
      p = this.params;
    const h1 = B.matmul(z, p['mlp.w1'], { alpha: s, bias: bias1, biasRowsPerGroup: particles, act: 'tanh' });
    const h2 = B.matmul(h1, p['mlp.w2'], { bias: bias2, biasRowsPerGroup: particles, act: 'tanh' });
    const g = B.matmul(h2, p['mlp.w3'], { bias: p['mlp.b3'] });
    B.dispose(h1);
    B.dispose(h2);
    return g;
  }
}

export { N_LEVELS };
