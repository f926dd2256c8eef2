// Fused kernel `hopfield_em` (shaders/hopfield_em.wgsl): one Euler–Maruyama step of the Hopfield screen simulator
// in place, x ← x + dt·(−x + bias + (1 − φ²)·(φJ)) + √(2dt)·ξ with φ = tanh(x), one dispatch instead of the op-by-op
// path's ten (tanh, product, gate, negation, two adds, the step's scale, add, the noise and its add).
// Test: test/kernels/hopfield_em.test.ts (against the Float64 twin) and test/sim-hopfield.test.ts (the op-by-op
// path's bits).
import type { Engine } from '../../gpu/engine.ts';
import { foldGrid } from '../../gpu/grid.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import { streamParams } from '../../gpu/kernels/random.ts';
import { ShapeError } from '../../core/errors.ts';
import type { RandomStream } from '../../core/random-streams.ts';
import type { RefArray } from '../../reference/kernels.ts';
import { normalStream } from '../../reference/philox.ts';
import { input, type FusedKernel } from '../../ops/fused-kernel.ts';

const WG = 64;
/** The widest chain the kernel holds in registers (its MAX_D); wider screens take the op-by-op path. */
export const HOPFIELD_EM_MAX_D = 64;

export interface HopfieldEmStep {
  /** Step size dt; the noise is √(2dt)·ξ. */
  dt: number;
  /** The step's noise stream (element i of X takes normal i of it, as Backend.randomNormal draws). */
  stream: RandomStream;
}

/** Whether chains of d genes fit the fused kernel. */
export const hopfieldEmFits = (d: number): boolean => d % 4 === 0 && d <= HOPFIELD_EM_MAX_D;

function check(J: { shape: readonly number[] }, bias: { shape: readonly number[] }, x: { shape: readonly number[] }) {
  const [n, d] = x.shape as [number, number];
  if (x.shape.length !== 2 || J.shape[0] !== d || J.shape[1] !== d || bias.shape[0] !== n || bias.shape[1] !== d)
    throw new ShapeError(
      `hopfield_em: chains [${x.shape.join('×')}] need a coupling [d×d] and a bias [n×d]; got J [${J.shape.join('×')}], bias [${bias.shape.join('×')}]`,
    );
  if (!hopfieldEmFits(d))
    throw new ShapeError(`hopfield_em: ${d} genes; the kernel takes d % 4 == 0 and d ≤ ${HOPFIELD_EM_MAX_D}`);
  return { n, d };
}

function gpu(e: Engine, J: GpuTensor, bias: GpuTensor, x: GpuTensor, o: HopfieldEmStep): void {
  const { n, d } = check(J, bias, x);
  e.dispatch(
    'hopfield_em',
    { WG, D: d },
    [J, bias, x],
    { n, dt: o.dt, scale: Math.sqrt(2 * o.dt), ...streamParams(o.stream), one: 1, zero: 0 },
    foldGrid(Math.ceil(n / WG)),
  );
}

function reference(J: RefArray, bias: RefArray, x: RefArray, o: HopfieldEmStep): void {
  const { n, d } = check(J, bias, x);
  const xi = normalStream(n * d, o.stream, Math.sqrt(2 * o.dt));
  const phi = new Float64Array(d),
    next = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    const row = x.data.subarray(r * d, (r + 1) * d);
    for (let j = 0; j < d; j++) phi[j] = Math.tanh(row[j]!);
    for (let c = 0; c < d; c++) {
      let h = 0;
      for (let j = 0; j < d; j++) h += phi[j]! * J.data[j * d + c]!;
      const f = -row[c]! + bias.data[r * d + c]! + (1 - phi[c]! * phi[c]!) * h;
      next[c] = row[c]! + o.dt * f + xi[r * d + c]!;
    }
    row.set(next);
  }
}

export const hopfieldEmKernel: FusedKernel<HopfieldEmStep> = {
  name: 'hopfield_em',
  inputs: ['J (coupling, d×d)', 'bias (b + c_e per chain, n×d)', 'x (chains, n×d, updated in place)'],
  outputs: ['x'],
  summary:
    'one Euler–Maruyama step of the Hopfield screen simulator: tanh, coupling, gate, drift, Philox noise, in place',
  tolerance: { atol: 2e-5, rtol: 1e-4 },
  gpu(e, xs, o) {
    const x = input(this, xs, 2);
    gpu(e, input(this, xs, 0), input(this, xs, 1), x, o);
    return [x];
  },
  reference(xs, o) {
    const x = input(this, xs, 2);
    reference(input(this, xs, 0), input(this, xs, 1), x, o);
    return [x];
  },
};
