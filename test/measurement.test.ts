// The measurement model: ZIP log-likelihood in the GEMM form on the GPU against the Float64 elementwise definition,
// unit scaling, tempered log-sum-exp, the GPU ZIP sampler against its Float64 twin and against the Poisson moments,
// and the prior fitted to counts simulated from a known latent distribution.
import { describe, it, expect } from 'vitest';
import { testEngine } from './helpers/gpu.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { CpuBackend } from '../src/ops/cpu-backend.ts';
import { Tape } from '../src/ops/tape.ts';
import {
  unitScaling,
  excessZeroLogits,
  zipLogLikRef,
  zipLogLikGemm,
  zipLogLikFromStates,
  temperedLossFused,
  countBatchConstants,
  temperedLogZRef,
  temperedLoss,
  softplus,
} from '../src/measurement/likelihood.ts';
import { zipSample, zipSampleRef } from '../src/measurement/kernels/zip-sample.ts';
import { zipLogLikDirect } from '../src/measurement/kernels/zip-loglik-direct.ts';
import { logFactorial } from '../src/reference/scalar.ts';
import { poisson } from '../src/sim/counts.ts';
import { scratchRng } from '../src/reference/rng.ts';
import type { Backend, TensorLike } from '../src/ops/backend.ts';
import { randomStream } from '../src/core/random-streams.ts';
import * as ad from '../src/ops/autodiff.ts';
import { checkVjp } from '../src/ops/check-vjp.ts';
import { refArray } from '../src/reference/kernels.ts';
import { expectClose, TOL } from './helpers/tolerance.ts';

const engine = await testEngine();
const rng = scratchRng(8);

function gemmLogLik<T extends TensorLike>(
  B: Backend<T>,
  X: Float32Array,
  nB: number,
  R: Float64Array,
  M: number,
  theta: Float64Array,
  d: number,
) {
  const k = countBatchConstants(X, nB, d),
    tape = new Tape(B);
  const batch = {
    X: tape.constant(B.fromArray(X, [nB, d])),
    Z: tape.constant(B.fromArray(k.Z, [nB, d])),
    NZ: tape.constant(B.fromArray(k.NZ, [nB, d])),
    lgammaSum: tape.constant(B.fromArray(k.lgammaSum, [nB, 1])),
  };
  return {
    tape,
    ell: zipLogLikGemm(tape, batch, tape.param(B.fromArray(R, [M, d])), tape.param(B.fromArray(theta, [1, d]))),
  };
}

