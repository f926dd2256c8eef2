// The state-dependent zero inflation (PriorOptions.zeroInflation 'state' with one slope, 'state-gene' with a slope
// per gene; logit π = θ_g + β_g·(log ρ − log u_g)):
// the prior's loss in the GEMM form against the Float64 elementwise definition, β = 0 against the per-gene model,
// gradients by check_vjp and on the GPU, the sampler's zeros against the closed form, the fitted slope on counts
// simulated with dropout that falls with expression, and the saved model.
import { describe, it, expect } from 'vitest';
import { testEngine } from './helpers/gpu.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { CpuBackend } from '../src/ops/cpu-backend.ts';
import { Tape } from '../src/ops/tape.ts';
import {
  zipLogLikRef,
  zipLossFromStates,
  countBatchConstants,
  temperedLogZRef,
  softplus,
  excessZeroSlope,
} from '../src/measurement/likelihood.ts';
import { zipSample, zipSampleRef } from '../src/measurement/kernels/zip-sample.ts';
import { CountPrior } from '../src/measurement/prior.ts';
import { decodeCounts } from '../src/measurement/decode.ts';
import { savePrior, loadPrior } from '../src/measurement/io.ts';
import { memoryStore } from '../src/io/file-store.ts';
import { poisson } from '../src/sim/counts.ts';
import { scratchRng } from '../src/reference/rng.ts';
import type { Backend, TensorLike } from '../src/ops/backend.ts';
import { randomStream } from '../src/core/random-streams.ts';
import { checkVjp } from '../src/ops/check-vjp.ts';
import { refArray } from '../src/reference/kernels.ts';
import { expectClose, TOL } from './helpers/tolerance.ts';

const engine = await testEngine();
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('the prior loss with a state-dependent zero inflation', () => {
  const rng = scratchRng(21);
  const d = 9,
    nB = 12,
    M = 30,
    temps = [1, 20];
  const X = Float32Array.from({ length: nB * d }, () =>
    rng.uniform() < 0.35 ? 0 : poisson(0.2 + 4 * rng.uniform(), rng),
  );
  const S = Float64Array.from({ length: M * d }, () => 1.5 * rng.normal());
  const u = Float64Array.from({ length: d }, () => 0.8 + 3 * rng.uniform());
  const theta = Float64Array.from({ length: d }, () => rng.normal());
  const beta = Float64Array.from({ length: d }, () => -2.5 + 3 * rng.uniform());
  const k = countBatchConstants(X, nB, d);

  const lossOf = <T extends TensorLike>(B: Backend<T>, b: ArrayLike<number> | null, tape = new Tape(B)) => {
    const c = (a: ArrayLike<number>, shape: number[]) => tape.constant(B.fromArray(a, shape));
    const batch = { X: c(X, [nB, d]), Z: c(k.Z, [nB, d]), NZ: c(k.NZ, [nB, d]), lgammaSum: c(k.lgammaSum, [nB, 1]) };
    const s = tape.param(B.fromArray(S, [M, d])),
      th = tape.param(B.fromArray(theta, [1, d])),
      be = b ? tape.param(B.fromArray(b, [1, b.length])) : undefined; // [1×d] per gene, [1×1] shared
    const loss = zipLossFromStates(tape, batch, s, B.fromArray(u, [1, d]), th, temps, be);
    return { tape, loss, s, th, be };
  };
  // −(1/|T|) Σ_T mean_i logZ_T[i] from the elementwise Float64 log-likelihood
  const refLoss = (b: ArrayLike<number>) => {
    const R = Float64Array.from(S, (s, i) => u[i % d]! * softplus(s));
    const ell = zipLogLikRef(X, nB, R, M, theta, d, { beta: b, u });
    let total = 0;
    for (const t of temps) total += temperedLogZRef(ell, nB, M, t).reduce((a, v) => a + v, 0) / nB;
    return -total / temps.length;
  };

  it('equals the elementwise definition (f64); β = 0 is the per-gene model', async () => {
    const B = new CpuBackend();
    expect(Math.abs(lossOf(B, beta).loss.value.data[0]! - refLoss(beta))).toBeLessThan(1e-9 * Math.abs(refLoss(beta)));
    const zero = new Float64Array(d);
    const [state0, gene] = [lossOf(B, zero).loss.value.data[0]!, lossOf(B, null).loss.value.data[0]!];
    expect(Math.abs(state0 - gene)).toBeLessThan(1e-9 * Math.abs(gene));
    // and the slopes matter: the same states and θ with β ≠ 0 score differently
    expect(Math.abs(lossOf(B, beta).loss.value.data[0]! - gene)).toBeGreaterThan(0.1);
  });

  // check_vjp of the loss through the states, θ and the slopes b (a slope per gene, or one shared [1×1])
  const vjpErr = (b: ArrayLike<number>) =>
    checkVjp(
      (tape, [s, th, be]) => {
        const c = (a: ArrayLike<number>, shape: number[]) => tape.constant(refArray(a, shape));
        const batch = {
          X: c(X, [nB, d]),
          Z: c(k.Z, [nB, d]),
          NZ: c(k.NZ, [nB, d]),
          lgammaSum: c(k.lgammaSum, [nB, 1]),
        };
        return zipLossFromStates(tape, batch, s!, refArray(u, [1, d]), th!, temps, be);
      },
      [refArray(S, [M, d]), refArray(theta, [1, d]), refArray(b, [1, b.length])],
    ).relErr;

  it('check_vjp through the states, θ and β (f64)', () => {
    expect(vjpErr(beta)).toBeLessThan(TOL.vjpF64.rtol);
  });

  it('one shared slope [1×1] scores as the same slope repeated per gene, and check_vjp holds through it (f64)', () => {
    const B = new CpuBackend();
    const lossWith = (b: ArrayLike<number>) => lossOf(B, b).loss.value.data[0]!;
    const [shared, perGene] = [lossWith([beta[0]!]), lossWith(new Float64Array(d).fill(beta[0]!))];
    expect(Math.abs(shared - perGene)).toBeLessThan(1e-12 * Math.abs(perGene));
    expect(vjpErr([beta[0]!])).toBeLessThan(TOL.vjpF64.rtol);
  });

  it.skipIf(!engine)('on the GPU: the loss and its gradients as the f64', async () => {
    const grads = async <T extends TensorLike>(B: Backend<T>) => {
      const { tape, loss, s, th, be } = lossOf(B, beta);
      tape.backward(loss);
      return {
        loss: await B.toArray(loss.value),
        gS: await B.toArray(s.grad!),
        gT: await B.toArray(th.grad!),
        gB: await B.toArray(be!.grad!),
      };
    };
    const want = await grads(new CpuBackend());
    const got = await engine!.scope(() => grads(new WebGPUBackend(engine!)));
    expectClose(got.loss, want.loss, TOL.transcendental, 'loss');
    expectClose(got.gS, want.gS, TOL.grad, 'd/dS');
    expectClose(got.gT, want.gT, TOL.grad, 'd/dθ');
    expectClose(got.gB, want.gB, TOL.grad, 'd/dβ');
    expect(engine!.liveTensorCount).toBe(0);
  });
});

