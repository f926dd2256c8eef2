// PEPER (Gaudelet et al. 2024; spec §10): the additive prediction plus a learned correction of the sum,
//   mean(T) = μ_ctrl + Σ_{j∈T} s_j + f₂(Σ_{j∈T} f₁(s_j)),   s_j = μ_j − μ_ctrl (gene j's single-perturbation shift;
//   the pooled perturbed shift when j has no single),
// f₁, f₂ ReLU MLPs (f₁: d → H → … → H, f₂: H → … → H → d linear out). Trained on every training perturbation with the
// loss √(Σ_cells ‖mean(T) − x‖²) over a batch of one environment's cells, Adam(W); predictions are the control cells
// shifted by mean(T) − μ_ctrl. Differences from the reference, for this machine: default 2,000 steps at lr 1e-3
// and H = 256 (reference 30k, 1e-4, 1024), decoupled weight decay (AdamW) instead of an L2 term.
import { etaSeconds } from '../core/format.ts';
import { trainLoop } from '../nn/train-loop.ts';
import type { Backend, TensorLike } from '../ops/backend.ts';
import type { Screen } from '../data/dataset.ts';
import { singleGeneShifts, type SingleGeneShifts } from './additive.ts';
import { Tape, type Var } from '../ops/tape.ts';
import * as ad from '../ops/autodiff.ts';
import { AdamW } from '../nn/adamw.ts';
import { lecunNormal } from '../nn/init.ts';
import { randomStream } from '../core/random-streams.ts';
import { cosineSchedule } from '../gpu/kernels/schedules.ts';
import { Rng } from '../reference/rng.ts';

export interface PeperOptions {
  hidden: number;
  layers: number;
  steps: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  seed: number;
}
export const PEPER_DEFAULTS: PeperOptions = {
  hidden: 256,
  layers: 2,
  steps: 2000,
  batchSize: 256,
  learningRate: 1e-3,
  weightDecay: 0.003,
  seed: 0,
};

export class Peper<T extends TensorLike> {
  readonly o: PeperOptions;
  private shifts!: SingleGeneShifts;
  private ctrlMean!: Float64Array;
  private weights: T[] = [];
  private d = 0;

  constructor(
    private readonly B: Backend<T>,
    o: Partial<PeperOptions> = {},
  ) {
    this.o = { ...PEPER_DEFAULTS, ...o };
  }

  private shift(t: string): Float64Array {
    return this.shifts.shiftOf(t);
  }

  /** Layer sizes of f₁ then f₂; weights lecun-normal, biases 0. */
  private sizes(): number[][] {
    const H = this.o.hidden,
      L = Math.max(1, this.o.layers);
    return [
      [this.d, ...Array(L).fill(H)],
      [...Array(L).fill(H), this.d],
    ];
  }

  private forward(tape: Tape<T>, targets: readonly string[], w: Var<T>[]): Var<T> {
    const S = Float32Array.from(
      { length: targets.length * this.d },
      (_, i) => this.shift(targets[Math.floor(i / this.d)]!)[i % this.d]!,
    );
    let h = tape.constant(this.B.fromArray(S, [targets.length, this.d]));
    let k = 0;
    const [f1, f2] = this.sizes();
    for (let l = 0; l + 1 < f1!.length; l++, k += 2) h = ad.matmul(tape, h, w[k]!, { bias: w[k + 1]!, act: 'relu' });
    h = ad.sum(tape, h, 0, true); // Σ_j f₁(s_j): [1 × H]
    for (let l = 0; l + 1 < f2!.length; l++, k += 2)
      h = ad.matmul(tape, h, w[k]!, { bias: w[k + 1]!, act: l + 2 < f2!.length ? 'relu' : 'identity' });
    const base = new Float32Array(this.d);
    for (let g = 0; g < this.d; g++) base[g] = this.ctrlMean[g]! + targets.reduce((s, t) => s + this.shift(t)[g]!, 0);
    return ad.add(tape, h, tape.constant(this.B.fromArray(base, [1, this.d])));
  }