describe('ZIP likelihood', () => {
  const d = 24,
    nB = 16,
    M = 40;
  const X = Float32Array.from({ length: nB * d }, () =>
    rng.uniform() < 0.4 ? 0 : poisson(3 * rng.uniform() + 0.2, rng),
  );
  const R = Float64Array.from({ length: M * d }, () => 0.05 + 6 * rng.uniform());
  const theta = Float64Array.from({ length: d }, () => rng.normal());
  const ref = zipLogLikRef(X, nB, R, M, theta, d);

  it('GEMM form equals the elementwise definition (f64 reference backend, 1e-12)', async () => {
    const { ell } = gemmLogLik(new CpuBackend(), X, nB, R, M, theta, d);
    const got = ell.value.data;
    for (let i = 0; i < ref.length; i++)
      expect(Math.abs(got[i]! - ref[i]!)).toBeLessThan(1e-10 * Math.abs(ref[i]!) + 1e-10);
  });
  it.skipIf(!engine)('GEMM form on the GPU equals the elementwise definition (~1e-5 relative in f32)', async () => {
    const B = new WebGPUBackend(engine!);
    await engine!.scope(async () => {
      const got = await B.toArray(gemmLogLik(B, X, nB, R, M, theta, d).ell.value);
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i]! - ref[i]!) / Math.abs(ref[i]!));
      expect(worst).toBeLessThan(1e-5);
    });
  });
  it.skipIf(!engine)('the elementwise WGSL kernel (benchmark baseline) equals the definition too', async () => {
    const got = await engine!.scope(async () =>
      engine!.read(
        zipLogLikDirect(
          engine!,
          engine!.upload(X, [nB, d]),
          engine!.upload(Float32Array.from(X, logFactorial), [nB, d]),
          engine!.upload(Float32Array.from(R), [M, d]),
          engine!.upload(Float32Array.from(theta), [d]),
        ),
      ),
    );
    for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i]! - ref[i]!) / Math.abs(ref[i]!)).toBeLessThan(1e-5);
  });
  // The prior's path: generator states S, rates u·softplus(S), fused rate terms (zip_rates each way) against the same
  // likelihood op by op.
  const S = Float64Array.from({ length: M * d }, () => 2 * rng.normal() + 0.5);
  const u = Float64Array.from({ length: d }, () => 0.5 + 4 * rng.uniform());
  const fromStates = <T extends TensorLike>(B: Backend<T>, fused: boolean, tape = new Tape(B)) => {
    const k = countBatchConstants(X, nB, d);
    const c = (a: ArrayLike<number>, shape: number[]) => tape.constant(B.fromArray(a, shape));
    const batch = { X: c(X, [nB, d]), Z: c(k.Z, [nB, d]), NZ: c(k.NZ, [nB, d]), lgammaSum: c(k.lgammaSum, [nB, 1]) };
    const s = tape.param(B.fromArray(S, [M, d])),
      th = tape.param(B.fromArray(theta, [1, d])),
      uT = B.fromArray(u, [1, d]);
    const ell = fused
      ? zipLogLikFromStates(tape, batch, s, uT, th)
      : zipLogLikGemm(tape, batch, ad.mul(tape, ad.unary(tape, 'softplus', s), tape.constant(uT)), th);
    return { tape, ell, s, th };
  };
  const gradsOf = async <T extends TensorLike>(B: Backend<T>, fused: boolean) => {
    const { tape, ell, s, th } = fromStates(B, fused);
    tape.backward(ad.meanAll(tape, ell));
    return { ell: await B.toArray(ell.value), gS: await B.toArray(s.grad!), gTheta: await B.toArray(th.grad!) };
  };
  it('fused rate terms: the same likelihood and gradients as op by op (f64), and check_vjp', async () => {
    const [a, b] = [await gradsOf(new CpuBackend(), true), await gradsOf(new CpuBackend(), false)];
    const tight = { atol: 1e-12, rtol: 1e-10 };
    expectClose(a.ell, b.ell, tight, 'ell');
    expectClose(a.gS, b.gS, tight, 'd/dS');
    expectClose(a.gTheta, b.gTheta, tight, 'd/dθ');
    const check = checkVjp(
      (tape, [s, th]) => {
        const k = countBatchConstants(X, nB, d);
        const c = (x: ArrayLike<number>, shape: number[]) => tape.constant(refArray(x, shape));
        const batch = {
          X: c(X, [nB, d]),
          Z: c(k.Z, [nB, d]),
          NZ: c(k.NZ, [nB, d]),
          lgammaSum: c(k.lgammaSum, [nB, 1]),
        };
        return zipLogLikFromStates(tape, batch, s!, refArray(u, [1, d]), th!);
      },
      [refArray(S, [M, d]), refArray(theta, [1, d])],
    );
    expect(check.relErr).toBeLessThan(TOL.vjpF64.rtol);
  });
  it.skipIf(!engine)(
    'fused rate terms on the GPU: the likelihood bit for bit op by op, gradients as the f64',
    async () => {
      const B = new WebGPUBackend(engine!);
      await engine!.scope(async () => {
        const [fused, ops] = [await gradsOf(B, true), await gradsOf(B, false)];
        expect(Array.from(fused.ell)).toEqual(Array.from(ops.ell));
        const want = await gradsOf(new CpuBackend(), true);
        expectClose(fused.gS, want.gS, TOL.grad, 'GPU d/dS');
        expectClose(fused.gTheta, want.gTheta, TOL.grad, 'GPU d/dθ');
      });
      expect(engine!.liveTensorCount).toBe(0);
    },
  );
  // The tempered loss with the per-cell constants kept out of the matrix, fused each way, against op by op.
  const lossOf = async <T extends TensorLike>(B: Backend<T>, fused: boolean, temps: number[]) => {
    const tape = new Tape(B);
    const ell = tape.param(B.fromArray(ref, [nB, M])),
      c = tape.param(
        B.fromArray(
          Float64Array.from({ length: nB }, (_, i) => -3 - 0.5 * i),
          [nB, 1],
        ),
      );
    const loss = fused ? temperedLossFused(tape, ell, c, temps) : temperedLoss(tape, ad.add(tape, ell, c), temps);
    tape.backward(loss);
    return { loss: await B.toArray(loss.value), gEll: await B.toArray(ell.grad!), gC: await B.toArray(c.grad!) };
  };
  it('fused tempered loss: the op-by-op loss and gradients (f64), and check_vjp', async () => {
    for (const temps of [[1], [1, 20]]) {
      const [a, b] = [await lossOf(new CpuBackend(), true, temps), await lossOf(new CpuBackend(), false, temps)];
      const tight = { atol: 1e-12, rtol: 1e-10 };
      expectClose(a.loss, b.loss, tight, `loss T=${temps}`);
      expectClose(a.gEll, b.gEll, tight, `d/dℓ T=${temps}`);
      expectClose(a.gC, b.gC, tight, `d/dc T=${temps}`);
      const check = checkVjp(
        (tape, [ell, c]) => temperedLossFused(tape, ell!, c!, temps),
        [
          refArray(ref, [nB, M]),
          refArray(
            Float64Array.from({ length: nB }, (_, i) => -i),
            [nB, 1],
          ),
        ],
      );
      expect(check.relErr).toBeLessThan(TOL.vjpF64.rtol);
    }
  });
  it.skipIf(!engine)('fused tempered loss on the GPU: loss and gradients as the f64', async () => {
    const B = new WebGPUBackend(engine!);
    for (const temps of [[1], [1, 20]]) {
      const got = await engine!.scope(() => lossOf(B, true, temps));
      const want = await lossOf(new CpuBackend(), false, temps);
      expectClose(got.loss, want.loss, TOL.transcendental, 'GPU loss');
      expectClose(got.gEll, want.gEll, TOL.grad, 'GPU d/dℓ');
      expectClose(got.gC, want.gC, TOL.grad, 'GPU d/dc');
    }
    expect(engine!.liveTensorCount).toBe(0);
  });
  it('tempered log-sum-exp: T = 1 is the MC marginal, large T tends to the mean over samples', () => {
    const ell = Float64Array.from({ length: 3 * 50 }, () => -20 + 5 * rng.normal());
    const mean = [0, 1, 2].map((i) => ell.subarray(i * 50, (i + 1) * 50).reduce((a, b) => a + b, 0) / 50);
    const z1 = temperedLogZRef(ell, 3, 50, 1);
    for (let i = 0; i < 3; i++)
      expect(z1[i]).toBeCloseTo(
        Math.log(ell.subarray(i * 50, (i + 1) * 50).reduce((a, b) => a + Math.exp(b), 0) / 50),
        9,
      );
    const gaps = [1, 10, 100, 1e4].map((T) => Math.abs(temperedLogZRef(ell, 3, 50, T)[0]! - mean[0]!));
    for (let k = 1; k < gaps.length; k++) expect(gaps[k]).toBeLessThan(gaps[k - 1]!);
    expect(gaps.at(-1)).toBeLessThan(0.01);
    // the tape loss (−mean over T and cells) equals the reference
    const B = new CpuBackend(),
      tape = new Tape(B);
    const loss = temperedLoss(tape, tape.constant(B.fromArray(ell, [3, 50])), [1, 20]);
    const expected = -(
      [1, 20].map((T) => temperedLogZRef(ell, 3, 50, T).reduce((a, b) => a + b, 0) / 3).reduce((a, b) => a + b, 0) / 2
    );
    expect(loss.value.data[0]).toBeCloseTo(expected, 9);
  });
  it('unit scaling ≈ λ on ZIP(λ = 5, π = 0.3) counts; clamped to 1 for λ < 1; 1 for an all-zero gene', () => {
    const n = 20000,
      x = new Float64Array(n * 3);
    for (let c = 0; c < n; c++) {
      x[c * 3] = rng.uniform() < 0.3 ? 0 : poisson(5, rng);
      x[c * 3 + 1] = rng.uniform() < 0.3 ? 0 : poisson(0.4, rng);
    }
    const u = unitScaling(x, n, 3);
    expect(Math.abs(u[0]! - 5)).toBeLessThan(0.1);
    expect(u[1]).toBe(1);
    expect(u[2]).toBe(1);
  });

  it("θ from the control's excess zeros recovers π of ZIP(λ, π) counts; no zeros → 0.005, only zeros → 0.95", () => {
    const n = 20000,
      lambdas = [2, 5, 0.5],
      pis = [0.3, 0.1, 0.05],
      d = 5,
      x = new Float64Array(n * d);
    for (let c = 0; c < n; c++) {
      lambdas.forEach((l, g) => {
        x[c * d + g] = rng.uniform() < pis[g]! ? 0 : poisson(l, rng);
      });
      x[c * d + 3] = 7; // never zero
    } // gene 4: always zero
    const pi = Array.from(excessZeroLogits(x, n, d), (t) => 1 / (1 + Math.exp(-t)));
    pis.forEach((p, g) => expect(Math.abs(pi[g]! - p), `gene ${g}`).toBeLessThan(0.03));
    expect(pi[3]).toBeCloseTo(0.005, 9);
    expect(pi[4]).toBeCloseTo(0.95, 9);
  });
});

