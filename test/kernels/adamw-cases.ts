// The AdamW conformance cases, shared by adamw and adamw_vec4 (the same step, scalar and four elements per
// invocation): three steps with a new gradient each, without and with global-norm clipping (which binds: ‖g‖ ≈ 10
// against a maximum of 0.5), and β1 = 0.
import type { AdamWHyper } from '../../src/nn/kernels/adamw.ts';
import type { ConformanceCase } from '../helpers/conformance.ts';
import { testData } from '../helpers/tolerance.ts';

const n = 300;
export const adamwGrads = [testData(n, 22), testData(n, 23), testData(n, 24)];
const normSq = (g: Float64Array) => [g.reduce((a, b) => a + b * b, 0)];
const hyper =
  (maxGradNorm: number) =>
  (s: number): AdamWHyper => ({ lr: 1e-2, b1: 0.9, b2: 0.999, eps: 1e-8, weightDecay: 0.1, step: s + 1, maxGradNorm });
export const adamwState = (clip: boolean) => [
  { data: testData(n, 21), shape: [n] },
  { data: adamwGrads[0]!, shape: [n] },
  { data: new Float64Array(n), shape: [n] },
  { data: new Float64Array(n), shape: [n] },
  clip ? { data: normSq(adamwGrads[0]!), shape: [1] } : undefined,
];

export const adamwCases: ConformanceCase<AdamWHyper>[] = [
  {
    label: 'three steps, no clipping',
    inputs: adamwState(false),
    attrs: hyper(0),
    steps: 3,
    feed: (s) => ({ 1: adamwGrads[s]! }),
  },
  {
    label: 'three steps, clipped to norm 0.5',
    inputs: adamwState(true),
    attrs: hyper(0.5),
    steps: 3,
    feed: (s) => ({ 1: adamwGrads[s]!, 4: normSq(adamwGrads[s]!) }),
  },
  {
    label: 'β1 = 0 (the count prior’s optimiser: bias correction 1 − 0ᵗ = 0 replaced by 1)',
    inputs: adamwState(false),
    attrs: (s) => ({ ...hyper(0)(s), b1: 0, b2: 0.99 }),
    steps: 2,
  },
];