describe("the slope's starting point from the control", () => {
  // per-gene ZIP(λ_g, π_g) counts, λ_g from 0.5 to 20: the slope of excess-zero logits on log mean count across genes
  const control = (logit: (lam: number) => number, n = 4000, d = 12) => {
    const r = scratchRng(9);
    const lam = Array.from({ length: d }, (_, g) => 0.5 * Math.pow(40, g / (d - 1)));
    const X = Float32Array.from({ length: n * d }, (_, i) => {
      const l = lam[i % d]!;
      return r.uniform() < sigmoid(logit(l)) ? 0 : poisson(l, r);
    });
    return excessZeroSlope(X, n, d);
  };
  it('is about 0 when every gene has the same π, negative when π falls with expression, 0 without three usable genes', () => {
    expect(Math.abs(control(() => -1))).toBeLessThan(0.15);
    // logit π = 0.5 − 1.5·log λ; the mean count (1 − π)λ rises faster than λ, so the slope on it is a little shallower
    const b = control((l) => 0.5 - 1.5 * Math.log(l));
    expect(b).toBeLessThan(-0.9);
    expect(b).toBeGreaterThan(-1.6);
    expect(excessZeroSlope(new Float32Array([0, 1, 0, 2]), 2, 2)).toBe(0);
  });
});

describe.skipIf(!engine)('the sampler with slopes', () => {
  it('draws as its Float64 twin, with the zero fraction π + (1 − π)e^{−λ} of the state-dependent π', async () => {
    const d = 4,
      n = 6000,
      rates = [0.3, 1, 3, 12],
      u = [1, 2, 2, 6],
      theta = [-1, 0, -2, 0.5],
      slope = [-2, -1, 0.5, -3];
    const states = Float32Array.from({ length: n * d }, (_, i) => {
      const r = rates[i % d]! / u[i % d]!; // softplus(s) = λ/u
      return Math.log(Math.expm1(r));
    });
    const stream = randomStream(3, 'decode.counts', 7);
    const got = await engine!.scope(async () =>
      engine!.read(
        zipSample(
          engine!,
          engine!.upload(states, [n, d]),
          engine!.upload(Float32Array.from(u), [d]),
          engine!.upload(Float32Array.from(theta), [d]),
          stream,
          engine!.upload(Float32Array.from(slope), [d]),
        ),
      ),
    );
    const ref = zipSampleRef(states, d, u, theta, stream, slope);
    let same = 0;
    for (let i = 0; i < got.length; i++) if (got[i] === ref[i]) same++;
    expect(same / got.length).toBeGreaterThan(0.995);
    for (let g = 0; g < d; g++) {
      const lam = u[g]! * softplus(states[g]!),
        pi = sigmoid(theta[g]! + slope[g]! * Math.log(lam / u[g]!)),
        p0 = pi + (1 - pi) * Math.exp(-lam);
      let zeros = 0;
      for (let c = 0; c < n; c++) if (got[c * d + g] === 0) zeros++;
      expect(Math.abs(zeros / n - p0), `gene ${g}`).toBeLessThan(4 * Math.sqrt((p0 * (1 - p0)) / n));
    }
  });
});