describe.skipIf(!engine)('ZIP sampler on the GPU', () => {
  it('matches its Float64 twin draw for draw and the Poisson moments for rates 0.01 … 1000', async () => {
    const lambdas = [0.01, 0.3, 2, 9.5, 10.5, 50, 1000],
      n = 4000,
      d = lambdas.length;
    // states with u·softplus(s) = λ: u = λ/softplus(1.3), s = 1.3
    const u = lambdas.map((l) => l / softplus(1.3)),
      states = new Float32Array(n * d).fill(1.3);
    const zeroLogit = new Float32Array(d).fill(-30); // π ≈ 0: pure Poisson
    const gpu = await engine!.scope(async () =>
      engine!.read(
        zipSample(
          engine!,
          engine!.upload(states, [n, d]),
          engine!.upload(u, [d]),
          engine!.upload(zeroLogit, [d]),
          randomStream(17, 'decode.counts', 3, 1),
        ),
      ),
    );
    const ref = zipSampleRef(states, d, Float32Array.from(u), zeroLogit, randomStream(17, 'decode.counts', 3, 1));
    let same = 0;
    for (let i = 0; i < gpu.length; i++) if (gpu[i] === ref[i]) same++;
    expect(same / gpu.length).toBeGreaterThan(0.995); // f32 vs f64 may flip a draw at a CDF boundary
    lambdas.forEach((lam, g) => {
      let m = 0,
        q = 0;
      for (let c = 0; c < n; c++) {
        const x = gpu[c * d + g]!;
        m += x;
        q += x * x;
      }
      m /= n;
      const v = q / n - m * m;
      expect(Math.abs(m - lam), `mean at λ = ${lam}`).toBeLessThan(4.5 * Math.sqrt(lam / n) + 1e-3);
      expect(Math.abs(v - lam), `variance at λ = ${lam}`).toBeLessThan(
        5 * lam * Math.sqrt(2 / n) + 4.5 * Math.sqrt(lam / n) + 2e-3,
      );
    });
  });
  it('zero inflation removes a fraction π of the draws', async () => {
    const n = 20000,
      d = 2,
      states = new Float32Array(n * d).fill(4),
      u = [10, 10],
      logit = Float32Array.from([Math.log(0.3 / 0.7), -30]);
    const x = await engine!.scope(async () =>
      engine!.read(
        zipSample(
          engine!,
          engine!.upload(states, [n, d]),
          engine!.upload(u, [d]),
          engine!.upload(logit, [d]),
          randomStream(5, 'decode.counts'),
        ),
      ),
    );
    const lam = 10 * softplus(4);
    let m0 = 0,
      m1 = 0;
    for (let c = 0; c < n; c++) {
      m0 += x[c * d]!;
      m1 += x[c * d + 1]!;
    }
    expect(m0 / n / (m1 / n)).toBeCloseTo(0.7, 1);
    expect(Math.abs(m1 / n - lam)).toBeLessThan(4.5 * Math.sqrt(lam / n));
  });
});

