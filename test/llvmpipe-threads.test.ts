// The worker threads Mesa's software drivers get (src/node/llvmpipe-threads.ts): two per core unless the user chose,
// set before the first adapter, and named on the adapter line.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { llvmpipeThreads, applyLlvmpipeThreads, LLVMPIPE_MAX_THREADS } from '../src/node/llvmpipe-threads.ts';
import { describeAdapter } from '../src/gpu/device.ts';
import { testEngine } from './helpers/gpu.ts';

const engine = await testEngine();

describe('llvmpipe worker threads', () => {
  it('two per core up to llvmpipe ceiling, the user value kept as given', () => {
    expect(llvmpipeThreads({}, 2)).toEqual({ value: '4', from: 'default' });
    expect(llvmpipeThreads({}, 1)).toEqual({ value: '2', from: 'default' });
    expect(llvmpipeThreads({}, 0)).toEqual({ value: '2', from: 'default' }); // no count reported: one core
    expect(llvmpipeThreads({}, 64)).toEqual({ value: String(LLVMPIPE_MAX_THREADS), from: 'default' });
    expect(llvmpipeThreads({ LP_NUM_THREADS: '3' }, 2)).toEqual({ value: '3', from: 'LP_NUM_THREADS' });
    expect(llvmpipeThreads({ LP_NUM_THREADS: '' }, 2)).toEqual({ value: '4', from: 'default' }); // empty: unset
    const env: NodeJS.ProcessEnv = {};
    expect(applyLlvmpipeThreads(env, 3).value).toBe('6');
    expect(env.LP_NUM_THREADS).toBe('6');
    const own: NodeJS.ProcessEnv = { LP_NUM_THREADS: '1' };
    applyLlvmpipeThreads(own, 8);
    expect(own.LP_NUM_THREADS).toBe('1');
  });

  it('the adapter line names the thread count of a software adapter', () => {
    const base = { vendor: 'mesa', architecture: '', description: 'llvmpipe', isFallback: false, software: true };
    expect(describeAdapter({ ...base, backend: 'opengles', cpuThreads: 4 })).toBe(
      'llvmpipe (opengles, software; 4 CPU threads)',
    );
  });

  it.skipIf(!engine)('the engine of a Node process runs with the count set before its adapter', async () => {
    const e = engine!;
    expect(process.env.LP_NUM_THREADS).toMatch(/^\d+$/);
    if (e.info.software) expect(e.info.cpuThreads).toBe(Number(process.env.LP_NUM_THREADS));
    // a fresh process without the variable: the CLI's adapter line shows the default, 2 per core
    const env = { ...process.env };
    delete env.LP_NUM_THREADS;
    const r = spawnSync(process.execPath, ['bin/lcd-webgpu.mjs', 'engine-demo', '--steps', '1'], {
      env,
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    if (e.info.software) {
      const cores = (await import('node:os')).availableParallelism();
      expect(r.stdout + r.stderr).toContain(`; ${llvmpipeThreads({}, cores).value} CPU threads)`);
    }
  });
});
