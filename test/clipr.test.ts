// CLIPR (spec §6, §16.8–16.10) and the causal metrics; batched GPU solves against the f64 reference.
import { describe, it, expect } from 'vitest';
import { linearScreen } from '../src/sim/linear.ts';
import { LinearDriftOracle, GaussianScoreOracle } from '../src/clipr/drift-models.ts';
import { clipr, solveLinearDrift } from '../src/clipr/clipr.ts';
import { causalMetrics, auroc, ovoAuroc, averagePrecision } from '../src/metrics/causal.ts';
import * as la from '../src/reference/linalg.ts';
import { scratchRng } from '../src/reference/rng.ts';
import { testEngine } from './helpers/gpu.ts';
import {
  solveSpdBatched,
  solveBatched,
  choleskyBatched,
  luBatched,
  asU32,
  SingularMatrixError,
} from '../src/clipr/kernels/solve.ts';

const maxAbs = (x: ArrayLike<number>) => Array.from(x).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe('Tikhonov forms (§16.10)', () => {
  it('Mᵀ(MMᵀ + λI_d)⁻¹ = (MᵀM + λI_k)⁻¹Mᵀ to f64 precision, for k < d and k = d', () => {
    const rng = scratchRng(4);
    for (const [d, k] of [
      [20, 7],
      [15, 15],
    ] as const) {
      const M = Float64Array.from({ length: d * k }, () => rng.normal());
      const a = la.tikhonovPinvDxD(M, d, k, 1e-3),
        b = la.tikhonovPinvKxK(M, d, k, 1e-3);
      expect(maxAbs(a.map((v, i) => v - b[i]!)) / maxAbs(a)).toBeLessThan(1e-10);
    }
  });
});

describe('CLIPR on exact linear drifts (§16.8)', () => {
  it('recovers A with p = d: OVO-AUROC 1, Pearson ≥ 0.98; k×k and d×d forms agree', async () => {
    const { params, perturbed } = linearScreen({ d: 30, perturbed: 30, cellsPerEnv: 2, seed: 1 });
    const genes = perturbed;
    const res = await clipr(new LinearDriftOracle(params), genes, { lambda: 1e-4 });
    const m = causalMetrics(params.aCausal, res.aCausal, 30);
    expect(m.auroc).toBe(1);
    expect(m.pearson).toBeGreaterThan(0.98);
    const other = await clipr(new LinearDriftOracle(params), genes, { lambda: 1e-4, form: 'kxk' });
    expect(maxAbs(other.A.map((v, i) => v - res.A[i]!)) / maxAbs(res.A)).toBeLessThan(1e-8);
    // b and c reproduce the generator's drift at the fixed points: A x*_ctrl + b = 0.
    expect(
      maxAbs(la.matmul(res.A, res.responses.fixedPoints[0]!, 30, 30, 1).map((v, i) => v + res.b[i]!)),
    ).toBeLessThan(1e-8);
  });

  it('the control anchor gives the same A as the origin for a linear drift (p = d) and for the exact score', async () => {
    const { params, perturbed } = linearScreen({ d: 30, perturbed: 30, cellsPerEnv: 2, seed: 1 });
    // λ = 1e-10: the origin reading's Tikhonov bias is about λ/σ_min(X*X*ᵀ) (fixed points as columns), which depends
    // on the sampled graph (1.7e-6 … 8e-5 at λ = 1e-8 over seeds 0–3, and 100× smaller at λ = 1e-10).
    const o = await clipr(new LinearDriftOracle(params, 'origin'), perturbed, { lambda: 1e-10 });
    const c = await clipr(new LinearDriftOracle(params, 'control'), perturbed, { lambda: 1e-10 });
    // f_e(x*_ctrl) = c_e: on-target, so F0 at the control anchor is zero off the perturbed gene.
    const f = c.responses.f0[0]!,
      j = perturbed[0]!;
    expect(maxAbs(f.filter((_, i) => i !== j))).toBeLessThan(1e-8);
    expect(f[j]).toBeCloseTo(params.shifts[j]!, 8);
    expect(maxAbs(c.A.map((v, i) => v - params.A[i]!)) / maxAbs(params.A)).toBeLessThan(1e-5);
    expect(maxAbs(c.A.map((v, i) => v - o.A[i]!)) / maxAbs(o.A)).toBeLessThan(1e-5);
    const so = await clipr(new GaussianScoreOracle(params, undefined, 'origin'), perturbed, { lambda: 1e-10 });
    const sc = await clipr(new GaussianScoreOracle(params, undefined, 'control'), perturbed, { lambda: 1e-10 });
    expect(maxAbs(sc.A.map((v, i) => v - so.A[i]!)) / maxAbs(so.A)).toBeLessThan(1e-5);
  });

  it('with p < d matches the oracle values of §6.2 (ER, d = 100)', async () => {
    const expected: Record<number, [number, number]> = { 30: [0.58, 0.73], 50: [0.7, 0.85], 70: [0.8, 0.93] };
    for (const p of [30, 50, 70]) {
      const { params, perturbed } = linearScreen({ d: 100, perturbed: p, cellsPerEnv: 2, seed: 2 });
      const res = await clipr(new LinearDriftOracle(params), perturbed, { lambda: 1e-3 });
      const a = ovoAuroc(params.aCausal, res.aCausal, 100);
      expect(a, `p = ${p}`).toBeGreaterThan(expected[p]![0]);
      expect(a, `p = ${p}`).toBeLessThan(expected[p]![1]);
    }
  });
});

