// Fused kernel `lcd_langevin_mlp` (shaders/lcd_langevin_mlp.wgsl): `steps` Langevin steps of one noise level in a
// single dispatch, the score network's three layers included; the state and hidden layers stay in workgroup
// memory, the weights are streamed. Step k is the layer path's step (ScoreNet.outputAt, then lcd_em_update) with
// noise stream a + k of o.stream (and a + k − 1 for the Leimkuhler–Matthews term, o.prev).
// Test: test/kernels/lcd_langevin_mlp.test.ts (GPU vs this file's Float64 twin) and test/lcd-sampler-paths.test.ts.
import type { Engine } from '../../gpu/engine.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import { streamParams } from '../../gpu/kernels/random.ts';
import { ShapeError } from '../../core/errors.ts';
import { noiseScales, type EmStep } from '../../core/noise-schedule.ts';
import { randomStream } from '../../core/random-streams.ts';
import * as ref from '../../reference/kernels.ts';
import type { RefArray } from '../../reference/kernels.ts';
import { input, type FusedKernel } from '../../ops/fused-kernel.ts';
import { lcdEmUpdateKernel } from './lcd-em-update.ts';

/** Invocations per workgroup (vec4 column blocks of a layer in flight at once): 16 on software adapters, where
 *  each barrier switches between groups of 8 lanes (16 measured 0.7–0.9× the layer path at 1,024 particles, 64
 *  0.4–0.65×), 64 on hardware GPUs (H = 256 is then one column block per invocation). */
const workgroupSize = (e: Engine) => (e.info.software ? 16 : 64);

export interface LangevinMlpSteps extends EmStep {
  /** Steps to run in this dispatch (all at o.level); step k uses stream coordinate a + k. */
  steps: number;
  /** Particles per environment: row r takes its biases from row ⌊r/P⌋ of bias1 and bias2. */
  particles: number;
}

/** Whether the fused kernel applies to a network of input size d and width H on this device (shape and memory). */
export function langevinMlpFits(e: Engine, d: number, H: number): boolean {
  return d % 4 === 0 && H % 4 === 0 && langevinMlpWorkgroupBytes(d, H) <= e.limits.maxComputeWorkgroupStorageSize;
}

/** Workgroup memory of one group: 4 rows of state and of both hidden layers, f32. */
export const langevinMlpWorkgroupBytes = (d: number, H: number): number => 4 * 4 * (d + 2 * H);

function check(xs: RefArray[] | GpuTensor[], o: LangevinMlpSteps): { n: number; d: number; H: number } {
  const [z, w1, bias1, w2, bias2, w3, b3] = xs.map((x) => x.shape);
  const n = z![0]!,
    d = z![1]!,
    H = w1![1]!;
  const ok =
    z!.length === 2 &&
    w1![0] === d &&
    w2![0] === H &&
    w2![1] === H &&
    w3![0] === H &&
    w3![1] === d &&
    b3!.reduce((a, b) => a * b, 1) === d &&
    bias1![bias1!.length - 1] === H &&
    bias2![bias2!.length - 1] === H;
  if (!ok)
    throw new ShapeError(
      `lcd_langevin_mlp: shapes z ${z!.join('×')}, W1 ${w1!.join('×')}, W2 ${w2!.join('×')}, W3 ${w3!.join('×')}, b3 ${b3!.join('×')} do not form a d→H→H→d network`,
    );
  const groups = Math.ceil(n / o.particles);
  for (const [name, b] of [
    ['bias1', bias1!],
    ['bias2', bias2!],
  ] as const)
    if (b.reduce((a, c) => a * c, 1) !== groups * H)
      throw new ShapeError(
        `lcd_langevin_mlp: ${name} [${b.join('×')}] must be [${groups}×${H}] for ${n} rows of ${o.particles} particles`,
      );
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new RangeError(`lcd_langevin_mlp: steps ${o.steps} must be ≥ 1`);
  return { n, d, H };
}

function gpu(e: Engine, xs: GpuTensor[], o: LangevinMlpSteps): void {
  const { n, d, H } = check(xs, o);
  if (!langevinMlpFits(e, d, H))
    throw new ShapeError(
      `lcd_langevin_mlp: d = ${d}, H = ${H} needs d, H divisible by 4 and ${langevinMlpWorkgroupBytes(d, H)} B of workgroup memory (adapter: ${e.limits.maxComputeWorkgroupStorageSize} B); use the layer path`,
    );
  const prev = o.noise ? o.prev : undefined;
  if (
    prev &&
    (prev.a !== o.stream.a - 1 ||
      prev.b !== o.stream.b ||
      prev.seed !== o.stream.seed ||
      prev.domain !== o.stream.domain)
  )
    throw new RangeError(
      "lcd_langevin_mlp: the Leimkuhler–Matthews stream must be the step stream's predecessor (a − 1)",
    );
  const groups = Math.ceil(n / 4);
  const x = Math.min(groups, 65535);
  e.dispatch(
    'lcd_langevin_mlp',
    { WG: workgroupSize(e), D4: d / 4, H4: H / 4 },
    xs,
    {
      n,
      P: o.particles,
      steps: o.steps,
      sigma: o.level.sigma,
      s: o.level.s,
      alpha: o.level.alpha,
      ...noiseScales(o),
      ...streamParams(o.stream),
    },
    [x, Math.ceil(groups / x)],
  );
}

/**
 * Float64 twin, literally the layer path it fuses: o.steps times ScoreNet.outputAt's three dense layers (the
 * reference matmul with per-environment bias rows) and then lcd_em_update's own Float64 step with stream a + k.
 */
function reference(xs: RefArray[], o: LangevinMlpSteps): void {
  check(xs, o);
  const [z, w1, bias1, w2, bias2, w3, b3] = xs as [RefArray, ...RefArray[]];
  const P = o.particles;
  const shifted = (st: EmStep['stream'], k: number) => randomStream(st.seed, st.domain, st.a + k, st.b);
  for (let k = 0; k < o.steps; k++) {
    const h1 = ref.matmul(z, w1!, { alpha: o.level.s, bias: bias1, biasRowsPerGroup: P, act: 'tanh' });
    const h2 = ref.matmul(h1, w2!, { bias: bias2, biasRowsPerGroup: P, act: 'tanh' });
    const g = ref.matmul(h2, w3!, { bias: b3 });
    lcdEmUpdateKernel.reference([z, g], {
      level: o.level,
      noise: o.noise,
      stream: shifted(o.stream, k),
      ...(o.prev ? { prev: shifted(o.prev, k) } : {}),
    });
  }
}

export const lcdLangevinMlpKernel: FusedKernel<LangevinMlpSteps> = {
  name: 'lcd_langevin_mlp',
  inputs: ['z (state, updated in place)', 'W1', 'bias1 (per environment)', 'W2', 'bias2 (per environment)', 'W3', 'b3'],
  outputs: ['z'],
  summary:
    'several Langevin steps of one level in one dispatch: the 3-layer score network in workgroup memory, the song drift, Philox noise and the EM/LM update',
  tolerance: { atol: 2e-4, rtol: 1e-3 },
  gpu(e, xs, o) {
    const all = xs.map((_, i) => input(this, xs, i));
    gpu(e, all, o);
    return [all[0]!];
  },
  reference(xs, o) {
    const all = xs.map((_, i) => input(this, xs, i));
    reference(all, o);
    return [all[0]!];
  },
};