describe.skipIf(!engine)('the state-dependent prior fitted to counts with dropout that falls with expression', () => {
  it('finds the negative slope the per-gene model cannot express, scores better, and saves and loads it', async () => {
    const B = new WebGPUBackend(engine!),
      d = 6,
      n = 1500,
      r = scratchRng(5);
    // rates u·softplus(s) with a wide spread per gene; dropout logit θ + β·log(ρ/u), β = −2 (the simulators' form)
    const u = 4,
      thetaTrue = -1,
      betaTrue = -2;
    // one shared factor per cell: dropout is independent across genes given the state, low rates are not, which is
    // what tells the two kinds of zeros apart (with independent genes any zero inflation is a latent mass at rate 0)
    const z = Float64Array.from({ length: n }, () => r.normal());
    const S = Float64Array.from(
      { length: n * d },
      (_, i) => -0.5 + 0.2 * (i % d) + 1.2 * z[Math.floor(i / d)]! + 0.2 * r.normal(),
    );
    const X = Float32Array.from(S, (s) => {
      const rho = u * softplus(s);
      return r.uniform() < sigmoid(thetaTrue + betaTrue * Math.log(rho / u)) ? 0 : poisson(rho, r);
    });
    const screen = {
      genes: Array.from({ length: d }, (_, g) => `g${g}`),
      kind: 'counts' as const,
      envs: [{ name: 'ctrl', targets: [], values: X, cells: n }],
    };
    // the last 200 steps' losses (noisy single batches), on average
    const tail = (p: { losses: { step: number; loss: number }[] }) => {
      const l = p.losses.filter((x) => x.step >= o.steps - 200);
      return l.reduce((a, x) => a + x.loss, 0) / l.length;
    };
    const o = { steps: 1000, mcSamples: 256, temperatures: [1], learningRate: 1e-2, warmupSteps: 50 };
    const state = await new CountPrior(B, { ...o, zeroInflation: 'state' }).fit(screen);
    const perGene = await new CountPrior(B, { ...o, zeroInflation: 'state-gene' }).fit(screen);
    const gene = await new CountPrior(B, { ...o, zeroInflation: 'gene' }).fit(screen);
    const slopes = (await state.slopes())!;
    expect(await gene.slopes()).toBeUndefined();
    // one slope, repeated for every gene, near β = −2, and a slope per gene below 0 for every gene (both start at
    // the control's slope across genes)
    expect(new Set(slopes).size).toBe(1);
    expect(slopes[0]).toBeLessThan(-1.3);
    expect(slopes[0]).toBeGreaterThan(-2.7);
    const own = (await perGene.slopes())!;
    expect(new Set(own).size).toBe(d);
    for (const b of own) expect(b, 'fitted slope of a gene').toBeLessThan(0);
    expect(own.reduce((a, b) => a + b, 0) / d).toBeLessThan(-0.8);
    expect(tail(state)).toBeLessThan(tail(gene));
    expect(tail(perGene)).toBeLessThan(tail(gene));
    // decoded prior states have the data's zeros, gene by gene within 0.05
    const dec = await state.decoder();
    expect(Array.from(dec.zeroSlope!)).toEqual(Array.from(Float32Array.from(slopes)));
    const counts = await decodeCounts(engine!, await state.states('ctrl', 4000), d, dec, 0);
    for (let g = 0; g < d; g++) {
      const zeros = (x: ArrayLike<number>, cells: number) => {
        let k = 0;
        for (let c = 0; c < cells; c++) if (x[c * d + g] === 0) k++;
        return k / cells;
      };
      expect(Math.abs(zeros(counts, 4000) - zeros(X, n)), `zeros of gene ${g}`).toBeLessThan(0.05);
    }
    // saved and loaded: the same slopes; a file that says 'state' without them is refused
    const store = memoryStore();
    await savePrior(B, state, store);
    const back = loadPrior(B, store);
    expect(Array.from((await back.slopes())!)).toEqual(Array.from(slopes));
    const storeOwn = memoryStore();
    await savePrior(B, perGene, storeOwn);
    const backOwn = loadPrior(B, storeOwn);
    expect(Array.from((await backOwn.slopes())!)).toEqual(Array.from(own));
    const { decodeSafetensors, encodeSafetensors } = await import('../src/io/safetensors.ts');
    const { tensors } = decodeSafetensors(store.read('measurement.safetensors')!, 'm');
    delete tensors['zero_slope'];
    store.write(
      'measurement.safetensors',
      encodeSafetensors(
        Object.fromEntries(
          Object.entries(tensors).map(([k, t]) => [k, { shape: t.shape, data: Float32Array.from(t.data) }]),
        ),
        { format: 'lcd-webgpu-measurement/1' },
      ),
    );
    expect(() => loadPrior(B, store)).toThrow(/tensor zero_slope is missing/);
    [state, perGene, gene, back, backOwn].forEach((p) => p.dispose());
  }, 300_000);
});