describe('CLIPR on exact scores (§16.9)', () => {
  it('ER d = 100, p = d: OVO-AUROC ≈ 0.95 and the result ≈ −(Σ + σ²I)⁻¹', async () => {
    const { params, perturbed } = linearScreen({ d: 100, perturbed: 100, cellsPerEnv: 2, seed: 3 });
    const res = await clipr(new GaussianScoreOracle(params), perturbed, { lambda: 1e-3 });
    const m = causalMetrics(params.aCausal, res.aCausal, 100);
    expect(m.auroc).toBeGreaterThan(0.92);
    expect(m.auroc).toBeLessThan(0.99);
    // With F0 = P X* (P = (Σ + σ²I)⁻¹) CLIPR returns −P X*X*ᵀ(X*X*ᵀ + λI)⁻¹ → −P as λ → 0; λ = 1e-3 alone
    // leaves a few percent on the weakest directions of X*, and at λ = 1e-8 the match is tight.
    const negP = la
      .inverse(
        params.S.map((v, i) => v + (i % 101 === 0 ? 1e-4 : 0)),
        100,
      )
      .map((v) => -v);
    expect(maxAbs(res.A.map((v, i) => v - negP[i]!)) / maxAbs(negP)).toBeLessThan(0.05);
    const tight = await clipr(new GaussianScoreOracle(params), perturbed, { lambda: 1e-8 });
    expect(maxAbs(tight.A.map((v, i) => v - negP[i]!)) / maxAbs(negP)).toBeLessThan(1e-4);
  });

  it('a true-drift shortcut would show up as AUROC 1: the score oracle stays clearly below it', async () => {
    const { params, perturbed } = linearScreen({ d: 60, perturbed: 60, cellsPerEnv: 2, seed: 5 });
    const genes = perturbed;
    const score = ovoAuroc(
      params.aCausal,
      (await clipr(new GaussianScoreOracle(params), genes, { lambda: 1e-3 })).aCausal,
      60,
    );
    const drift = ovoAuroc(
      params.aCausal,
      (await clipr(new LinearDriftOracle(params), genes, { lambda: 1e-3 })).aCausal,
      60,
    );
    expect(drift).toBe(1);
    expect(score).toBeLessThan(0.995);
  });

  it('refuses non-finite responses with a clear error', () => {
    expect(() => solveLinearDrift([Float64Array.of(1, NaN)], [Float64Array.of(1, 2)], 2, 1e-3)).toThrow(
      /non-finite response/,
    );
    expect(() => solveLinearDrift([], [], 2, 1e-3)).toThrow(/no single-gene responses/);
  });
});

describe('causal metrics (§16.12)', () => {
  it('rank AUROC (ties averaged) equals Mann–Whitney U/(n₊n₋); OVO equals the mean of pairwise AUROCs', () => {
    const s = [0.1, 0.4, 0.4, 0.8, 0.2, 0.4],
      y = [false, true, false, true, false, true];
    // U by direct counting: pairs (pos, neg) with pos > neg count 1, ties 0.5.
    let u = 0,
      np = 0,
      nn = 0;
    s.forEach((a, i) =>
      s.forEach((b, j) => {
        if (y[i] && !y[j]) u += a > b ? 1 : a === b ? 0.5 : 0;
      }),
    );
    y.forEach((v) => (v ? np++ : nn++));
    expect(auroc(s, y)).toBeCloseTo(u / (np * nn), 14);
    const truth = [0, 1, -1, 0.2, 0, 0.9, -2, 0, 0],
      pred = [0, 0.7, -0.3, 0.1, 0, 0.2, -0.9, 0.4, 0];
    const off = [1, 2, 3, 5, 6, 7].map((i) => [truth[i]!, pred[i]!]);
    const cls = off.map(([t]) => (Math.abs(t!) < 0.5 ? 0 : Math.sign(t!)));
    const pair = (lo: number, hi: number) => {
      const sel = off.filter((_, i) => cls[i] === lo || cls[i] === hi);
      return auroc(
        sel.map((x) => x[1]!),
        sel.map((_, k) => cls[off.indexOf(sel[k]!)] === hi),
      );
    };
    expect(ovoAuroc(truth, pred, 3)).toBeCloseTo((pair(-1, 0) + pair(-1, 1) + pair(0, 1)) / 3, 14);
    expect(averagePrecision([0.9, 0.8, 0.1], [true, false, true])).toBeCloseTo((1 + 2 / 3) / 2, 14);
  });
});

