// Packed parameters: tensors that are slices of one buffer (Engine.packed, Backend.packed), each bound to kernels as
// its own range, and AdamW over them in one dispatch with exactly the values of the per-tensor loop.
import { describe, it, expect } from 'vitest';
import { testEngine } from './helpers/gpu.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { CpuBackend } from '../src/ops/cpu-backend.ts';
import { AdamW } from '../src/nn/adamw.ts';
import { adamwKernel } from '../src/nn/kernels/adamw.ts';
import { cosineSchedule } from '../src/gpu/kernels/schedules.ts';
import type { Backend, TensorLike } from '../src/ops/backend.ts';
import { expectClose } from './helpers/tolerance.ts';

/** Equal bit for bit, or (`close`: a clipped step, whose global norm a group sums in one pass over its buffer and
 *  the per-tensor loop tensor by tensor, in another order) within a few roundings. */
function same(a: number[][], b: number[][], close: boolean, what: string, f64: boolean) {
  if (!close) return expect(a, what).toEqual(b);
  a.forEach((x, i) => expectClose(x, b[i]!, f64 ? { rtol: 1e-13, atol: 1e-15 } : { rtol: 2e-6, atol: 1e-7 }, what));
}

const shapes = [[3, 5], [7], [2, 2], [1]];
const values = (k: number, n: number, step = 0) =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(1.3 * i + 0.7 * k + 2.1 * step));
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

const engine = await testEngine();

describe.skipIf(!engine)('packed tensors on the GPU', () => {
  const e = engine!;
  it('slices start at the storage alignment, read and write their own range, and a kernel on one leaves the rest', async () => {
    const data = shapes.map((s, k) => Float32Array.from({ length: size(s) }, (_, i) => 100 * k + i));
    const { whole, slices } = e.packed(shapes, data);
    const a = e.sliceAlignment * 4; // bytes
    expect(slices.map((s) => s.byteOffset)).toEqual([0, a, 2 * a, 3 * a]);
    for (const [k, s] of slices.entries()) expect(Array.from(await e.read(s))).toEqual(Array.from(data[k]!));
    e.write(slices[1]!, new Float32Array(7).fill(-1));
    // an in-place kernel on the middle slice (bound read-write beside its neighbours' buffer)
    const B = new WebGPUBackend(e);
    const [g, m, v] = [B.full([7], 1), B.full([7], 0), B.full([7], 0)];
    B.fused(adamwKernel, [slices[1]!, g, m, v, undefined], {
      lr: 0.1,
      b1: 0.9,
      b2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
      step: 1,
    });
    for (const k of [0, 2, 3]) expect(Array.from(await e.read(slices[k]!))).toEqual(Array.from(data[k]!));
    for (const x of await e.read(slices[1]!)) expect(x).toBeCloseTo(-1.1, 5); // one Adam step of size lr against g
    const w = await e.read(whole);
    expect(Array.from(w.subarray(15, a / 4)).every((x) => x === 0)).toBe(true); // the gap after slice 0 stays zero
    expect(Array.from(await e.read(e.reshape(slices[2]!, [4])))).toEqual(Array.from(data[2]!)); // a reshape keeps its place
    [g, m, v, ...slices, whole].forEach((t) => t.dispose());
  });
});

/** Three AdamW steps (with clipping) on packed, grouped or separate parameters: final parameters and moments. Step 1
 *  lacks the gradient of parameter 2, step 2 those of parameters 0 and 1 (the whole first group). */
async function threeSteps<T extends TensorLike>(B: Backend<T>, mode: 'packed' | 'groups' | 'separate', clip: number) {
  const init = shapes.map((s, k) => ({ data: values(k, size(s)), shape: s }));
  // groups: parameters 0–1 in one buffer, 2 alone in another, 3 a tensor of its own
  const groups = mode === 'groups' ? [B.packed(init.slice(0, 2)), B.packed(init.slice(2, 3))] : [];
  const pk = mode === 'packed' ? B.packed(init) : null;
  const params = pk
    ? pk.slices
    : groups.length
      ? [...groups.flatMap((g) => g.slices), B.fromArray(init[3]!.data, init[3]!.shape)]
      : init.map((x) => B.fromArray(x.data, x.shape));
  const opt = new AdamW(B, params, {
    schedule: cosineSchedule(0.05, 10),
    weightDecay: 0.3,
    maxGradNorm: clip,
    ...(pk ? { packed: pk.whole } : {}),
    ...(groups.length ? { groups: groups.map((g) => ({ whole: g.whole, count: g.slices.length })) } : {}),
  });
  const missing = (step: number, k: number) => (step === 1 && k === 2) || (step === 2 && k < 2);
  for (let step = 0; step < 3; step++)
    opt.update(shapes.map((s, k) => (missing(step, k) ? null : B.fromArray(values(k + 5, size(s), step), s))));
  const read = (ts: T[]) => Promise.all(ts.map((t) => B.toArray(t)));
  const st = opt.state();
  return { params: await read(params), m: await read(st.m), v: await read(st.v) };
}

