// Kernel choices measured per adapter (src/gpu/tuning.ts) and remembered in a file (src/node/tuning-file.ts): the
// faster candidate wins, a remembered answer is not measured again, LCD_WEBGPU_TUNING=off takes the default, the
// file survives damage and concurrent writers, and the engine's matmul order comes from the measurement.
import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { testEngine } from './helpers/gpu.ts';
import { Tuning, registerTuningStore, tuningStore, TUNING_VERSION, type TuningStore } from '../src/gpu/tuning.ts';
import { tuningFileStore, tuningFilePath } from '../src/node/tuning-file.ts';
import { matmul, matmulCandidates, tuneMatmul } from '../src/gpu/kernels/matmul.ts';
import { chooseDawnBackend } from '../src/node/backend-choice.ts';
import { describeAdapter } from '../src/gpu/device.ts';

const engine = await testEngine();
const dir = () => mkdtempSync(join(tmpdir(), 'lcd-tuning-'));

describe('tuning file', () => {
  it('reads nothing from a missing or damaged file and merges what another process saved', () => {
    const path = join(dir(), 'sub', 'tuning.json');
    const a = tuningFileStore(path),
      b = tuningFileStore(path);
    expect(a.load()).toEqual({});
    a.save('k1', { choice: 'x', ms: { x: 1, y: 2 }, at: 't' });
    b.save('k2', { choice: 'y', ms: {}, at: 't' }); // b read nothing before; its save keeps k1
    expect(Object.keys(JSON.parse(readFileSync(path, 'utf8')) as object).sort()).toEqual(['k1', 'k2']);
    expect(readdirSync(join(path, '..'))).toEqual(['tuning.json']); // atomic: no temporary left
    writeFileSync(path, '{"k1": {"choice": "x"'); // truncated
    expect(tuningFileStore(path).load()).toEqual({});
  });

  it('lives in XDG_CACHE_HOME (or ~/.cache) unless LCD_WEBGPU_TUNING_FILE names it', () => {
    expect(tuningFilePath({ XDG_CACHE_HOME: '/c' })).toBe(join('/c', 'lcd-webgpu', 'tuning.json'));
    expect(tuningFilePath({ LCD_WEBGPU_TUNING_FILE: '/x/t.json', XDG_CACHE_HOME: '/c' })).toBe('/x/t.json');
  });

  it("keys carry the package's version, so new kernels are measured again", () => {
    const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
    expect(TUNING_VERSION).toBe(pkg.version);
  });
});

