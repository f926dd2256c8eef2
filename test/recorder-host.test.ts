// The host side of recording a dispatch (src/gpu/recorder.ts, reflect.ts, programs.ts): params packed in place into
// the uniform ring, program keys independent of the constants' order, bind groups cached per program and slot.
import { describe, it, expect } from 'vitest';
import { packParams, packParamsInto, type ParamField } from '../src/gpu/reflect.ts';
import { programKey } from '../src/gpu/programs.ts';
import { unary, fill } from '../src/gpu/kernels/elementwise.ts';
import { testEngine } from './helpers/gpu.ts';

const engine = await testEngine();
const fields: ParamField[] = [
  { name: 'n', type: 'u32' },
  { name: 'alpha', type: 'f32' },
  { name: 'shift', type: 'i32' },
  { name: 'pad0', type: 'u32' },
  { name: 'beta', type: 'f32' },
];

describe('host-side recording', () => {
  it('packs params in place with the bytes packParams makes, and only its own', () => {
    const values = { n: 4097, alpha: -0.1, shift: -3, beta: 1e-20 };
    const alone = new Uint8Array(packParams(fields, values, 's'));
    const ring = new Uint8Array(96).fill(0xab);
    packParamsInto(new DataView(ring.buffer), 32, fields, values, 's');
    expect([...ring.subarray(32, 52)]).toEqual([...alone.subarray(0, 20)]);
    expect(ring.subarray(0, 32).every((b) => b === 0xab)).toBe(true);
    expect(ring.subarray(52).every((b) => b === 0xab)).toBe(true);
    const f = new Float32Array(ring.buffer, 32, 5),
      u = new Uint32Array(ring.buffer, 32, 5),
      i = new Int32Array(ring.buffer, 32, 5);
    expect([u[0], f[1], i[2], u[3], f[4]]).toEqual([4097, Math.fround(-0.1), -3, 0, Math.fround(1e-20)]);
    const view = new DataView(new ArrayBuffer(32));
    expect(() => packParamsInto(view, 0, fields, { ...values, gamma: 1 }, 's')).toThrow("no Params field 'gamma'");
    expect(() => packParamsInto(view, 0, fields, { n: 1, alpha: 1, shift: 0 }, 's')).toThrow("'beta' not provided");
    expect(() => packParamsInto(view, 0, fields, { ...values, n: -1 }, 's')).toThrow('is not a u32');
  });

  it('keys a program by its shader and constants, in any order', () => {
    expect(programKey('m', { WG: 8, ACT: 2, HAS_BIAS: true })).toBe(programKey('m', { HAS_BIAS: true, ACT: 2, WG: 8 }));
    expect(programKey('m', { A: true })).not.toBe(programKey('m', { A: 1 }));
    expect(programKey('m', { A: 1 })).not.toBe(programKey('n', { A: 1 }));
    expect(programKey('m', { A: 1, B: 2 })).not.toBe(programKey('m', { A: 12 }));
  });

  it.skipIf(!engine)('reuses no bind group across params, programs or ranges in one submit', async () => {
    const e = engine!;
    const x = e.upload(Float32Array.from([1, 2, 3, 4]), [4]);
    const outs = [0.5, 2, 0.5].map((a) => unary(e, 'affine', x, a, 1)); // same program and buffers, other params
    const neg = unary(e, 'neg', x); // another program on the same input
    const f = fill(e, e.empty([4]), 7);
    const got = await Promise.all([...outs, neg, f].map((t) => e.read(t)));
    for (const [k, a] of [0.5, 2, 0.5].entries()) expect([...got[k]!]).toEqual([1, 2, 3, 4].map((v) => a * v + 1)); // exact in f32
    expect([...got[3]!]).toEqual([-1, -2, -3, -4]);
    expect([...got[4]!]).toEqual([7, 7, 7, 7]);
    [x, ...outs, neg, f].forEach((t) => t.dispose());
  });
});