const engine = await testEngine();
describe.skipIf(!engine)('batched GPU solves against f64', () => {
  const e = engine!;
  const spd = (n: number, rng: ReturnType<typeof scratchRng>, cond = 1) => {
    const M = Float64Array.from({ length: n * n }, () => rng.normal());
    const G = la.matmul(M, M, n, n, n, false, true);
    for (let i = 0; i < n; i++) G[i * n + i]! += n / cond;
    return G;
  };

  it.each([1, 3, 8])('Cholesky and LU solves: small residuals and LLᵀ ≈ A for a batch of %i', async (batch) => {
    const n = 24,
      m = 5,
      rng = scratchRng(batch);
    const As = Array.from({ length: batch }, () => spd(n, rng));
    const Bs = Array.from({ length: batch }, () => Float64Array.from({ length: n * m }, () => rng.normal()));
    const a = e.upload(
        As.flatMap((x) => [...x]),
        [batch, n, n],
      ),
      b = e.upload(
        Bs.flatMap((x) => [...x]),
        [batch, n, m],
      );
    for (const solver of [solveSpdBatched, solveBatched]) {
      const x = await e.read(await solver(e, a, b));
      for (let t = 0; t < batch; t++) {
        const xt = Float64Array.from(x.subarray(t * n * m, (t + 1) * n * m));
        const r = la.matmul(As[t]!, xt, n, n, m).map((v, i) => v - Bs[t]![i]!);
        expect(maxAbs(r) / maxAbs(Bs[t]!), `${solver.name} batch ${t}`).toBeLessThan(1e-4);
      }
    }
    const { L, info } = choleskyBatched(e, a);
    const Ls = await e.read(L);
    expect(Array.from(asU32(await e.read(info)))).toEqual(new Array(batch).fill(0));
    for (let t = 0; t < batch; t++) {
      const Lt = Float64Array.from(Ls.subarray(t * n * n, (t + 1) * n * n));
      const rec = la.matmul(Lt, Lt, n, n, n, false, true);
      expect(maxAbs(rec.map((v, i) => v - As[t]![i]!)) / maxAbs(As[t]!)).toBeLessThan(1e-5);
      expect(maxAbs(Lt.map((v, i) => v - la.cholesky(As[t]!, n)[i]!))).toBeLessThan(1e-3);
    }
    [a, b, L, info].forEach((z) => z.dispose());
  });

  it('LU with pivoting: PA = LU on a matrix that needs row exchanges; ill-conditioned systems still solve', async () => {
    const n = 6;
    const A = Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1e-7 : Math.sin(i + 1)));
    const a = e.upload(A, [n, n]);
    const { LU, perm, info } = luBatched(e, a);
    const lu = Float64Array.from(await e.read(LU)),
      p = asU32(await e.read(perm));
    expect(asU32(await e.read(info))[0]).toBe(0);
    expect(Array.from(p).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    const L = lu.map((v, i) => (Math.floor(i / n) > i % n ? v : Math.floor(i / n) === i % n ? 1 : 0));
    const U = lu.map((v, i) => (Math.floor(i / n) <= i % n ? v : 0));
    const PA = Float64Array.from({ length: n * n }, (_, i) => A[p[Math.floor(i / n)]! * n + (i % n)]!);
    expect(maxAbs(la.matmul(L, U, n, n, n).map((v, i) => v - PA[i]!))).toBeLessThan(1e-5);
    // Hilbert-like ill-conditioned SPD system (cond ≈ 1e5): relative residual stays at f32 level.
    const H = Float64Array.from(
      { length: 64 },
      (_, i) => 1 / (Math.floor(i / 8) + (i % 8) + 1) + (i % 9 === 0 ? 1e-4 : 0),
    );
    const rhs = Float64Array.from({ length: 8 }, (_, i) => i + 1);
    const x = Float64Array.from(await e.read(await solveSpdBatched(e, e.upload(H, [8, 8]), e.upload(rhs, [8, 1]))));
    expect(maxAbs(la.matmul(H, x, 8, 8, 1).map((v, i) => v - rhs[i]!)) / maxAbs(rhs)).toBeLessThan(1e-3);
    [a, LU, perm, info].forEach((z) => z.dispose());
  });

  it('a singular or non-finite system gives a clear error naming the matrix and column', async () => {
    const n = 4;
    const good = la.eye(n),
      singular = new Float64Array(n * n);
    singular[0] = 1;
    singular[5] = 1; // rank 2
    const nan = la.eye(n);
    nan[10] = NaN;
    const a = e.upload([...good, ...singular, ...nan], [3, n, n]),
      b = e.upload(new Float64Array(3 * n), [3, n, 1]);
    await expect(solveBatched(e, a, b)).rejects.toThrow(SingularMatrixError);
    await expect(solveBatched(e, a, b)).rejects.toThrow(/matrix 1 of the batch is singular.*column 2/);
    await expect(solveSpdBatched(e, e.upload(nan, [n, n]), e.upload(new Float64Array(n), [n, 1]))).rejects.toThrow(
      /matrix 0 .*not positive definite or not finite.*column 2/,
    );
    await expect(solveSpdBatched(e, e.upload([1, 2, 2, 1], [2, 2]), e.upload([1, 1], [2, 1]))).rejects.toThrow(
      /column 1/,
    );
  });
});

