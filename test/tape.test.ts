// Gradient checks in two layers: (a) check_vjp in f64 on the reference tape, (b) every GPU backward against
// the reference backward on the same graph.
import { describe, it, expect } from 'vitest';
import { checkVjp } from '../src/ops/check-vjp.ts';
import { Tape, type Var } from '../src/ops/tape.ts';
import * as ad from '../src/ops/autodiff.ts';
import { CpuBackend } from '../src/ops/cpu-backend.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import type { Backend, TensorLike } from '../src/ops/backend.ts';
import { refArray, type RefArray } from '../src/reference/kernels.ts';
import { testEngine } from './helpers/gpu.ts';
import { expectClose, testData, TOL } from './helpers/tolerance.ts';

type Fn = <T extends TensorLike>(tape: Tape<T>, xs: Var<T>[]) => Var<T>;
interface Case {
  name: string;
  shapes: number[][];
  f: Fn;
  positive?: boolean;
}

const cases: Case[] = [
  ...(['matmul_identity', 'matmul_tanh', 'matmul_silu', 'matmul_relu'] as const).flatMap((name) => {
    const act = name.slice(7) as 'identity' | 'tanh' | 'silu' | 'relu';
    return [false, true].flatMap((transA) =>
      [false, true].map((transB): Case => ({
        name: `${name} tA=${transA} tB=${transB}`,
        shapes: [transA ? [4, 3] : [3, 4], transB ? [5, 4] : [4, 5], [5]],
        f: (t, [a, b, bias]) => ad.matmul(t, a!, b!, { transA, transB, bias, act }),
      })),
    );
  }),
  { name: 'add broadcast', shapes: [[3, 4], [4]], f: (t, [a, b]) => ad.add(t, a!, b!) },
  {
    name: 'sub broadcast',
    shapes: [
      [3, 1],
      [1, 4],
    ],
    f: (t, [a, b]) => ad.sub(t, a!, b!),
  },
  {
    name: 'mul broadcast',
    shapes: [
      [2, 3, 4],
      [3, 1],
    ],
    f: (t, [a, b]) => ad.mul(t, a!, b!),
  },
  {
    name: 'div',
    shapes: [
      [3, 4],
      [3, 4],
    ],
    f: (t, [a, b]) => ad.div(t, a!, b!),
    positive: true,
  },
  ...(['exp', 'tanh', 'silu', 'square', 'neg', 'sigmoid', 'softplus'] as const).map((op): Case => ({
    name: op,
    shapes: [[3, 5]],
    f: (t, [x]) => ad.unary(t, op, x!, 0.7, 0.1),
  })),
  ...(['log', 'sqrt'] as const).map((op): Case => ({
    name: op,
    shapes: [[3, 5]],
    f: (t, [x]) => ad.unary(t, op, x!, 1.3, 0.2),
    positive: true,
  })),
  { name: 'affine', shapes: [[4]], f: (t, [x]) => ad.scale(t, x!, -2.5, 3) },
  { name: 'sum axis 1', shapes: [[3, 4, 2]], f: (t, [x]) => ad.sum(t, x!, 1) },
  { name: 'mean axis 0 keepDims', shapes: [[3, 4]], f: (t, [x]) => ad.mean(t, x!, 0, true) },
  { name: 'logsumexp axis -1', shapes: [[3, 6]], f: (t, [x]) => ad.logsumexp(t, x!, -1) },
  {
    name: 'meanAll of reused value',
    shapes: [[3, 4]],
    f: (t, [x]) => ad.meanAll(t, ad.mul(t, x!, ad.unary(t, 'tanh', x!))),
  },
  {
    name: 'matmul with bias, addend and tanh in one epilogue',
    shapes: [[5, 4], [4, 8], [8], [5, 8]],
    f: (t, [x, w, b, a]) => ad.matmul(t, x!, w!, { bias: b, add: a, act: 'tanh' }),
  },
  { name: 'meanSquare (½·mean x², one reduction)', shapes: [[5, 3]], f: (t, [x]) => ad.meanSquare(t, x!, 0.5) },
  {
    name: "a SiLU layer feeding one product (its derivative in that product's epilogue), with a residual",
    shapes: [[5, 4], [4, 6], [6], [6, 4], [4]],
    f: (t, [x, w1, b1, w2, b2]) =>
      ad.matmul(t, ad.matmul(t, x!, w1!, { bias: b1, act: 'silu' }), w2!, { bias: b2, add: x }),
  },
  {
    name: 'a SiLU layer used twice (its derivative applied once, after both contributions)',
    shapes: [
      [5, 4],
      [4, 6],
      [6, 3],
      [6, 3],
    ],
    f: (t, [x, w, a, b]) => {
      const h = ad.matmul(t, x!, w!, { act: 'silu' });
      return ad.mul(t, ad.matmul(t, h, a!), ad.matmul(t, h, b!));
    },
  },
  {
    name: 'a difference of products as one product with alpha −1 (bias and addend outside it)',
    shapes: [[5, 4], [3, 4], [3], [5, 6], [6, 3]],
    f: (t, [a, b, bias, c, d]) =>
      ad.matmul(t, a!, b!, { transB: true, alpha: -1, bias, add: ad.matmul(t, c!, d!), act: 'tanh' }),
  },
  {
    name: "matmul adding a table's gathered rows (the level embedding), tanh",
    shapes: [
      [5, 4],
      [4, 3],
      [6, 3],
    ],
    f: (t, [x, w, table]) => {
      const rows = [2, 0, 5, 2, 3];
      const index = t.B.fromArray(rows, [5]),
        selector = t.B.fromArray(
          Array.from({ length: 30 }, (_, i) => (rows[Math.floor(i / 6)] === i % 6 ? 1 : 0)),
          [5, 6],
        );
      return ad.matmul(t, x!, w!, { addRows: { table: table!, index, selector }, act: 'tanh' });
    },
  },
  {
    name: 'two-layer tanh MLP + squared loss',
    shapes: [[6, 4], [4, 8], [8], [8, 4], [4], [6, 4]],
    f: (t, [x, w1, b1, w2, b2, y]) => {
      const h = ad.matmul(t, x!, w1!, { bias: b1, act: 'tanh' });
      const o = ad.matmul(t, h, w2!, { bias: b2 });
      return ad.meanAll(t, ad.unary(t, 'square', ad.sub(t, o, y!)));
    },
  },
  {
    name: "three tanh layers (each tanh' folded into the next layer's backward product)",
    shapes: [[5, 4], [4, 8], [8, 8], [8], [8, 3]],
    f: (t, [x, w1, w2, b2, w3]) => {
      const h1 = ad.matmul(t, x!, w1!, { act: 'tanh' });
      const h2 = ad.matmul(t, h1, w2!, { bias: b2, act: 'tanh' });
      return ad.meanSquare(t, ad.matmul(t, h2, w3!), 0.5);
    },
  },
  {
    name: 'a tanh layer used twice (its derivative applied once, after both contributions)',
    shapes: [
      [5, 4],
      [4, 8],
      [8, 3],
      [8, 3],
    ],
    f: (t, [x, w1, wa, wb]) => {
      const h = ad.matmul(t, x!, w1!, { act: 'tanh' });
      return ad.meanAll(t, ad.mul(t, ad.matmul(t, h, wa!), ad.matmul(t, h, wb!, { transA: false })));
    },
  },
  {
    name: 'a tanh layer entering a product transposed',
    shapes: [
      [6, 4],
      [4, 5],
      [6, 3],
    ],
    f: (t, [x, w, c]) =>
      ad.meanSquare(t, ad.matmul(t, ad.matmul(t, x!, w!, { act: 'tanh' }), c!, { transA: true }), 0.5),
  },
];