describe.skipIf(!engine)('the prior fitted to simulated counts', () => {
  it('recovers the latent rate means (each within 15 %) and variances (mean ratio 0.5–1.5), the zero inflation (±0.08) and the mean counts (10 %)', async () => {
    const { CountPrior } = await import('../src/measurement/prior.ts');
    const B = new WebGPUBackend(engine!),
      d = 8,
      n = 2000,
      r = scratchRng(1);
    const mu = Array.from({ length: d }, (_, g) => -1 + 0.3 * g),
      sd = Array.from({ length: d }, (_, g) => 0.3 + 0.05 * g),
      u = 5,
      pi = 0.2;
    const S = Float64Array.from({ length: n * d }, (_, i) => mu[i % d]! + sd[i % d]! * r.normal());
    const X = Float32Array.from(S, (s) => (r.uniform() < pi ? 0 : poisson(u * softplus(s), r)));
    const screen = {
      genes: Array.from({ length: d }, (_, g) => `g${g}`),
      kind: 'counts' as const,
      envs: [{ name: 'ctrl', targets: [], values: X, cells: n }],
    };
    // the reference's model (one π per gene from N(0, 1)); the state-dependent one: test/measurement-state-zi.test.ts
    const prior = await new CountPrior(B, {
      steps: 1000,
      mcSamples: 512,
      temperatures: [1],
      learningRate: 1e-2,
      thetaInit: 'normal',
      zeroInflation: 'gene',
    }).fit(screen);
    expect(prior.losses.at(-1)!.loss).toBeLessThan(prior.losses[0]!.loss);
    const st = await prior.states('ctrl', 5000),
      piHat = await prior.zeroProb();
    let varRatio = 0;
    for (let g = 0; g < d; g++) {
      const rate = (s: ArrayLike<number>, k: number, scale: number) => {
        let m = 0,
          q = 0;
        for (let c = 0; c < k; c++) {
          const x = scale * softplus(s[c * d + g]!);
          m += x;
          q += x * x;
        }
        m /= k;
        return [m, q / k - m * m] as const;
      };
      const [mf, vf] = rate(st, 5000, prior.unitScale[g]!),
        [mt, vt] = rate(S, n, u);
      expect(Math.abs(mf / mt - 1), `rate mean of gene ${g}`).toBeLessThan(0.15); // low rates are partly confounded with π
      varRatio += vf / vt / d;
    }
    expect(varRatio).toBeGreaterThan(0.5);
    expect(varRatio).toBeLessThan(1.5);
    for (const p of piHat) expect(Math.abs(p - pi)).toBeLessThan(0.08);
    const ex = CountPrior.expectedCounts(st, d, prior.unitScale, piHat);
    let err = 0;
    for (let g = 0; g < d; g++) {
      let mf = 0,
        md = 0;
      for (let c = 0; c < 5000; c++) mf += ex[c * d + g]! / 5000;
      for (let c = 0; c < n; c++) md += X[c * d + g]! / n;
      err += Math.abs(mf / md - 1) / d;
    }
    expect(err).toBeLessThan(0.1);
    await expect(prior.states('X', 10)).rejects.toThrow(/no generator for 'X'/);
    await expect(new CountPrior(B).fit({ ...screen, kind: 'log1p' })).rejects.toThrow(
      /needs raw counts.*--measurement none/,
    );
    // a signal mid-fit names the stage and the real step (it once reported its loss readings as steps)
    const ac = new AbortController();
    await expect(
      new CountPrior(B, { steps: 400, mcSamples: 64 }).fit(screen, {
        signal: ac.signal,
        progressEvery: 10,
        onProgress: (p) => p.step >= 120 && ac.abort('SIGTERM'),
      }),
    ).rejects.toThrow(
      /interrupted \(SIGTERM\) in the measurement model after step 1[2-9]\d of 400; the measurement model keeps no checkpoint and is fitted again from its start on resume/,
    );
    prior.dispose();
  }, 300_000);
});

