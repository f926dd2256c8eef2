// Inputs of the zip_rates kernels: states over softplus's range where its f32 form is accurate (rates ~0.02 to large), unit scalings, θ of both
// signs; and cotangents.
import { testData } from '../helpers/tolerance.ts';

export const zipInputs = (M: number, d: number, seed: number) => [
  { data: testData(M * d, seed, -4, 6), shape: [M, d] }, // below −4 the f32 softplus (as unary.wgsl's) loses relative accuracy
  { data: testData(d, seed + 1, 0.5, 30), shape: [1, d] },
  { data: testData(d, seed + 2, -3, 3), shape: [1, d] },
];
export const cotangent = (M: number, d: number, seed: number) => ({
  data: testData(M * d, seed, -1, 1),
  shape: [M, d],
});
/** Zero-inflation slopes β of both signs (the simulators' dropout has β ≈ −3). */
export const slopes = (d: number, seed: number) => ({ data: testData(d, seed, -3, 1), shape: [1, d] });
