// Benchmark harness: GPU timings are wall clock from submit to onSubmittedWorkDone with enough repetitions per
// submit to amortise the round trip, after a warm-up (lavapipe compiles pipelines lazily at first dispatch).
// Every GPU number is recorded beside a CPU baseline measured in the same run, so ratios are what to compare.
import os from 'node:os';
import { mkdirSync, writeFileSync, renameSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Engine } from '../src/gpu/engine.ts';

export interface Result {
  name: string;
  value: number;
  unit: string;
  [param: string]: string | number | boolean;
}

export const results: Result[] = [];

export function record(r: Result): void {
  results.push(r);
  const params = Object.entries(r)
    .filter(([k]) => !['name', 'value', 'unit'].includes(k))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  console.log(`${r.name.padEnd(34)} ${fmt(r.value).padStart(10)} ${r.unit.padEnd(12)} ${params}`);
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Seconds per call of `encode` (which records GPU work) on the engine: warm-up, then repetitions chosen so one
 * submit takes about `targetS`, median of `samples`. Sleeping for most of the expected time before awaiting
 * keeps Dawn's busy-polling main thread from stealing a core from lavapipe (PLATFORM.md §Recommendations 3). Not on
 * Dawn's GL ES backend: there the sleep idles the work itself (DSM d = 100, H = 256, batch 1024 measured 5.1
 * steps/s with it against 12.2–13.0 end to end without, 2 December 2026), so GL is timed by awaiting at once.
 */
export async function timeGpu(
  e: Engine,
  encode: () => void,
  { targetS = 0.4, samples = 3, maxReps = 2000 } = {},
): Promise<number> {
  encode();
  await e.sync();
  let t0 = performance.now();
  encode();
  await e.sync();
  const once = Math.max(1e-6, (performance.now() - t0) / 1e3);
  const reps = Math.max(1, Math.min(maxReps, Math.round(targetS / once)));
  const per: number[] = [];
  for (let s = 0; s < samples; s++) {
    t0 = performance.now();
    for (let i = 0; i < reps; i++) encode();
    e.flush();
    if (e.info.backend !== 'opengles') await sleep(once * reps * 1e3 * 0.8);
    await e.sync();
    per.push((performance.now() - t0) / 1e3 / reps);
  }
  return median(per);
}

/** Seconds per call of a synchronous CPU function (median of samples after one warm-up). */
export function timeCpu(fn: () => void, { targetS = 0.3, samples = 3 } = {}): number {
  fn();
  let t0 = performance.now();
  fn();
  const once = Math.max(1e-6, (performance.now() - t0) / 1e3);
  const reps = Math.max(1, Math.round(targetS / once));
  const per: number[] = [];
  for (let s = 0; s < samples; s++) {
    t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    per.push((performance.now() - t0) / 1e3 / reps);
  }
  return median(per);
}

export function writeResults(extra: Record<string, unknown> = {}): string {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'out');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'results.json');
  // Merge with results of other suites already in the file (each suite owns its names).
  let previous: Result[] = [];
  try {
    previous = JSON.parse(readFileSync(path, 'utf8')) as Result[];
  } catch {
    /* fresh file */
  }
  const mine = new Set(results.map((r) => r.name));
  const merged = [...previous.filter((r) => !mine.has(r.name)), ...results.map((r) => ({ ...r, ...extra }))];
  writeFileSync(path + '.tmp', JSON.stringify(merged, null, 2));
  renameSync(path + '.tmp', path);
  return path;
}

/** The machine a figure belongs to (ratios depend on it: the same code ran the DSM step at 0.19–0.59× PyTorch on
 *  three 2-vCPU machines): CPU model and count, memory, Node, and the adapter with its Dawn backend. */
export function machine(e: { info: { description?: string; architecture?: string; backend?: string } }) {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    adapter: e.info.description || e.info.architecture || 'unknown',
    backend: e.info.backend ?? 'unknown',
  };
}

export const describeMachine = (m: ReturnType<typeof machine>): string =>
  `${m.cpu} × ${m.cores}, ${m.memoryGiB} GiB, Node ${m.node}; adapter ${m.adapter} (${m.backend})`;