describe.skipIf(!engine)('the prior with joint steps, then each environment on its own', () => {
  it("an environment's own steps depend on nothing but θ, its generator and its cells: refitted alone from the saved joint state, the same bits", async () => {
    const { CountPrior } = await import('../src/measurement/prior.ts');
    const { savePrior, loadPrior } = await import('../src/measurement/io.ts');
    const { memoryStore } = await import('../src/io/file-store.ts');
    const B = new WebGPUBackend(engine!),
      d = 6,
      n = 120,
      r = scratchRng(4);
    const env = (name: string, shift: number) => ({
      name,
      targets: name === 'ctrl' ? [] : [name],
      cells: n,
      values: Float32Array.from({ length: n * d }, (_, i) =>
        r.uniform() < 0.15 ? 0 : poisson(4 * softplus(shift * (i % d === 0 ? 1 : 0) + 0.3 * r.normal()), r),
      ),
    });
    const screen = {
      genes: Array.from({ length: d }, (_, g) => `g${g}`),
      kind: 'counts' as const,
      envs: [env('ctrl', 0), env('A', 1.5), env('B', -1.5)],
    };
    const o = {
      steps: 40,
      jointSteps: 16,
      mcSamples: 64,
      batchSize: 16,
      warmupSteps: 5,
      generator: { latent: 4, layers: 1, wide: 8, wideLayers: 1 },
    };
    const read = async (t: Parameters<typeof B.toArray>[0]) => Array.from(await B.toArray(t));
    const full = await new CountPrior(B, o).fit(screen);
    expect(CountPrior.environmentSteps(full.o, 3)).toBe(8); // ⌈(40 − 16)/3⌉
    expect(full.losses.at(-1)!.step).toBe(16 + 3 * 8);
    // The joint steps alone, saved as a queued fit saves them, and environment B (index 2) refitted from the files.
    const joint = new CountPrior(B, o);
    joint.begin(screen);
    await joint.fitJoint(screen, 16);
    expect(await read(full.theta)).toEqual(await read(joint.theta)); // θ does not move after the joint steps
    expect(await read(full.beta!)).toEqual(await read(joint.beta!)); // nor does the zero inflation's slope (default 'state')
    const store = memoryStore();
    await savePrior(B, joint, store);
    const alone = loadPrior(B, store);
    alone.losses = [];
    await alone.fitEnvironment(screen, 2);
    for (const [k, t] of full.generators[2]!.entries())
      expect(await read(alone.generators[2]![k]!), `tensor ${k}`).toEqual(await read(t));
    expect(alone.losses).toEqual(full.losses.filter((l) => l.step > 16 + 2 * 8));
    // …and the other environments' generators are those of the joint state's, moved by their own steps only
    expect(await read(alone.generators[1]![0]!)).toEqual(await read(joint.generators[1]![0]!));
    expect(await read(full.generators[1]![0]!)).not.toEqual(await read(joint.generators[1]![0]!));
    // Joint steps equal to all the steps are the joint fit itself.
    const allJoint = await new CountPrior(B, { ...o, jointSteps: 40 }).fit(screen),
      plain = await new CountPrior(B, { ...o, jointSteps: undefined }).fit(screen);
    expect(await read(allJoint.theta)).toEqual(await read(plain.theta));
    expect(allJoint.losses).toEqual(plain.losses);
    // θ from the control's excess zeros instead of N(0, 1) (thetaInit 'control'): the fit starts there
    const fromControl = new CountPrior(B, { ...o, thetaInit: 'control' });
    fromControl.begin(screen);
    expect(await read(fromControl.theta)).toEqual(
      Array.from(Float32Array.from(excessZeroLogits(screen.envs[0]!.values, n, d))),
    );
    fromControl.dispose();
    await expect(new CountPrior(B, { ...o, jointSteps: 0 }).fit(screen)).rejects.toThrow(
      /joint steps \(0\) must be a whole number from 1 to its 40 steps \(--prior-joint-steps\)/,
    );
    [full, joint, alone, allJoint, plain].forEach((p) => p.dispose());
  }, 120_000);
});
