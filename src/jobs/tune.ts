// `lcd-webgpu tune`: which Dawn backend this machine should use, measured. For each backend (Vulkan, and OpenGL ES
// through Dawn's compatibility mode) an engine is created, checked (a matmul and the sampler's network kernel against
// their Float64 definitions) and timed on the work LCD does (one DSM training step at d = 100, H = 256, batch 1024,
// and 4 sampler steps of 1,024 particles, each the median of 3 after a warm-up). The fastest backend that passes is
// remembered (src/gpu/tuning.ts); Engine.create in Node then uses it unless a backend is named (option or
// ENGINE_BACKEND). Each engine's own kernel choices (matmul, sampler kernel) are measured and remembered on the way.
import { Engine } from '../gpu/engine.ts';
import { rememberBackend, type TuningRecord } from '../gpu/tuning.ts';
import type { NodeBackend } from '../gpu/device.ts';
import { WebGPUBackend } from '../ops/webgpu-backend.ts';
import { ScoreNet } from '../lcd/score-net.ts';
import { N_LEVELS } from '../lcd/schedule.ts';
import { dsmStep, type TrainEnv } from '../lcd/dsm.ts';
import { annealedSample } from '../lcd/sampler.ts';
import { lcdLangevinMlpKernel, langevinMlpFits } from '../lcd/kernels/lcd-langevin-mlp.ts';
import { NoiseSchedule } from '../core/noise-schedule.ts';
import { randomStream } from '../core/random-streams.ts';
import { AdamW } from '../nn/adamw.ts';
import { cosineSchedule } from '../gpu/kernels/schedules.ts';
import { normalStream } from '../reference/philox.ts';
import { refArray } from '../reference/kernels.ts';
import { median } from '../data/normalize.ts';
import { matmulCheck } from '../node/backend-choice.ts';

export interface BackendTrial {
  backend: NodeBackend;
  adapter?: string;
  /** Why it cannot be used (no adapter, a failed check); absent when usable. */
  failed?: string;
  /** Median milliseconds: one DSM step, 4 sampler steps; and the engine's kernel choices. */
  dsmMs?: number;
  samplerMs?: number;
  choices?: string[];
}

/** Median milliseconds of `run` through to the device's completion (3 runs after a warm-up). */
async function timed(e: Engine, run: () => unknown): Promise<number> {
  const ms: number[] = [];
  for (let s = 0; s < 4; s++) {
    const t0 = performance.now();
    await run();
    await e.sync(); // submits what run recorded and waits for it
    if (s > 0) ms.push(performance.now() - t0);
  }
  return Number(median(ms).toPrecision(4));
}

/** Why this engine cannot be used: its matmul is not exact on small integers (the check the automatic backend choice
 *  uses), or 3 network-kernel steps on 10 rows differ from the Float64 twin by more than 1e-3 relative; else null. */
