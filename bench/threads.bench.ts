// Mesa's worker threads side by side (src/node/llvmpipe-threads.ts): a default fit's prior and DSM steps
// (fitStageMs) with LP_NUM_THREADS at the core count (Mesa's own default) and unset (the project's: two per core),
// each in a fresh process, alternated, median per setting, and the ratio. Software adapters only.
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Engine } from '../src/gpu/engine.ts';
import { llvmpipeThreads } from '../src/node/llvmpipe-threads.ts';
import { median, record } from './harness.ts';

const here = dirname(fileURLToPath(import.meta.url));

function child(threads: string | undefined, steps: number): { priorMs: number; dsmMs: number; threads: number } {
  const env = { ...process.env };
  if (threads === undefined) delete env.LP_NUM_THREADS;
  else env.LP_NUM_THREADS = threads;
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'threads-child.ts'), String(steps)], {
    env,
    encoding: 'utf8',
    timeout: 600_000,
  });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) throw new Error(`threads bench child failed: ${r.stderr}`);
  return JSON.parse(line) as { priorMs: number; dsmMs: number; threads: number };
}

export async function threadsBenchmarks(e: Engine, quick: boolean): Promise<void> {
  if (!e.info.software) {
    record({ name: 'threads_skipped', value: 1, unit: 'flag', reason: 'hardware adapter: no Mesa worker threads' });
    return;
  }
  const cores = os.availableParallelism(),
    ours = llvmpipeThreads({}, cores).value;
  const [reps, steps] = quick ? [1, 40] : [3, 150];
  const settings: [string, string | undefined][] = [
    ['cores', String(cores)],
    ['default', undefined],
  ];
  const runs = new Map<string, { priorMs: number; dsmMs: number }[]>(settings.map(([k]) => [k, []]));
  for (let r = 0; r < reps; r++) for (const [k, v] of settings) runs.get(k)!.push(child(v, steps));
  const med = (k: string, f: 'priorMs' | 'dsmMs') => median(runs.get(k)!.map((x) => x[f]));
  const dev = { adapter: e.info.description || e.info.architecture, backend: e.info.backend, cores, reps, steps };
  for (const [k, v] of settings)
    for (const f of ['priorMs', 'dsmMs'] as const)
      record({
        name: f === 'priorMs' ? 'threads_prior_ms_per_step' : 'threads_dsm_ms_per_step',
        value: med(k, f),
        unit: 'ms',
        setting: k,
        threads: v ?? ours,
        ...dev,
      });
  for (const f of ['priorMs', 'dsmMs'] as const)
    record({
      name: f === 'priorMs' ? 'ratio_prior_threads_default_vs_cores' : 'ratio_dsm_threads_default_vs_cores',
      value: med('cores', f) / med('default', f),
      unit: 'x',
      ...dev,
    });
}
