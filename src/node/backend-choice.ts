// Which Dawn backend a Node process uses when none is named (no Engine.create option, no ENGINE_BACKEND): the one
// remembered for this machine, else measured once. On a hardware GPU that is Vulkan without measuring (the GL ES
// backend runs in compatibility mode and this project has not tested it there). On a software adapter (lavapipe)
// both backends run the engine's matmul micro-benchmark after a correctness check, and the faster is remembered
// (src/gpu/tuning.ts): on this project's 2-core machine OpenGL ES (llvmpipe) measured about 2× Vulkan (lavapipe),
// in the matmul and in whole DSM and sampler steps (README, "Kernel choices"). `lcd-webgpu tune` measures
// whole steps instead and overwrites the choice.
import { Engine } from '../gpu/engine.ts';
import type { NodeBackend } from '../gpu/device.ts';
import { matmul } from '../gpu/kernels/matmul.ts';
import { rememberBackend, rememberedBackend, type TuningRecord } from '../gpu/tuning.ts';

let inFlight: Promise<NodeBackend> | null = null;

/** The remembered choice, or a measurement shared by concurrent callers in this process. */
export function chooseDawnBackend(): Promise<NodeBackend> {
  const r = rememberedBackend();
  if (r === 'vulkan' || r === 'opengles') return Promise.resolve(r);
  inFlight ??= measure().finally(() => (inFlight = null));
  return inFlight;
}

/** Why the engine's matmul cannot be trusted (a 12×8×12 product of small integers, exact in f32, came out
 *  different), or null. Shared with `lcd-webgpu tune`'s checks. */
export async function matmulCheck(e: Engine): Promise<string | null> {
  const [M, K, N] = [12, 8, 12];
  const a = Float32Array.from({ length: M * K }, (_, i) => ((i * 7) % 11) - 5),
    b = Float32Array.from({ length: K * N }, (_, i) => ((i * 5) % 13) - 6);
  const ga = e.upload(a, [M, K]),
    gb = e.upload(b, [K, N]);
  const c = matmul(e, ga, gb);
  const got = await e.read(c);
  [ga, gb, c].forEach((t) => t.dispose());
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[i * K + k]! * b[k * N + j]!;
      if (got[i * N + j] !== s)
        return `matmul of small integers is not exact (C[${i}, ${j}] = ${got[i * N + j]}, not ${s})`;
    }
  return null;
}

/** Milliseconds of the engine's fastest matmul kernel on its 1024×256×256 benchmark, or null if its matmul fails
 *  matmulCheck (the backend then does not qualify). */
async function matmulMs(e: Engine): Promise<number | null> {
  if (await matmulCheck(e)) return null;
  const ms = e.tuning.used.get('matmul')?.ms ?? {};
  const best = Math.min(...Object.values(ms));
  return Number.isFinite(best) ? best : null;
}

async function measure(): Promise<NodeBackend> {
  const ms: Record<string, number> = {};
  let hardware = false;
  for (const backend of ['vulkan', 'opengles'] as const) {
    let e: Engine | null = null;
    try {
      e = await Engine.create({ backend });
      if (backend === 'vulkan' && !e.info.software) {
        hardware = true;
        break;
      }
      const t = await matmulMs(e);
      if (t !== null) ms[backend] = t;
    } catch {
      // this backend has no adapter here: not a candidate
    } finally {
      await e?.close();
    }
  }
  const labels = Object.keys(ms) as NodeBackend[];
  const choice: NodeBackend =
    hardware || labels.length === 0 ? 'vulkan' : labels.reduce((x, y) => (ms[y]! < ms[x]! ? y : x));
  const record: TuningRecord = { choice, ms, at: new Date().toISOString() };
  if (hardware || labels.length > 0) rememberBackend(record);
  return choice;
}
