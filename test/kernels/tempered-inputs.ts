// Inputs of the tempered_lse kernels: log-likelihood rows around −40 with a spread of several units (so a few states
// dominate each row, as in the prior), per-cell constants, one temperature or the reference's (1, 20).
import { testData } from '../helpers/tolerance.ts';

export const ellInput = (B: number, M: number, seed: number) => ({
  data: testData(B * M, seed, -48, -32),
  shape: [B, M],
});
export const constants = (B: number, seed: number) => ({ data: testData(B, seed, -30, -5), shape: [B, 1] });
export const temperatures = (ts: number[]) => ({ data: ts, shape: [ts.length] });