const inputsFor = (c: Case) =>
  c.shapes.map((s, i) =>
    refArray(
      testData(
        s.reduce((a, b) => a * b, 1),
        31 + i,
        c.positive ? 0.5 : -1.5,
        1.5,
      ),
      s,
    ),
  );

describe('check_vjp in f64 on the reference tape', () => {
  it.each(cases)('$name', (c) => {
    const { fd, vjp, relErr } = checkVjp((t, xs) => c.f(t, xs), inputsFor(c));
    expect(Number.isFinite(fd)).toBe(true);
    expect(relErr, `fd ${fd} vs vjp ${vjp}`).toBeLessThan(TOL.vjpF64.rtol);
  });

  it('a wrong gradient rule is caught', () => {
    // Deliberately wrong rule: claims d tanh = 1.
    const wrong = checkVjp(
      (t, [x]) => t.record('badtanh', t.B.unary('tanh', x!.value), [x!], (g) => [g]),
      [refArray(testData(10, 3), [10])],
    );
    expect(wrong.relErr).toBeGreaterThan(1e-3);
  });

  it('noGrad records nothing and backward refuses a constant output', () => {
    const B = new CpuBackend();
    const tape = new Tape(B);
    const x = tape.param(refArray([1, 2], [2]));
    const y = tape.noGrad(() => ad.unary(tape, 'exp', x));
    expect(y.requiresGrad).toBe(false);
    expect(() => tape.backward(y)).toThrow(/does not depend/);
  });
});

