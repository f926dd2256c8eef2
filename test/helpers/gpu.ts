// Shared WebGPU engine for a test file. Without an adapter the GPU suites are skipped with one loud line,
// unless CI=true or REQUIRE_WEBGPU=1, where the missing adapter is an error.
import { Engine } from '../../src/gpu/engine.ts';

export const requireGpu = process.env.CI === 'true' || process.env.REQUIRE_WEBGPU === '1';

let shared: Promise<Engine | null> | null = null;

export function testEngine(): Promise<Engine | null> {
  shared ??= Engine.create().catch((e: Error) => {
    if (requireGpu) throw e;
    console.warn(`\n!!! WebGPU tests SKIPPED: ${e.message}\n!!! Set REQUIRE_WEBGPU=1 to make this an error.\n`);
    return null;
  });
  return shared;
}
