import { describe, it, expect } from 'vitest';
import { philox4x32, normalStream, u01 } from '../src/reference/philox.ts';
import { randomStream } from '../src/core/random-streams.ts';
import { testEngine } from './helpers/gpu.ts';
import { randomNormal } from '../src/gpu/kernels/random.ts';
import { expectClose, TOL } from './helpers/tolerance.ts';

describe('Philox-4x32-10 reference', () => {
  // Known-answer vectors of the Random123 distribution (kat_vectors).
  it.each([
    [
      [0, 0, 0, 0],
      [0, 0],
      [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
    ],
    [
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
      [0xffffffff, 0xffffffff],
      [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
    ],
    [
      [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
      [0xa4093822, 0x299f31d0],
      [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
    ],
  ])('matches the Random123 known answer for counter %j', (ctr, key, want) => {
    expect(philox4x32(ctr, key)).toEqual(want);
  });

  it('u01 stays strictly inside (0, 1)', () => {
    expect(u01(0)).toBeGreaterThan(0);
    expect(u01(0xffffffff)).toBeLessThan(1);
  });

  it('normal stream has unit moments and distinct streams per coordinate', () => {
    const n = 200_000;
    const z = normalStream(n, randomStream(42, 'scratch', 7));
    const mean = z.reduce((a, b) => a + b, 0) / n;
    const v = z.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(v - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    const other = normalStream(8, randomStream(42, 'scratch', 8));
    expect(Array.from(other)).not.toEqual(Array.from(z.slice(0, 8)));
  });
});

const engine = await testEngine();
describe.skipIf(!engine)('Philox normal stream on the GPU', () => {
  it('reproduces the reference stream exactly in its uniforms and to f32 accuracy in its normals', async () => {
    const e = engine!;
    for (const [n, stream] of [
      [1027, randomStream(0, 'dsm.noise')],
      [4096, randomStream(2 ** 40 + 5, 'scratch', 3, 9)],
    ] as const) {
      const t = randomNormal(e, [n], stream);
      const got = await e.read(t);
      expectClose(got, normalStream(n, stream), TOL.transcendental, `normal stream n=${n}`);
      t.dispose();
    }
  });
});