async function gradsOn<T extends TensorLike>(
  B: Backend<T>,
  c: Case,
  inputs: RefArray[],
): Promise<{ y: Float64Array; grads: Float64Array[] }> {
  const tape = new Tape(B);
  const xs = inputs.map((x) => tape.param(B.fromArray(x.data, x.shape)));
  const y = c.f(tape, xs);
  const cot = testData(
    y.shape.reduce((a, b) => a * b, 1),
    77,
  );
  tape.backward(y, B.fromArray(cot, y.shape));
  return { y: await B.toArray(y.value), grads: await Promise.all(xs.map((x) => B.toArray(x.grad!))) };
}

const engine = await testEngine();
describe.skipIf(!engine)('GPU backward vs reference backward', () => {
  it.each(cases)('$name', async (c) => {
    const e = engine!;
    const inputs = inputsFor(c);
    const want = await gradsOn(new CpuBackend(), c, inputs);
    const got = await e.scope(() => gradsOn(new WebGPUBackend(e), c, inputs));
    expectClose(got.y, want.y, TOL.transcendental, `${c.name} forward`);
    got.grads.forEach((g, i) => expectClose(g, want.grads[i]!, TOL.grad, `${c.name} grad ${i}`));
    expect(e.liveTensorCount).toBe(0);
  });
});

describe("a squared loss's pending gradient scale (meanSquare seeded with ones)", () => {
  // The loss hands its product the unscaled residual and the factor 2c/n rides in that product's gradient products
  // (alpha), its bias's column sums or reduction, and its addend's gradient. Against the same tape seeded with an
  // explicit [1] (the general rule: one scaling pass) they must agree.
  const nets: Case[] = [
    {
      name: 'weight, bias and addend with gradients',
      shapes: [[6, 4], [4, 3], [3], [6, 3]],
      f: (t, [x, w, b, a]) => ad.meanSquare(t, ad.matmul(t, x!, w!, { bias: b, add: a }), 0.5),
    },
    {
      name: 'transposed weight (bias by reduction) under a tanh layer',
      shapes: [[6, 4], [4, 8], [3, 8], [3]],
      f: (t, [x, w1, w2, b]) =>
        ad.meanSquare(t, ad.matmul(t, ad.matmul(t, x!, w1!, { act: 'tanh' }), w2!, { transB: true, bias: b }), 0.5),
    },
  ];
  const grads = async <T extends TensorLike>(B: Backend<T>, c: Case, seeded: boolean) => {
    const tape = new Tape(B);
    const xs = inputsFor(c).map((x) => tape.param(B.fromArray(x.data, x.shape)));
    const y = c.f(tape, xs);
    tape.backward(y, seeded ? B.fromArray([1], y.shape) : undefined);
    return Promise.all(xs.map((x) => B.toArray(x.grad!)));
  };
  it.each(nets)('$name', async (c) => {
    const cpu = new CpuBackend();
    const want = await grads(cpu, c, true);
    (await grads(cpu, c, false)).forEach((g, i) => expectClose(g, want[i]!, { rtol: 1e-12, atol: 1e-15 }, `f64 ${i}`));
    const e = engine;
    if (!e) return;
    const got = await e.scope(() => grads(new WebGPUBackend(e), c, false));
    got.forEach((g, i) => expectClose(g, want[i]!, TOL.grad, `${c.name} grad ${i}`));
    expect(e.liveTensorCount).toBe(0);
  });
});
