import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { runBrowserSmoke, chromiumAvailable, CHROMIUM, SHARED_H5AD } from './browser/run-smoke.ts';
import { requireGpu } from './helpers/gpu.ts';

const available = chromiumAvailable();
if (!available && !requireGpu)
  console.warn(
    `\n!!! Browser WebGPU smoke test SKIPPED: no Chromium at ${CHROMIUM}. Install it with WITH_CHROMIUM=1 npm run setup:runtime.\n`,
  );

// One page run serves both tests (it takes a few seconds on SwiftShader).
let smoke: ReturnType<typeof runBrowserSmoke> | null = null;
const smokeOnce = () => (smoke ??= runBrowserSmoke());

describe.skipIf(!available && !requireGpu)('the engine in headless Chromium (SwiftShader WebGPU)', () => {
  it('runs kernels and a training step that match the Float64 reference', async () => {
    const out = await smokeOnce();
    expect(out.error).toBeUndefined();
    expect(out.info!.software).toBe(true);
    for (const [name, err] of Object.entries(out.results!))
      expect(err, name).toBeLessThan(name === 'mlp_loss' ? 2e-3 : 1e-3);
    expect(Object.keys(out.results!)).toEqual([
      'matmul_rowu',
      'matmul_rowu8x2',
      'matmul_strided',
      'matmul_tiled',
      'logsumexp',
      'philox',
      'mlp_loss',
    ]);
  });

  it('the browser entry reads an h5ad from bytes, fits and samples LCD, saves and reloads the model, writes h5ad bytes', async () => {
    const lib = (await smokeOnce()).library as Record<string, unknown>;
    if (existsSync(SHARED_H5AD)) expect(lib.h5ad).toMatchObject({ nObs: 5961 });
    expect(lib.fitSteps).toBe(50);
    expect(Number.isFinite(lib.finalLoss)).toBe(true);
    expect(lib.sampledFinite).toBe(true);
    expect(lib.reloadSame).toBe(true);
    expect(lib.modelFiles).toEqual(['config.json', 'weights.safetensors']);
    expect(lib.predictionsRoundTrip).toBe(true);
  });
});