// Linear ER d = 30, p = 30, 200 cells per environment (screen seed 1; score oracle 0.862), LCD trained 3,000 steps at
// H = 128, batch 512 with 8 environments per step (~2–5 min on two cores). The drift readings, measured since the
// named random streams: OVO-AUROC 0.703 at the reference reading (σ = 0.01 at the origin), 0.737 at level 19, 0.775
// at level 19 with the control anchor. The response reading (the default) is asserted against the mean-shift matrix
// (0.639) and the score oracle: measured 0.901 on the means of 300 sampled cells (the default), 0.957 on the flow's
// fixed points (which are exact modes for this Gaussian screen; the means carry Monte-Carlo noise).
describe.skipIf(!engine)('CLIPR on a trained LCD (linear ER, d = p = 30)', () => {
  it('the response reading beats the mean shifts and the score oracle; level 19 beats the reference drift reading', async () => {
    const { WebGPUBackend } = await import('../src/ops/webgpu-backend.ts');
    const { LCD } = await import('../src/lcd/model.ts');
    const { cliprFromLcd } = await import('../src/clipr/from-lcd.ts');
    const { envMean } = await import('../src/data/dataset.ts');
    const d = 30;
    const { screen, params, perturbed } = linearScreen({ d, perturbed: d, cellsPerEnv: 200, seed: 1 });
    // every level trained (trainLevels 30, the reference's): the reference drift reading reads level 29
    const lcd = await new LCD({
      hidden: 128,
      steps: 3000,
      batchSize: 512,
      envsPerBatch: 8,
      seed: 0,
      trainLevels: 30,
    }).fit(screen, {
      backend: new WebGPUBackend(engine!),
    });
    const oracle = causalMetrics(
      params.aCausal,
      (await clipr(new GaussianScoreOracle(params), perturbed, { lambda: 1e-3 })).aCausal,
      d,
    );
    // the mean-shift matrix: a_causal[j][i] = shift of i under perturbing j, signed by j's own shift
    const ctrl = envMean(screen.envs[0]!, d);
    const de = new Float64Array(d * d);
    for (const e of screen.envs.slice(1)) {
      const j = screen.genes.indexOf(e.targets[0]!),
        m = envMean(e, d);
      for (let i = 0; i < d; i++) de[j * d + i] = (m[i]! - ctrl[i]!) * Math.sign(m[j]! - ctrl[j]!);
    }
    const deAuroc = causalMetrics(params.aCausal, de, d).auroc;
    const response = await cliprFromLcd(lcd);
    const auc = async (o: Parameters<typeof cliprFromLcd>[1]) =>
      causalMetrics(params.aCausal, (await cliprFromLcd(lcd, { reading: 'drift', lambda: 1e-3, ...o })).aCausal, d)
        .auroc;
    const byResponse = causalMetrics(params.aCausal, response.aCausal, d).auroc;
    const level19 = await auc({}),
      reference = await auc({ driftLevel: 29 }),
      control = await auc({ anchor: 'control' });
    console.log(
      `CLIPR d = 30: response ${byResponse.toFixed(3)} (${response.reading?.effects}, R² ${response.reading?.heldOutR2.toFixed(3)}), DE ${deAuroc.toFixed(3)}, oracle ${oracle.auroc.toFixed(3)}, level 19 ${level19.toFixed(3)}, control ${control.toFixed(3)}, reference ${reference.toFixed(3)}`,
    );
    expect(response.reading?.effects).toBe('direct');
    expect(byResponse).toBeGreaterThan(deAuroc + 0.05);
    expect(byResponse).toBeGreaterThan(oracle.auroc);
    expect(level19).toBeGreaterThan(0.7);
    expect(control).toBeGreaterThan(0.7);
    expect(reference).toBeGreaterThan(0.65);
    expect(reference).toBeLessThan(level19);
    expect(Math.max(level19, control)).toBeLessThan(oracle.auroc);
  }, 900_000);
});
