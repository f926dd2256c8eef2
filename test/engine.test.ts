// Engine behaviour: memory lifetime, scopes, deferred release, grid folding, borrowing, and clear errors.
import { describe, it, expect } from 'vitest';
import { testEngine } from './helpers/gpu.ts';
import { Engine, foldGrid } from '../src/gpu/engine.ts';
import { unary, fill } from '../src/gpu/kernels/elementwise.ts';
import { matmul } from '../src/gpu/kernels/matmul.ts';
import { registerShader, type ShaderName } from '../src/gpu/shaders.ts';
import { DisposedError, LimitError, ShaderCompileError } from '../src/gpu/errors.ts';
import { bucketSize } from '../src/gpu/pool.ts';

describe('grid folding and buckets (no GPU)', () => {
  it('folds workgroup counts past 65535 into two dimensions covering every group', () => {
    for (const n of [1, 65535, 65536, 1_000_000, 65535 * 65535]) {
      const [x, y] = foldGrid(n);
      expect(x).toBeLessThanOrEqual(65535);
      expect(y).toBeLessThanOrEqual(65535);
      expect(x * y).toBeGreaterThanOrEqual(n);
    }
  });
  it('rounds sizes up to power-of-two buckets from 256 B', () => {
    expect([1, 256, 257, 4096, 4097].map(bucketSize)).toEqual([256, 256, 512, 4096, 8192]);
  });
});

