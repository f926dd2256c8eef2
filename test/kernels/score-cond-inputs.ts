// Inputs of the score network's fused conditioning (score_cond, score_cond_vjp) at a given size: the level table,
// target weights (a double: two ones), and parameters at the scale the network's initialisation gives them.
import { testData } from '../helpers/tolerance.ts';
import type { ConformanceCase } from '../helpers/conformance.ts';

export interface CondSize {
  Lc: number;
  H: number;
  De: number;
  G: number;
}

type In = ConformanceCase<Record<string, never>>['inputs'];

const t = (shape: number[], seed: number, scale: number) => ({
  data: testData(
    shape.reduce((a, b) => a * b, 1),
    seed,
    -scale,
    scale,
  ),
  shape,
});

/** S, w, then COND_PARAMS' eleven parameters (score_cond's inputs). */
export function condInputs({ Lc, H, De, G }: CondSize, seed: number): In {
  const w = new Float64Array(G);
  w[0] = 1;
  if (G > 2) w[2] = 1;
  const k = 1 / Math.sqrt(H);
  return [
    t([Lc, H], seed, 1),
    { data: w, shape: [1, G] },
    t([H, H], seed + 1, 2 * k),
    t([H], seed + 2, 0.1),
    t([H, H], seed + 3, 2 * k),
    t([H], seed + 4, 0.1),
    t([G, De], seed + 5, 0.5),
    t([De, H], seed + 6, 2 / Math.sqrt(De)),
    t([H], seed + 7, 0.1),
    t([De, H], seed + 8, 2 / Math.sqrt(De)),
    t([H], seed + 9, 0.1),
    t([H], seed + 10, 0.1),
    t([H], seed + 11, 0.1),
  ];
}

/** S, w, saved (T1 in (−1, 1), then ē), the three cotangents, time.w2, embed.table, inject1.w, inject2.w
 *  (score_cond_vjp's inputs). */
export function condVjpInputs({ Lc, H, De, G }: CondSize, seed: number): In {
  const f = condInputs({ Lc, H, De, G }, seed);
  return [
    f[0],
    f[1],
    t([Lc * H + De], seed + 20, 0.95),
    t([Lc, H], seed + 21, 1),
    t([H], seed + 22, 1),
    t([H], seed + 23, 1),
    f[4],
    f[6],
    f[7],
    f[9],
  ];
}
