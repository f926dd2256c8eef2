import { describe, it, expect } from 'vitest';
import ndarray from 'ndarray';
import { testEngine } from './helpers/gpu.ts';
import { fromNdarray, toNdarray } from '../src/gpu/interop.ts';

const engine = await testEngine();
describe.skipIf(!engine)('ndarray interop', () => {
  it('uploads strided views contiguously and reads back row-major views', async () => {
    const e = engine!;
    const base = ndarray(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    const t = fromNdarray(e, base.transpose(1, 0)); // 3×2 view with strides [1, 3]
    expect(t.shape).toEqual([3, 2]);
    const back = await toNdarray(e, t);
    expect(back.shape).toEqual([3, 2]);
    expect([back.get(0, 0), back.get(0, 1), back.get(2, 1)]).toEqual([1, 4, 6]);
    t.dispose();
    expect(() => fromNdarray(e, ndarray(new Float64Array([1, NaN]), [2]), 'X')).toThrow(
      /non-finite value NaN at index \[1\]/,
    );
  });
});