describe('AdamW over packed parameters', () => {
  const backends: [string, Backend<TensorLike> | null][] = [
    ['Float64', new CpuBackend() as unknown as Backend<TensorLike>],
    ['GPU', engine ? (new WebGPUBackend(engine) as unknown as Backend<TensorLike>) : null],
  ];
  for (const [name, B] of backends)
    it.skipIf(!B)(
      `${name}: packed and grouped give the values of the per-tensor loop, bit for bit unclipped (steps without some gradients too)`,
      async () => {
        for (const clip of [0, 0.5]) {
          const b = await threeSteps(B!, 'separate', clip);
          for (const mode of ['packed', 'groups'] as const) {
            const a = await threeSteps(B!, mode, clip);
            const arr = (xs: ArrayLike<number>[]) => xs.map((x) => Array.from(x));
            same(arr(a.params), arr(b.params), clip > 0, `${mode} params`, name === 'Float64');
            same(arr(a.m), arr(b.m), clip > 0, `${mode} m`, name === 'Float64');
            same(arr(a.v), arr(b.v), clip > 0, `${mode} v`, name === 'Float64');
            expect(a.params[0]![0]).not.toBe(values(0, 1)[0]); // the steps moved the parameters
          }
        }
      },
    );
  it.skipIf(!engine)('GPU: one AdamW dispatch per step for all tensors', async () => {
    const B = new WebGPUBackend(engine!);
    const pk = B.packed(shapes.map((s, k) => ({ data: values(k, size(s)), shape: s })));
    const opt = new AdamW(B, pk.slices, { schedule: () => 0.01, packed: pk.whole });
    const grads = shapes.map((s, k) => B.fromArray(values(k, size(s)), s));
    await engine!.sync();
    const before = engine!.stats.dispatches;
    opt.update(grads);
    expect(engine!.stats.dispatches - before).toBe(1);
    opt.dispose();
    [...grads, ...pk.slices, pk.whole].forEach((t) => t.dispose());
  });
  for (const [name, B] of backends)
    it.skipIf(!B)(
      `${name}: groups of one layout share a gradient buffer and still match the per-tensor loop`,
      async () => {
        // two "generators" of the same shapes, trained in turn and then together (the count prior's pattern)
        const twin = [[3, 5], [7]];
        const init = [...twin, ...twin].map((s, k) => ({ data: values(k, size(s)), shape: s }));
        const run = async (grouped: boolean) => {
          const g = grouped ? [B!.packed(init.slice(0, 2)), B!.packed(init.slice(2))] : [];
          const params = grouped ? g.flatMap((x) => x.slices) : init.map((x) => B!.fromArray(x.data, x.shape));
          const opt = new AdamW(B!, params, {
            schedule: cosineSchedule(0.05, 10),
            maxGradNorm: 0.5,
            ...(grouped ? { groups: g.map((x) => ({ whole: x.whole, count: 2 })) } : {}),
          });
          const has = [
            [0, 1],
            [2, 3],
            [0, 1, 2, 3],
          ];
          for (let step = 0; step < 3; step++)
            opt.update(
              init.map((x, k) =>
                has[step]!.includes(k) ? B!.fromArray(values(k + 9, x.data.length, step), x.shape) : null,
              ),
            );
          return Promise.all(params.map(async (t) => Array.from(await B!.toArray(t))));
        };
        same(await run(true), await run(false), true, 'shared gradient buffer', name === 'Float64');
      },
    );
  it.skipIf(!engine)('GPU: one dispatch per group with gradients; a group without any is skipped', async () => {
    const B = new WebGPUBackend(engine!);
    const init = shapes.map((s, k) => ({ data: values(k, size(s)), shape: s }));
    const [g1, g2] = [B.packed(init.slice(0, 2)), B.packed(init.slice(2))];
    const opt = new AdamW(B, [...g1.slices, ...g2.slices], {
      schedule: () => 0.01,
      groups: [g1, g2].map((g) => ({ whole: g.whole, count: g.slices.length })),
    });
    const grads = shapes.map((s, k) => B.fromArray(values(k, size(s)), s));
    await engine!.sync();
    const before = engine!.stats.dispatches;
    opt.update([grads[0]!, grads[1]!, null, null]); // the count prior's step: one environment's generator
    expect(engine!.stats.dispatches - before).toBe(1);
    // clipped: one sum of squares over the group's gradient buffer, one per lone tensor, accumulated in place
    const clipped = new AdamW(B, [...g1.slices, ...g2.slices], {
      schedule: () => 0.01,
      maxGradNorm: 0.5,
      groups: [{ whole: g1.whole, count: g1.slices.length }],
    });
    await engine!.sync();
    const at = engine!.stats.dispatches;
    clipped.update(grads); // group 1 (1 reduction + 1 AdamW) and g2's two tensors alone (2 reductions + 2 AdamW)
    expect(engine!.stats.dispatches - at).toBe(6);
    clipped.dispose();
    expect(() => new AdamW(B, g1.slices, { schedule: () => 0.01, groups: [{ whole: g1.whole, count: 3 }] })).toThrow(
      /a group of 3 parameters from index 0 exceeds the 2 given/,
    );
    opt.dispose();
    [...grads, ...g1.slices, ...g2.slices, g1.whole, g2.whole].forEach((t) => t.dispose());
  });
});
