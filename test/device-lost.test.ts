// A lost GPU device (destroyed mid-run here; a driver reset or an unplugged GPU in the field) stops the work with a
// DeviceLostError that says what happened and how to continue, instead of an empty DOMException from a readback.
import { describe, it, expect } from 'vitest';
import { Engine } from '../src/gpu/engine.ts';
import { DeviceLostError } from '../src/gpu/errors.ts';
import { WebGPUBackend } from '../src/ops/webgpu-backend.ts';
import { LCD } from '../src/lcd/model.ts';
import { linearScreen } from '../src/sim/linear.ts';
import { testEngine } from './helpers/gpu.ts';

const shared = await testEngine();
describe.skipIf(!shared)('device loss', () => {
  it('a readback after the device is lost names the loss', async () => {
    const e = await Engine.create();
    const t = e.upload(new Float32Array([1, 2, 3]), [3]);
    e.device.destroy();
    await expect(e.read(t)).rejects.toThrow(DeviceLostError);
    await expect(e.read(t)).rejects.toThrow(/the GPU device was lost \(destroyed.*--resume continues/);
  });

  it('a fit whose device is lost mid-training rejects with DeviceLostError', async () => {
    const e = await Engine.create();
    const { screen } = linearScreen({ d: 6, perturbed: 3, cellsPerEnv: 32, seed: 0 });
    let steps = 0;
    const fit = new LCD({ steps: 100_000, hidden: 16, batchSize: 32 }).fit(screen, {
      backend: new WebGPUBackend(e),
      progressEvery: 10,
      onProgress: (p) => {
        steps = p.step;
        if (p.step === 50) e.device.destroy();
      },
    });
    await expect(fit).rejects.toThrow(DeviceLostError);
    expect(steps).toBeGreaterThanOrEqual(50);
    expect(steps).toBeLessThan(100_000);
  }, 120_000);
});