  /** `onProgress`: every 100 steps, once they have run on the device (a short wait each time), with an ETA. */
  async fit(train: Screen, onProgress?: (p: { step: number; steps: number; etaS: number }) => void): Promise<this> {
    const B = this.B,
      d = (this.d = train.genes.length);
    this.shifts = singleGeneShifts(train);
    this.ctrlMean = this.shifts.ctrlMean;
    const perturbed = train.envs.slice(1);
    let layer = 0;
    for (const sz of this.sizes())
      for (let l = 0; l + 1 < sz.length; l++, layer++) {
        this.weights.push(
          B.fromArray(lecunNormal(sz[l]!, sz[l + 1]!, randomStream(this.o.seed, 'peper.init', layer)), [
            sz[l]!,
            sz[l + 1]!,
          ]),
          B.full([sz[l + 1]!], 0),
        );
      }
    const opt = new AdamW(B, this.weights, {
      schedule: cosineSchedule(this.o.learningRate, this.o.steps),
      weightDecay: this.o.weightDecay,
    });
    const rng = new Rng(randomStream(this.o.seed, 'peper.batch')),
      t0 = performance.now();
    await trainLoop(B, {
      steps: this.o.steps,
      step: () => {
        const e = perturbed[rng.int(perturbed.length)]!;
        const b = Math.min(this.o.batchSize, e.cells),
          X = new Float32Array(b * d);
        for (let r = 0; r < b; r++) {
          const c = rng.int(e.cells);
          X.set(e.values.subarray(c * d, (c + 1) * d), r * d);
        }
        const tape = new Tape(B);
        const w = this.weights.map((p) => tape.param(p));
        const mean = this.forward(tape, e.targets, w);
        const loss = ad.unary(
          tape,
          'sqrt',
          ad.sumAll(tape, ad.unary(tape, 'square', ad.sub(tape, tape.constant(B.fromArray(X, [b, d])), mean))),
        );
        tape.backward(loss);
        opt.update(w.map((v) => v.grad));
        return loss.value;
      },
      // Every 100th loss, read after training so the queue never stalls for it.
      readback: { mode: 'point', at: (step) => step % 100 === 0 || step === this.o.steps - 1, deferred: true },
      onLoss: (step, loss) => this.losses.push({ step, loss }),
      afterStep: async (done) => {
        if (!onProgress || (done % 100 !== 0 && done !== this.o.steps)) return;
        await B.settle();
        const elapsed = (performance.now() - t0) / 1e3;
        onProgress({ step: done, steps: this.o.steps, etaS: etaSeconds(elapsed, done, this.o.steps) });
      },
    });
    opt.dispose();
    return this;
  }
  private losses: { step: number; loss: number }[] = [];

  /** Training losses every 100 steps (read back once, after training). */
  async lossCurve(): Promise<{ step: number; loss: number }[]> {
    return [...this.losses];
  }

  dispose(): void {
    this.weights.forEach((w) => this.B.dispose(w));
    this.weights = [];
  }

  /** Predicted mean expression for a target set. */
  async predictMean(targets: readonly string[]): Promise<Float32Array> {
    return this.B.scope(async () => {
      const tape = new Tape(this.B);
      const mean = this.forward(
        tape,
        targets,
        this.weights.map((p) => tape.constant(p)),
      );
      return Float32Array.from(await this.B.toArray(mean.value));
    });
  }

  /** Control cells shifted by the predicted mean shift. */
  async predict(train: Screen, targets: readonly string[]): Promise<Float32Array> {
    const m = await this.predictMean(targets),
      ctrl = train.envs[0]!,
      d = this.d,
      out = new Float32Array(ctrl.values.length);
    for (let i = 0; i < out.length; i++) out[i] = ctrl.values[i]! + m[i % d]! - this.ctrlMean[i % d]!;
    return out;
  }
}