async function check(e: Engine): Promise<string | null> {
  const worst = (got: ArrayLike<number>, want: ArrayLike<number>) => {
    let w = 0;
    for (let i = 0; i < want.length; i++) w = Math.max(w, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
    return Number.isFinite(w) ? w : Infinity;
  };
  const data = (n: number, k: number, scale: number) =>
    Array.from(normalStream(n, randomStream(0, 'tuning.inputs', 90 + k)), (v) => v * scale);
  const badMatmul = await matmulCheck(e);
  if (badMatmul) return badMatmul;
  const [n, d, H] = [10, 8, 16];
  if (!langevinMlpFits(e, d, H)) return null;
  const shapes = [[n, d], [d, H], [2, H], [H, H], [2, H], [H, d], [d]];
  const inputs = shapes.map((s, k) =>
    data(
      s.reduce((x, y) => x * y, 1),
      2 + k,
      k === 0 ? 1 : 0.3,
    ),
  );
  const attrs = {
    level: new NoiseSchedule(N_LEVELS).level(10),
    noise: true,
    stream: randomStream(0, 'tuning.inputs', 101),
    steps: 3,
    particles: 5,
  };
  const gpuIn = inputs.map((x, k) => e.upload(x, shapes[k]!));
  const [z] = lcdLangevinMlpKernel.gpu(e, gpuIn, attrs);
  const [want] = lcdLangevinMlpKernel.reference(
    inputs.map((x, k) => refArray(x, shapes[k]!)),
    attrs,
  );
  const errKernel = worst(await e.read(z!), want!.data);
  gpuIn.forEach((t) => t.dispose());
  if (!(errKernel < 1e-3))
    return `the sampler's network kernel differs from its Float64 twin by ${errKernel.toExponential(2)}`;
  return null;
}

async function trial(backend: NodeBackend): Promise<BackendTrial> {
  let e: Engine;
  try {
    e = await Engine.create({ backend });
  } catch (err) {
    return { backend, failed: (err as Error).message.split('\n')[0]! };
  }
  const adapter = `${e.info.description || e.info.architecture || 'unknown'}${e.info.software ? ' (software)' : ''}`;
  try {
    const bad = await check(e);
    if (bad) return { backend, adapter, failed: bad };
    const B = new WebGPUBackend(e);
    const [d, H, E, P] = [100, 256, 4, 256];
    const net = ScoreNet.create(B, { d, H, De: H, G: 8, L: N_LEVELS }, 0);
    const opt = new AdamW(B, net.list(), {
      schedule: cosineSchedule(1e-3, 1000),
      weightDecay: 0.01,
      packed: net.packed,
    });
    const envs: TrainEnv[] = [0, 1, 2].map((k) => ({
      values: Float32Array.from(normalStream(512 * d, randomStream(0, 'tuning.inputs', 110 + k))),
      cells: 512,
      weights: Float64Array.from({ length: 8 }, (_, j) => (j === k - 1 ? 1 : 0)),
    }));
    let step = 0;
    const dsmMs = await timed(e, () => B.scope(() => void dsmStep(B, net, opt, envs, 1024, 0, step++)));
    const weights = Array.from({ length: E }, (_, k) => Float64Array.from({ length: 8 }, (_, j) => (j === k ? 1 : 0)));
    // Sampling through the library: the warm-up makes (or recalls) its 'auto' kernel choice for this engine.
    const samplerMs = await timed(e, async () =>
      (await annealedSample(B, net, weights, P, { stepsPerLevel: 4, lastLevel: 0, seed: 0 })).dispose(),
    );
    opt.dispose();
    net.dispose(); // parameters, their buffer and both level tables
    return { backend, adapter, dsmMs, samplerMs, choices: e.tuning.describe() };
  } catch (err) {
    return { backend, adapter, failed: (err as Error).message.split('\n')[0]! };
  } finally {
    await e.close();
  }
}

/** Try each backend, remember the fastest that passes its checks, and return every trial and the choice. */
export async function tuneBackends(
  backends: NodeBackend[] = ['vulkan', 'opengles'],
  log: (line: string) => void = () => {},
): Promise<{ trials: BackendTrial[]; choice: NodeBackend | null; record: TuningRecord | null }> {
  const trials: BackendTrial[] = [];
  for (const b of backends) {
    log(`trying Dawn backend ${b} …`);
    trials.push(await trial(b));
  }
  const usable = trials.filter((t) => !t.failed);
  if (usable.length === 0) return { trials, choice: null, record: null };
  const cost = (t: BackendTrial) => t.dsmMs! + t.samplerMs!;
  const best = usable.reduce((x, y) => (cost(y) < cost(x) ? y : x));
  const record: TuningRecord = {
    choice: best.backend,
    ms: Object.fromEntries(usable.map((t) => [t.backend, Number(cost(t).toPrecision(4))])),
    at: new Date().toISOString(),
  };
  rememberBackend(record);
  return { trials, choice: best.backend, record };
}