const engine = await testEngine();
describe.skipIf(!engine)('engine', () => {
  const e = engine!;

  it('reports the adapter and accepts fallback (software) adapters', () => {
    expect(typeof e.info.description).toBe('string');
    expect(e.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 2 ** 20);
  });

  it('a tensor used after dispose throws a DisposedError naming it', () => {
    const t = e.upload([1, 2, 3], [3], 'weights');
    t.dispose();
    t.dispose(); // idempotent
    expect(() => unary(e, 'neg', t)).toThrow(DisposedError);
    expect(() => t.buffer).toThrow(/'weights' \[3\] was used after dispose/);
  });

  it('a tensor over the binding limit is refused with the limit in the message', () => {
    const limit = e.limits.maxStorageBufferBindingSize;
    expect(() => e.empty([Math.ceil(limit / 4) + 1], 'huge')).toThrow(LimitError);
    expect(() => e.empty([Math.ceil(limit / 4) + 1], 'huge')).toThrow(new RegExp(String(limit)));
  });

  it('a misspelt shader name fails to compile (tsc in npm test checks the @ts-expect-error) and to run', () => {
    // @ts-expect-error: 'matmul_rowuu' is not in the generated BuiltinShaderName union
    const misspelt: ShaderName = 'matmul_rowuu';
    expect(() => e.program(misspelt)).toThrow(/unknown shader 'matmul_rowuu'/);
  });

  it('a WGSL compile error throws with the shader name, line and message', async () => {
    const broken = registerShader(
      'broken_test',
      [
        'struct Params { n: u32, a: f32, b: f32, c: f32 }',
        '@group(0) @binding(0) var<storage, read_write> out: array<f32>;',
        '@group(0) @binding(1) var<uniform> p: Params;',
        '@compute @workgroup_size(1) fn main() {',
        '  out[0] = undefined_symbol;',
        '}',
      ].join('\n'),
    );
    const t = e.empty([1]);
    e.dispatch(broken, {}, [t], { n: 1, a: 0, b: 0, c: 0 }, [1]);
    const err = await e.sync().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ShaderCompileError);
    expect((err as ShaderCompileError).shader).toBe('broken_test');
    expect((err as ShaderCompileError).line).toBe(5);
    expect((err as Error).message).toMatch(/undefined_symbol/);
    t.dispose();
    await e.sync().catch(() => undefined); // drain the validation error of that submit
  });

  it('profiles each dispatch (timestamp queries, or without them each replayed alone): in order, positive, a big matmul slower than a tiny fill', async () => {
    await e.sync();
    const a = e.upload(new Float32Array(256 * 256).fill(1), [256, 256]);
    const tiny = e.empty([4]);
    e.startProfile();
    fill(e, tiny, 1);
    const c = matmul(e, a, a);
    fill(e, tiny, 2);
    const rows = await e.stopProfile();
    expect(rows.map((r) => r.shader)).toEqual(['fill', rows[1]!.shader, 'fill']);
    expect(rows[1]!.shader).toMatch(/^matmul/);
    expect(rows.every((r) => r.ns > 0)).toBe(true);
    expect(rows[1]!.ns).toBeGreaterThan(rows[0]!.ns);
    expect(Array.from(await e.read(c)).slice(0, 2)).toEqual([256, 256]); // the timed passes computed the same
    expect(Array.from(await e.read(tiny))).toEqual([2, 2, 2, 2]); // a replay runs each dispatch with its own uniforms
    await expect(e.stopProfile()).rejects.toThrow(/no profile is running/);
    [a, tiny, c].forEach((t) => t.dispose());
  });

  it('a replayed profile keeps the buffers released meanwhile out of reuse until it ends (the replay writes no live tensor)', async () => {
    await e.sync();
    e.startProfile();
    const t = e.upload([1, 2, 3, 4], [4]);
    const y = unary(e, 'neg', t); // recorded: a replay writes y's buffer again
    y.dispose();
    t.dispose();
    e.flush(); // a submit: a released buffer would be reusable from here on
    const live = Array.from({ length: 4 }, () => e.upload([7, 7, 7, 7], [4])); // would take y's or t's buffer
    const rows = await e.stopProfile();
    expect(rows.length).toBeGreaterThan(0);
    for (const z of live) expect(Array.from(await e.read(z))).toEqual([7, 7, 7, 7]);
    live.forEach((z) => z.dispose());
  });

  it('many dispatches go into one submit; the pool reuses buffers only after the submit', async () => {
    await e.sync();
    const auto = e.maxDispatchesPerSubmit;
    e.maxDispatchesPerSubmit = 0;
    const s0 = { ...e.stats };
    const x = e.upload(
      Float32Array.from({ length: 1000 }, (_, i) => i),
      [1000],
    );
    let y = x;
    for (let i = 0; i < 50; i++) {
      const next = unary(e, 'affine', y, 1, 1);
      if (y !== x) y.dispose(); // released while the encoder still reads it: must not be reused yet
      y = next;
      const junk = e.upload(new Float32Array(1000).fill(-1e6), [1000]); // would corrupt y if the buffer were reused early
      junk.dispose();
    }
    const out = await e.read(y);
    expect(out[0]).toBe(50);
    expect(out[999]).toBe(1049);
    expect(e.stats.dispatches - s0.dispatches).toBe(50);
    expect(e.stats.submits - s0.submits).toBe(1);
    // With auto-submit every 16 dispatches the same work is correct and takes ⌈50/16⌉ + 1 submits.
    e.maxDispatchesPerSubmit = 16;
    const s1 = e.stats.submits;
    let z = e.upload(
      Float32Array.from({ length: 1000 }, (_, i) => i),
      [1000],
    );
    for (let i = 0; i < 50; i++) {
      const next = unary(e, 'affine', z, 1, 1);
      z.dispose();
      z = next;
    }
    expect((await e.read(z))[999]).toBe(1049);
    expect(e.stats.submits - s1).toBe(4);
    z.dispose();
    e.maxDispatchesPerSubmit = auto;
    x.dispose();
    y.dispose();
    const created = e.pool.stats().created;
    for (let i = 0; i < 20; i++) {
      const t = e.empty([1000]);
      t.dispose();
      await e.sync();
    }
    expect(e.pool.stats().created - created).toBeLessThanOrEqual(1);
  });

  it('a kernel output takes a buffer released in the open encoder at once (recorded order), an upload does not', async () => {
    await e.sync();
    const auto = e.maxDispatchesPerSubmit;
    e.maxDispatchesPerSubmit = 0;
    const x = e.upload(
      Float32Array.from({ length: 1000 }, (_, i) => i),
      [1000],
    );
    let y = unary(e, 'affine', x, 1, 1);
    const created = e.pool.stats().created;
    for (let i = 1; i < 50; i++) {
      const next = unary(e, 'affine', y, 1, 1); // y's readers are recorded before the next output's writer
      y.dispose();
      y = next;
      const junk = e.upload(new Float32Array(1000).fill(-1e6), [1000]); // must not land on a buffer y's chain reads
      junk.dispose();
    }
    const submits = e.stats.submits;
    const out = await e.read(y);
    expect(e.stats.submits - submits).toBe(1); // the whole chain was one encoder
    expect([out[0], out[999]]).toEqual([50, 1049]);
    // Outputs alternate between two buffers; the 49 uploads each need one not read by the open encoder. Before, every
    // output of the chain was a new buffer as well (about 100 in all).
    expect(e.pool.stats().created - created).toBeLessThanOrEqual(52);
    e.maxDispatchesPerSubmit = auto;
    [x, y].forEach((t) => t.dispose());
  });

  it('scopes dispose everything not returned or kept, also when they throw', async () => {
    const live0 = e.liveTensorCount;
    let kept: ReturnType<typeof e.empty> | null = null;
    const out = e.scope(() => {
      const a = e.upload([1, 2], [2]);
      const inner = e.scope(() => ({ r: unary(e, 'neg', a), tmp: 1 }));
      kept = e.keep(unary(e, 'exp', a));
      unary(e, 'square', a);
      return [inner.r];
    });
    expect(e.liveTensorCount).toBe(live0 + 2);
    expect(Array.from(await e.read(out[0]!))).toEqual([-1, -2]);
    expect(() =>
      e.scope(() => {
        e.empty([4]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(e.liveTensorCount).toBe(live0 + 2);
    out[0]!.dispose();
    kept!.dispose();
    expect(e.liveTensorCount).toBe(live0);
  });

  it('1-D kernels cover grids folded past 65,535 workgroups', async () => {
    const n = 65535 * 64 + 1000; // needs 65,551 workgroups of 64
    const t = fill(e, e.empty([n]), 3);
    const out = await e.read(t);
    expect(out[0]).toBe(3);
    expect(out[n - 1]).toBe(3);
    expect(out.every((v) => v === 3)).toBe(true);
    t.dispose();
  });

  it('a borrowed device is never destroyed by the borrower', async () => {
    const borrowed = Engine.fromDevice(e.device, undefined, { software: e.info.software });
    const t = borrowed.upload([1, 2, 3], [3]);
    expect(Array.from(await borrowed.read(unary(borrowed, 'square', t)))).toEqual([1, 4, 9]);
    borrowed.destroy();
    borrowed.destroy(); // idempotent
    expect(borrowed.liveTensorCount).toBe(0);
    const u = e.upload([2], [1]);
    expect(Array.from(await e.read(u))).toEqual([2]); // owner still works
    u.dispose();
  });

  it('wraps and unwraps host buffers without taking ownership', async () => {
    const raw = e.device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    e.device.queue.writeBuffer(raw, 0, new Float32Array([1, 2, 3, 4]));
    const t = e.wrap(raw, [4]);
    expect(e.unwrap(t)).toBe(raw);
    const y = unary(e, 'neg', t);
    t.dispose();
    expect(Array.from(await e.read(y))).toEqual([-1, -2, -3, -4]);
    expect(raw.size).toBe(16); // still usable: not destroyed
    y.dispose();
    raw.destroy();
  });

  it('an owned engine destroys cleanly and idempotently', async () => {
    const own = await Engine.create();
    own.upload([1], [1]);
    own.destroy();
    own.destroy();
    expect(own.isDestroyed).toBe(true);
    expect(() => unary(own, 'neg', own.upload([1], [1]))).toThrow(/destroyed/);
  });

  it('close() returns only after the owned device has been lost (what a process about to exit waits for)', async () => {
    const own = await Engine.create();
    let lost = false;
    void own.device.lost.then(() => (lost = true));
    await own.close();
    expect(own.isDestroyed).toBe(true);
    expect(lost).toBe(true);
    await own.close(); // idempotent
    const borrowed = Engine.fromDevice(e.device, undefined, { software: e.info.software });
    await borrowed.close(); // a borrower does not wait on a device it does not own
    const u = e.upload([5], [1]);
    expect(Array.from(await e.read(u))).toEqual([5]);
    u.dispose();
  });
});