describe.skipIf(!engine)('tuning on the adapter', () => {
  const saved = tuningStore();
  afterEach(() => {
    registerTuningStore(saved);
    delete process.env.LCD_WEBGPU_TUNING;
  });

  it('picks the faster candidate, remembers it, and a new engine-side tuner reads it back', async () => {
    const e = engine!;
    const path = join(dir(), 'tuning.json');
    const store: TuningStore = tuningFileStore(path);
    registerTuningStore(store);
    const big = e.upload(new Float32Array(512 * 256).fill(0.01), [512, 256]),
      w = e.upload(new Float32Array(256 * 256).fill(0.01), [256, 256]),
      small = e.upload(new Float32Array(4 * 256).fill(0.01), [4, 256]);
    const runs = { slow: 0, fast: 0 };
    const candidates = [
      {
        label: 'slow',
        run: () => {
          runs.slow++;
          for (let i = 0; i < 4; i++) matmul(e, big, w).dispose();
        },
      },
      {
        label: 'fast',
        run: () => {
          runs.fast++;
          matmul(e, small, w).dispose();
        },
      },
    ];
    const t = new Tuning(e);
    const first = await t.choose('test question', candidates);
    expect(first.choice).toBe('fast');
    expect(first.source).toBe('measured');
    expect(first.ms.slow!).toBeGreaterThan(first.ms.fast!);
    expect(runs.slow).toBeGreaterThanOrEqual(4); // warm-up + 3 samples
    const before = { ...runs };
    const again = await new Tuning(e).choose('test question', candidates);
    expect(again).toMatchObject({ choice: 'fast', source: 'remembered' });
    expect(runs).toEqual(before); // nothing measured
    expect(Object.keys(JSON.parse(readFileSync(path, 'utf8')) as object)[0]).toMatch(/\|test question$/);
    expect(t.describe()[0]).toMatch(/^test question: fast \(measured: slow [\d.]+ ms, fast [\d.]+ ms\)$/);
    // A remembered label that is no longer a candidate is measured again.
    const renamed = await new Tuning(e).choose('test question', [candidates[0]!, { ...candidates[1]!, label: 'f2' }]);
    expect(renamed).toMatchObject({ choice: 'f2', source: 'measured' });
    // A candidate added since the measurement (the remembered choice still among them) is measured with the rest.
    const more = [candidates[0]!, { ...candidates[1]!, label: 'f2' }, { ...candidates[1]!, label: 'f3' }];
    const added = await new Tuning(e).choose('test question', more);
    expect(added.source).toBe('measured');
    expect(Object.keys(added.ms).sort()).toEqual(['f2', 'f3', 'slow']);
    // Off: the first candidate, nothing run.
    process.env.LCD_WEBGPU_TUNING = 'off';
    const off = await new Tuning(e).choose('another question', candidates);
    expect(off).toMatchObject({ choice: 'slow', source: 'default' });
    [big, w, small].forEach((x) => x.dispose());
  });

  it("sets the engine's matmul order from the measurement (software adapters: rowu's two blocks and strided)", async () => {
    const e = engine!;
    registerTuningStore(null);
    e.tuning.used.delete('matmul');
    await tuneMatmul(e);
    const c = e.tuning.used.get('matmul')!;
    expect([...e.matmulOrder!].sort()).toEqual([...matmulCandidates(e.info.software)].sort());
    if (c.source === 'measured') {
      expect(e.matmulOrder![0]).toBe(c.choice);
      expect(c.ms[c.choice]).toBe(Math.min(...Object.values(c.ms)));
    }
  });
});

describe.skipIf(!engine)('Dawn backend for runs that name none', () => {
  const saved = tuningStore();
  afterEach(() => registerTuningStore(saved));

  it('is measured once on a software adapter (Vulkan against GL ES), remembered, and then read back', async () => {
    const path = join(dir(), 'tuning.json');
    registerTuningStore(tuningFileStore(path));
    const choice = await chooseDawnBackend();
    expect(['vulkan', 'opengles']).toContain(choice);
    const saved = JSON.parse(readFileSync(path, 'utf8')) as Record<
      string,
      { choice: string; ms: Record<string, number> }
    >;
    const rec = Object.entries(saved).find(([k]) => k.startsWith('node|dawn backend|'))![1];
    expect(rec.choice).toBe(choice);
    if (engine!.info.software) {
      // every backend that ran has its time, and the choice is the fastest of them
      expect(Object.keys(rec.ms).length).toBeGreaterThanOrEqual(1);
      expect(rec.ms[choice]).toBe(Math.min(...Object.values(rec.ms)));
    }
    // Read back, not measured again: a record saying the other backend is obeyed.
    const other = choice === 'vulkan' ? 'opengles' : 'vulkan';
    const key = Object.keys(saved).find((k) => k.startsWith('node|dawn backend|'))!;
    writeFileSync(path, JSON.stringify({ ...saved, [key]: { ...rec, choice: other } }));
    registerTuningStore(tuningFileStore(path));
    expect(await chooseDawnBackend()).toBe(other);
  });

  it('the adapter line says where the backend came from', () => {
    const base = { vendor: 'mesa', architecture: '', description: 'llvmpipe', isFallback: false, software: true };
    expect(describeAdapter({ ...base, backend: 'opengles', backendFrom: 'measured' })).toBe(
      'llvmpipe (opengles, software; backend measured fastest on this machine)',
    );
    expect(describeAdapter({ ...base, backend: 'vulkan', backendFrom: 'default' })).toBe('llvmpipe (vulkan, software)');
  });
});
