import { describe, it, expect } from 'vitest';
import { runBrowserSmoke, chromiumAvailable, CHROMIUM } from './browser/run-smoke.ts';
import { requireGpu } from './helpers/gpu.ts';

const available = chromiumAvailable();
if (!available && !requireGpu) console.warn(`\n!!! Browser WebGPU smoke test SKIPPED: no Chromium at ${CHROMIUM}. Install it with WITH_CHROMIUM=1 npm run setup:runtime.\n`);

describe.skipIf(!available && !requireGpu)('the engine in headless Chromium (SwiftShader WebGPU)', () => {
  it('runs kernels and a training step that match the Float64 reference', async () => {
    const out = await runBrowserSmoke();
    expect(out.error).toBeUndefined();
    expect(out.info!.software).toBe(true);
    for (const [name, err] of Object.entries(out.results!)) expect(err, name).toBeLessThan(name === 'mlp_loss' ? 2e-3 : 1e-3);
    expect(Object.keys(out.results!)).toEqual(['matmul_rowu', 'matmul_strided', 'matmul_tiled', 'logsumexp', 'philox', 'mlp_loss']);
  });
});
