// Every GPU kernel against its Float64 reference (src/reference/kernels.ts), with the tolerances of helpers/tolerance.ts.
import { describe, it, expect, afterAll } from 'vitest';
import { testEngine } from './helpers/gpu.ts';
import { expectClose, testData, TOL } from './helpers/tolerance.ts';
import * as ref from '../src/reference/kernels.ts';
import { matmul, type MatmulVariant } from '../src/gpu/kernels/matmul.ts';
import { unary, binary, fill, transpose } from '../src/gpu/kernels/elementwise.ts';
import { reduce } from '../src/gpu/kernels/reduce.ts';
import { UNARY_OPS, BINARY_OPS, type UnaryOp, type BinaryOp, type Activation } from '../src/gpu/kernels/types.ts';

const engine = await testEngine();

describe.skipIf(!engine)('GPU kernels vs Float64 reference', () => {
  const e = engine!;
  afterAll(async () => {
    await e.sync();
    expect(e.liveTensorCount).toBe(0);
  });

  const cases: [number, number, number][] = [
    [1, 1, 1],
    [5, 7, 3],
    [33, 64, 20],
    [64, 100, 256],
    [130, 48, 36],
  ];
  const variants: MatmulVariant[] = ['rowu', 'rowu8x2', 'strided', 'strided8', 'tiled'];
  for (const variant of variants) {
    for (const transA of [false, true])
      for (const transB of [false, true]) {
        it(`matmul ${variant} transA=${transA} transB=${transB}`, async () => {
          for (const [M, K, N] of cases) {
            const aData = testData(M * K, M + K),
              bData = testData(K * N, K + N + 1);
            const aShape = transA ? [K, M] : [M, K],
              bShape = transB ? [N, K] : [K, N];
            const a = e.upload(aData, aShape),
              b = e.upload(bData, bShape);
            const c = matmul(e, a, b, { transA, transB, variant });
            const want = ref.matmul(ref.refArray(aData, aShape), ref.refArray(bData, bShape), { transA, transB });
            expect(c.shape).toEqual(want.shape);
            expectClose(await e.read(c), want.data, TOL.matmul, `${variant} ${M}x${K}x${N}`);
            [a, b, c].forEach((t) => t.dispose());
          }
        });
      }
    it(`matmul ${variant} fused bias + activation epilogues`, async () => {
      const [M, K, N] = [37, 24, 44];
      const aData = testData(M * K, 3, -2, 2),
        bData = testData(K * N, 4),
        biasData = testData(N, 5);
      const a = e.upload(aData, [M, K]),
        b = e.upload(bData, [K, N]),
        bias = e.upload(biasData, [N]);
      for (const act of ['identity', 'tanh', 'silu', 'relu'] as Activation[]) {
        const c = matmul(e, a, b, { bias, act, variant });
        const want = ref.matmul(ref.refArray(aData, [M, K]), ref.refArray(bData, [K, N]), {
          bias: ref.refArray(biasData, [N]),
          act,
        });
        expectClose(await e.read(c), want.data, TOL.matmul, `${variant} ${act}`);
        c.dispose();
      }
      [a, b, bias].forEach((t) => t.dispose());
    });
  }

  it.each(variants)('matmul %s with alpha scaling and per-row-group bias', async (variant) => {
    const [M, K, N, P] = [22, 16, 12, 5]; // 5 groups, the last one partial
    const aData = testData(M * K, 41),
      bData = testData(K * N, 42),
      gb = testData(5 * N, 43);
    const a = e.upload(aData, [M, K]),
      b = e.upload(bData, [K, N]),
      bias = e.upload(gb, [5, N]);
    const c = matmul(e, a, b, { bias, biasRowsPerGroup: P, alpha: -0.7, act: 'tanh', variant });
    const want = ref.matmul(ref.refArray(aData, [M, K]), ref.refArray(bData, [K, N]), {
      bias: ref.refArray(gb, [5, N]),
      biasRowsPerGroup: P,
      alpha: -0.7,
      act: 'tanh',
    });
    expectClose(await e.read(c), want.data, TOL.matmul, `${variant} grouped`);
    expect(() => matmul(e, a, b, { bias, biasRowsPerGroup: 4 })).toThrow(/\[6×12\] for 22 rows in groups of 4/);
    [a, b, bias, c].forEach((t) => t.dispose());
  });

  it.each([
    [70, 36, 84],
    [70, 36, 24],
    [70, 36, 16],
    [70, 36, 4],
  ])(
    'the register blocks and lane maps of matmul_rowu give the same bits (%i×%i×%i, every epilogue and transpose)',
    async (M, K, N) => {
      // Each element of C is the same fma chain whatever the block, so a fit's values do not depend on the block the
      // adapter's measurement chose. Shapes cover partial blocks in both directions (M 70 = 4·16 + 6, N4 = 21 odd); the
      // narrow ones put a workgroup's lanes over row blocks too (ROW_LANES 4, 2 and 8 with the 4 × 4 block).
      for (const transA of [false, true])
        for (const transB of [false, true]) {
          const Mx = transA ? 76 : M; // a transposed A needs M % 4 == 0 (76: the 8-row block's second quad partly past M)
          const a = e.upload(testData(Mx * K, 11), transA ? [K, Mx] : [Mx, K]),
            b = e.upload(testData(K * N, 12), transB ? [N, K] : [K, N]),
            bias = e.upload(testData(N, 13), [N]),
            add = e.upload(testData(Mx * N, 14), [Mx, N]);
          const outs = async (variant: MatmulVariant) => {
            const sums = e.empty([N]),
              pre = e.empty([Mx, N]);
            const plain = matmul(e, a, b, { transA, transB, bias, addend: add, act: 'tanh', alpha: 0.7, variant });
            const silu = matmul(e, a, b, { transA, transB, bias, act: 'silu', preActivation: pre, variant });
            const gated = matmul(e, a, b, { transA, transB, siluGradOf: add, variant });
            const withSums = transB ? null : matmul(e, a, b, { transA, colSums: sums, alpha: -1.5, variant });
            const got = [plain, silu, pre, gated, ...(withSums ? [withSums, sums] : [])];
            const values = await Promise.all(got.map((t) => e.read(t)));
            [...got, ...(withSums ? [] : [sums])].forEach((t) => t.dispose());
            return values;
          };
          const base = await outs('rowu');
          // (the narrow shapes against the strided kernel alone: the wide blocks are not taken there)
          for (const variant of N > 32 ? (['rowu8x2', 'strided', 'strided8'] as const) : (['strided'] as const))
            (await outs(variant)).forEach((v, k) =>
              expect([...v], `${variant} output ${k}, transA=${transA} transB=${transB}`).toEqual([...base[k]!]),
            );
          [a, b, bias, add].forEach((t) => t.dispose());
        }
    },
  );

  it('batched matmul (rank-3 A with shared and batched B)', async () => {
    const [T, M, K, N] = [3, 9, 8, 12];
    const aData = testData(T * M * K, 1),
      bData = testData(K * N, 2),
      b3Data = testData(T * K * N, 3);
    const a = e.upload(aData, [T, M, K]),
      b = e.upload(bData, [K, N]),
      b3 = e.upload(b3Data, [T, K, N]);
    for (const variant of ['strided', 'strided8', 'tiled'] as const) {
      const c = matmul(e, a, b, { variant }),
        c3 = matmul(e, a, b3, { variant });
      expectClose(
        await e.read(c),
        ref.matmul(ref.refArray(aData, [T, M, K]), ref.refArray(bData, [K, N])).data,
        TOL.matmul,
        'shared B',
      );
      expectClose(
        await e.read(c3),
        ref.matmul(ref.refArray(aData, [T, M, K]), ref.refArray(b3Data, [T, K, N])).data,
        TOL.matmul,
        'batched B',
      );
      c.dispose();
      c3.dispose();
    }
    [a, b, b3].forEach((t) => t.dispose());
  });

  it.each(variants)('matmul %s adds an addend before the activation, bit for bit the separate add', async (variant) => {
    const [M, K, N] = [20, 24, 36];
    const aData = testData(M * K, 51),
      bData = testData(K * N, 52),
      biasData = testData(N, 53),
      addData = testData(M * N, 54, -2, 2);
    const a = e.upload(aData, [M, K]),
      b = e.upload(bData, [K, N]),
      bias = e.upload(biasData, [N]),
      add = e.upload(addData, [M, N]);
    const fused = matmul(e, a, b, { bias, addend: add, act: 'tanh', variant });
    const pre = matmul(e, a, b, { bias, variant });
    const sum = binary(e, 'add', pre, add);
    const separate = unary(e, 'tanh', sum);
    const got = await e.read(fused);
    expect(Array.from(got)).toEqual(Array.from(await e.read(separate)));
    const want = ref.matmul(ref.refArray(aData, [M, K]), ref.refArray(bData, [K, N]), {
      bias: ref.refArray(biasData, [N]),
      addend: ref.refArray(addData, [M, N]),
      act: 'tanh',
    });
    expectClose(got, want.data, TOL.matmul, `${variant} addend`);
    expect(() => matmul(e, a, b, { addend: bias })).toThrow(/addend \[36\] must have the product's shape \[20×36\]/);
    [a, b, bias, add, fused, pre, sum, separate].forEach((t) => t.dispose());
  });

  it.each(variants)(
    "matmul %s times tanh' of a layer (GATE_TANH), bit for bit the separate tanhGrad",
    async (variant) => {
      const [M, K, N] = [20, 24, 36];
      const aData = testData(M * K, 61),
        bData = testData(N * K, 62),
        yData = testData(M * N, 63, -0.99, 0.99);
      const a = e.upload(aData, [M, K]),
        b = e.upload(bData, [N, K]),
        y = e.upload(yData, [M, N]);
      // the backward shape: G·Wᵀ (B transposed), gated by the tanh output y of the layer it flows into
      const fused = matmul(e, a, b, { transB: true, tanhGradOf: y, variant });
      const product = matmul(e, a, b, { transB: true, variant });
      const separate = binary(e, 'tanhGrad', y, product);
      const got = await e.read(fused);
      expect(Array.from(got)).toEqual(Array.from(await e.read(separate)));
      const want = ref.matmul(ref.refArray(aData, [M, K]), ref.refArray(bData, [N, K]), {
        transB: true,
        tanhGradOf: ref.refArray(yData, [M, N]),
      });
      expectClose(got, want.data, TOL.matmul, `${variant} tanh gate`);
      expect(() => matmul(e, a, b, { transB: true, tanhGradOf: y, addend: y })).toThrow(/share a binding/);
      [a, b, y, fused, product, separate].forEach((t) => t.dispose());
    },
  );

  it.each(variants)(
    "matmul %s keeps a SiLU layer's pre-activation (STORE_PRE) and gates by silu' (GATE_SILU), bit for bit the separate passes",
    async (variant) => {
      const [M, K, N] = [20, 24, 36];
      const aData = testData(M * K, 81),
        bData = testData(K * N, 82),
        biasData = testData(N, 83),
        zData = testData(M * N, 84, -4, 4);
      const a = e.upload(aData, [M, K]),
        b = e.upload(bData, [K, N]),
        bias = e.upload(biasData, [N]),
        z = e.upload(zData, [M, N]),
        pre = e.empty([M, N]);
      const y = matmul(e, a, b, { bias, act: 'silu', preActivation: pre, variant });
      const plain = matmul(e, a, b, { bias, variant });
      const silu = unary(e, 'silu', plain);
      expect(Array.from(await e.read(pre))).toEqual(Array.from(await e.read(plain)));
      expect(Array.from(await e.read(y))).toEqual(Array.from(await e.read(silu)));
      // the backward shape G·Wᵀ gated by silu'(z) of the layer it flows into
      const bt = e.upload(testData(N * K, 85), [N, K]);
      const gated = matmul(e, a, bt, { transB: true, siluGradOf: z, variant });
      const product = matmul(e, a, bt, { transB: true, variant });
      const separate = binary(e, 'siluGrad', z, product);
      const got = await e.read(gated);
      expect(Array.from(got)).toEqual(Array.from(await e.read(separate)));
      const want = ref.matmul(ref.refArray(aData, [M, K]), ref.refArray(testData(N * K, 85), [N, K]), {
        transB: true,
        siluGradOf: ref.refArray(zData, [M, N]),
      });
      expectClose(got, want.data, TOL.matmul, `${variant} silu gate`);
      const small = e.empty([2]);
      expect(() => matmul(e, a, b, { preActivation: small, variant })).toThrow(/pre-activation \[2\]/);
      expect(() => matmul(e, a, bt, { transB: true, siluGradOf: z, tanhGradOf: z })).toThrow(/share a binding/);
      [a, b, bias, z, pre, y, plain, silu, bt, gated, product, separate, small].forEach((t) => t.dispose());
    },
  );

  it.each(variants)(
    'matmul %s adds gathered table rows (ADDEND_ROWS), bit for bit the one-hot product as an addend',
    async (variant) => {
      const [M, K, N, R] = [20, 24, 36, 7];
      const aData = testData(M * K, 71),
        bData = testData(K * N, 72),
        tData = testData(R * N, 73, -2, 2),
        rows = Array.from({ length: M }, (_, i) => (5 * i + 3) % R);
      const onehot = Float32Array.from({ length: M * R }, (_, i) => (rows[Math.floor(i / R)] === i % R ? 1 : 0));
      const a = e.upload(aData, [M, K]),
        b = e.upload(bData, [K, N]),
        table = e.upload(tData, [R, N]),
        idx = e.upload(rows, [M]),
        sel = e.upload(onehot, [M, R]);
      const gathered = matmul(e, a, b, { addend: table, addendRows: idx, act: 'tanh', variant });
      const expanded = matmul(e, sel, table, { variant });
      const viaProduct = matmul(e, a, b, { addend: expanded, act: 'tanh', variant });
      const got = await e.read(gathered);
      expect(Array.from(got)).toEqual(Array.from(await e.read(viaProduct)));
      const want = ref.matmul(ref.refArray(aData, [M, K]), ref.refArray(bData, [K, N]), {
        addend: ref.refArray(tData, [R, N]),
        addendRows: ref.refArray(rows, [M]),
        act: 'tanh',
      });
      expectClose(got, want.data, TOL.matmul, `${variant} gathered rows`);
      // a row number past the table reads its last row, never outside it
      const bad = e.upload(
          rows.map((r, i) => (i === 0 ? R + 40 : r)),
          [M],
        ),
        lastRow = e.upload(
          rows.map((r, i) => (i === 0 ? R - 1 : r)),
          [M],
        ),
        short = e.upload([0, 1], [2]);
      const clamped = matmul(e, a, b, { addend: table, addendRows: bad, variant }),
        last = matmul(e, a, b, { addend: table, addendRows: lastRow, variant });
      expect(Array.from(await e.read(clamped))).toEqual(Array.from(await e.read(last)));
      expect(() => matmul(e, a, b, { addend: table, addendRows: short, variant })).toThrow(
        /gathered addend needs .* 20 row numbers; got table \[7×36\], 2 row numbers/,
      );
      [a, b, table, idx, sel, gathered, expanded, viaProduct, bad, lastRow, short, clamped, last].forEach((t) =>
        t.dispose(),
      );
    },
  );

  it.each(variants)(
    'matmul %s writes the column sums of op(B) beside the product (COL_SUMS), the f32 sum in k order',
    async (variant) => {
      // K = 1 (a one-row gradient), K past a 16-wide tile with padding, and the weight-gradient shape Xᵀ·G
      for (const [M, K, N, transA, transB] of [
        [8, 1, 12, true, false],
        [20, 37, 36, false, false],
        [64, 96, 20, true, false],
        [12, 40, 16, false, true],
      ] as const) {
        const aData = testData(M * K, M + K + 7),
          bData = testData(K * N, K + N + 8);
        const aShape = transA ? [K, M] : [M, K],
          bShape = transB ? [N, K] : [K, N];
        const a = e.upload(aData, aShape),
          b = e.upload(bData, bShape),
          sums = e.empty([N]);
        const alpha = 0.37;
        const c = matmul(e, a, b, { transA, transB, alpha, colSums: sums, variant });
        const plain = matmul(e, a, b, { transA, transB, alpha, variant });
        expect(Array.from(await e.read(c))).toEqual(Array.from(await e.read(plain))); // the product is untouched
        const bf = Float32Array.from(bData);
        const opB = (k: number, j: number) => bf[transB ? j * K + k : k * N + j]!;
        const seq = Array.from({ length: N }, (_, j) => {
          let s = 0;
          for (let k = 0; k < K; k++) s = Math.fround(s + opB(k, j));
          return Math.fround(Math.fround(alpha) * s);
        });
        const got = await e.read(sums);
        expect(Array.from(got), `${variant} ${M}×${K}×${N}`).toEqual(seq);
        const want = ref.colSums(ref.refArray(bData, bShape), transB, alpha);
        expectClose(got, want.data, TOL.matmul, `${variant} column sums`);
        [a, b, sums, c, plain].forEach((t) => t.dispose());
      }
      const a3 = e.upload(testData(2 * 4 * 8, 1), [2, 4, 8]),
        b = e.upload(testData(8 * 4, 2), [8, 4]),
        s = e.empty([4]);
      expect(() => matmul(e, a3, b, { colSums: s, variant })).toThrow(/column sums \[4\] need an unbatched product/);
      [a3, b, s].forEach((t) => t.dispose());
    },
  );

  it.each([
    [true, false],
    [false, true],
    [true, true],
  ])(
    'matmul rowu reads transposed operands as stored (transA %s, transB %s), bit for bit the explicit transpose',
    async (transA, transB) => {
      for (const [M, K, N] of [
        [36, 48, 20],
        [256, 1024, 100],
      ]) {
        const aData = testData(M * K, M + 3),
          bData = testData(K * N, N + 5),
          yData = testData(M * N, 9, -0.99, 0.99);
        const aShape = transA ? [K, M] : [M, K],
          bShape = transB ? [N, K] : [K, N];
        const a = e.upload(aData, aShape),
          b = e.upload(bData, bShape),
          y = e.upload(yData, [M, N]);
        // with a tanh gate, as the backward G·Wᵀ·(1 − y²) runs
        const direct = matmul(e, a, b, { transA, transB, variant: 'rowu', tanhGradOf: y });
        const at = transA ? transpose(e, a) : a,
          bt = transB ? transpose(e, b) : b;
        const viaTranspose = matmul(e, at, bt, { variant: 'rowu', tanhGradOf: y });
        const got = await e.read(direct);
        expect(Array.from(got)).toEqual(Array.from(await e.read(viaTranspose)));
        const want = ref.matmul(ref.refArray(aData, aShape), ref.refArray(bData, bShape), {
          transA,
          transB,
          tanhGradOf: ref.refArray(yData, [M, N]),
        });
        expectClose(got, want.data, TOL.matmul, `rowu ${M}x${K}x${N}`);
        new Set([a, b, y, direct, at, bt, viaTranspose]).forEach((t) => t.dispose());
      }
    },
  );

  it('matmul shape mismatch names both shapes', () => {
    const a = e.empty([3, 4]),
      b = e.empty([5, 6]);
    expect(() => matmul(e, a, b)).toThrow(/\[3×4\].*K=4.*\[5×6\].*K=5/);
    a.dispose();
    b.dispose();
  });

  it.each(Object.keys(UNARY_OPS) as UnaryOp[])('unary %s', async (op) => {
    const positive = ['log', 'sqrt', 'recip'].includes(op);
    const x = testData(1000, 7, positive ? 0.05 : -20, positive ? 30 : 20);
    const [alpha, beta] = op === 'affine' ? [1.5, -0.25] : [1, 0];
    const t = e.upload(x, [10, 100]);
    const y = unary(e, op, t, alpha, beta);
    expectClose(await e.read(y), ref.unary(op, ref.refArray(x, [10, 100]), alpha, beta).data, TOL.transcendental, op);
    t.dispose();
    y.dispose();
  });

  it('tanh stays finite and saturates for huge arguments', async () => {
    const t = e.upload([-1e30, -100, 100, 1e30, 0], [5]);
    const y = unary(e, 'tanh', t);
    expect(Array.from(await e.read(y))).toEqual([-1, -1, 1, 1, 0]);
    t.dispose();
    y.dispose();
  });

  it.each(Object.keys(BINARY_OPS) as BinaryOp[])('binary %s with broadcasting', async (op) => {
    const shapes: [number[], number[]][] = [
      [
        [6, 5],
        [6, 5],
      ],
      [[6, 5], [5]],
      [
        [6, 1],
        [1, 5],
      ],
      [
        [2, 3, 4, 5],
        [3, 1, 5],
      ],
      [[1], [7, 3]],
    ];
    for (const [sa, sb] of shapes) {
      const na = sa.reduce((p, q) => p * q, 1),
        nb = sb.reduce((p, q) => p * q, 1);
      const x = testData(na, 11, -2, 2),
        yv = testData(nb, 12, 0.5, 2);
      const a = e.upload(x, sa),
        b = e.upload(yv, sb);
      const out = binary(e, op, a, b);
      const want = ref.binary(op, ref.refArray(x, sa), ref.refArray(yv, sb));
      expect(out.shape).toEqual(want.shape);
      expectClose(await e.read(out), want.data, TOL.transcendental, `${op} [${sa}] [${sb}]`);
      [a, b, out].forEach((t) => t.dispose());
    }
  });

  it('binary rejects incompatible shapes naming both', () => {
    const a = e.empty([3, 4]),
      b = e.empty([5]);
    expect(() => binary(e, 'add', a, b)).toThrow(/\[3×4\] and \[5\]/);
    a.dispose();
    b.dispose();
  });

  it.each(['sum', 'mean', 'max', 'logsumexp', 'sumsq'] as const)('reduce %s along every axis', async (op) => {
    const shape = [4, 7, 5];
    const x = testData(140, 13, -30, 30);
    const t = e.upload(x, shape);
    for (const axis of [0, 1, 2, -1])
      for (const keep of [false, true]) {
        const y = reduce(e, op, t, axis, keep);
        const want = ref.reduce(op, ref.refArray(x, shape), axis, keep);
        expect(y.shape).toEqual(want.shape);
        expectClose(await e.read(y), want.data, { atol: 1e-4, rtol: 1e-5 }, `${op} axis ${axis}`);
        y.dispose();
      }
    t.dispose();
  });

  it('a scaled sum of squares is bit for bit the sum of squares scaled by a separate pass; max takes no scale', async () => {
    const x = testData(300, 19, -3, 3);
    const t = e.upload(x, [300]);
    const scaled = reduce(e, 'sumsq', t, 0, true, 0.5 / 300);
    const plain = reduce(e, 'sumsq', t, 0, true);
    const separate = unary(e, 'affine', plain, 0.5 / 300);
    expect(Array.from(await e.read(scaled))).toEqual(Array.from(await e.read(separate)));
    expect((await e.read(scaled))[0]).toBeCloseTo((0.5 / 300) * x.reduce((a, v) => a + v * v, 0), 4);
    expect(() => reduce(e, 'max', t, 0, true, 2)).toThrow(/not max/);
    [t, scaled, plain, separate].forEach((y) => y.dispose());
  });

  it('a reduction accumulated into a running total (ACCUMULATE) is bit for bit the separate add', async () => {
    const x = testData(3 * 40, 23, -3, 3);
    const t = e.upload(x, [3, 40]);
    for (const op of ['sum', 'mean', 'sumsq'] as const) {
      const acc = e.upload([0.7, -1.3, 2.9], [3, 1]);
      const before = e.upload([0.7, -1.3, 2.9], [3, 1]);
      const y = reduce(e, op, t, 1, true, 0.37);
      const separate = binary(e, 'add', before, y);
      const got = reduce(e, op, t, 1, true, 0.37, acc);
      expect(got).toBe(acc);
      expect(Array.from(await e.read(acc)), op).toEqual(Array.from(await e.read(separate)));
      [acc, before, y, separate].forEach((z) => z.dispose());
    }
    const wrong = e.empty([2]);
    expect(() => reduce(e, 'sum', t, 1, true, 1, wrong)).toThrow(/accumulator \[2\] has 2 values, the result 3/);
    expect(() => reduce(e, 'max', t, 1, true, 1, wrong)).toThrow(/max cannot accumulate/);
    [t, wrong].forEach((z) => z.dispose());
  });

  it('logsumexp is stable for large magnitudes', async () => {
    const t = e.upload([1000, 1000, -1000, 0], [1, 4]);
    const y = reduce(e, 'logsumexp', t, 1);
    expect((await e.read(y))[0]).toBeCloseTo(1000 + Math.log(2), 3);
    t.dispose();
    y.dispose();
  });

  it('fill and transpose', async () => {
    const f = fill(e, e.empty([3, 70]), 2.5);
    expect(Array.from(await e.read(f)).every((v) => v === 2.5)).toBe(true);
    const x = testData(2 * 5 * 7, 17);
    const t = e.upload(x, [2, 5, 7]);
    const tt = transpose(e, t);
    expect(tt.shape).toEqual([2, 7, 5]);
    expect(Array.from(await e.read(tt))).toEqual(
      Array.from(Float32Array.from(ref.transpose(ref.refArray(x, [2, 5, 7])).data)),
    );
    [f, t, tt].forEach((z) => z.dispose());
  });

  // AdamW: test/kernels/adamw.test.ts (the fused-kernel conformance check).
});
