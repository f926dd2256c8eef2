// JAX-style check_vjp on the Float64 reference backend: for one random tangent t (per input) and cotangent c,
// compare ⟨J t, c⟩ from central finite differences with ⟨t, Jᵀ c⟩ from the tape's reverse pass.
// One direction is enough to catch a wrong rule and keeps the check cheap for whole networks.
import { CpuBackend } from './cpu-backend.ts';
import { Tape, type Var } from './tape.ts';
import type { RefArray } from '../reference/kernels.ts';
import { normalStream } from '../reference/philox.ts';
import { randomStream } from '../core/random-streams.ts';

export interface VjpCheck {
  fd: number;
  vjp: number;
  relErr: number;
}

export function checkVjp(
  f: (tape: Tape<RefArray>, inputs: Var<RefArray>[]) => Var<RefArray>,
  inputs: RefArray[],
  { eps = 1e-6, seed = 0 } = {},
): VjpCheck {
  const B = new CpuBackend();
  const tangents = inputs.map((x, i) => normalStream(x.data.length, randomStream(seed, 'check.tangent', i)));
  const run = (shift: number) => {
    const tape = new Tape(B);
    const xs = inputs.map((x, i) =>
      tape.param({ shape: x.shape, data: x.data.map((v, k) => v + shift * tangents[i]![k]!) }),
    );
    return { tape, xs, y: f(tape, xs) };
  };
  const base = run(0);
  const cot = normalStream(base.y.value.data.length, randomStream(seed, 'check.cotangent'));
  const plus = run(eps).y.value.data,
    minus = run(-eps).y.value.data;
  let fd = 0;
  for (let k = 0; k < cot.length; k++) fd += ((plus[k]! - minus[k]!) / (2 * eps)) * cot[k]!;
  base.tape.backward(base.y, { shape: base.y.value.shape, data: cot });
  let vjp = 0;
  base.xs.forEach((x, i) => {
    const g = x.grad?.data;
    if (g) for (let k = 0; k < g.length; k++) vjp += g[k]! * tangents[i]![k]!;
  });
  return { fd, vjp, relErr: Math.abs(fd - vjp) / Math.max(1e-12, Math.abs(fd) + Math.abs(vjp)) };
}
