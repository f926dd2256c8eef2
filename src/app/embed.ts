// Example of a host application embedding the engine (issue: embedding). The host requests its own adapter and
// device, configures a canvas and renders with it (as a three.js or TypeGPU scene would); lcd-webgpu borrows the
// device through Engine.fromDevice, trains a small LCD and samples on it, and its destroy() releases only the
// engine's own buffers: the host's device stays alive and its canvas keeps rendering. The page publishes what it
// checked on globalThis.embedResult (read by test/app.test.ts).
// A host app writes `import { Engine, WebGPUBackend, LCD, linearScreen } from 'lcd-webgpu'` (the browser entry);
// inside this repository the example imports the same modules directly.
import { Engine } from '../gpu/engine.ts';
import { WebGPUBackend } from '../ops/webgpu-backend.ts';
import { LCD } from '../lcd/model.ts';
import { linearScreen } from '../sim/linear.ts';

const log = (s: string) => {
  document.getElementById('log')!.textContent += `\n${s}`;
};

/**
 * The host: its own device, a render target it clears to a colour each frame (its "scene"), and a canvas that
 * shows the last frame at the end. (Headless Chromium on SwiftShader rejects every later device promise with
 * "Instance dropped" once a frame has been presented to a canvas, so the example presents only once, at the end.)
 */
async function host() {
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  const device = await adapter.requestDevice();
  const canvas = document.getElementById('scene') as HTMLCanvasElement;
  const ctx = canvas.getContext('webgpu')!;
  const format = navigator.gpu.getPreferredCanvasFormat();
  ctx.configure({ device, format, usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_DST });
  const target = device.createTexture({
    size: [canvas.width, canvas.height],
    format,
    usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC,
  });
  let frames = 0;
  const draw = (t: number, present = false) => {
    const enc = device.createCommandEncoder();
    const pass = enc.beginRenderPass({
      colorAttachments: [
        {
          view: target.createView(),
          loadOp: 'clear',
          storeOp: 'store',
          clearValue: { r: 0.2 + 0.15 * t, g: 0.4, b: 0.7, a: 1 },
        },
      ],
    });
    pass.end();
    if (present)
      enc.copyTextureToTexture({ texture: target }, { texture: ctx.getCurrentTexture() }, [
        canvas.width,
        canvas.height,
      ]);
    device.queue.submit([enc.finish()]);
    frames++;
  };
  return { adapter, device, ctx, draw, frames: () => frames };
}

async function run() {
  const h = await host();
  let uncaptured = 0;
  h.device.addEventListener('uncapturederror', () => uncaptured++);
  let lost = false;
  void h.device.lost.then(() => (lost = true));
  h.draw(0);

  // lcd-webgpu on the host's device.
  const engine = Engine.fromDevice(h.device, h.adapter);
  const B = new WebGPUBackend(engine);
  const { screen } = linearScreen({ d: 6, perturbed: 4, doubles: 2, cellsPerEnv: 64, seed: 1 });
  const lcd = await new LCD({ hidden: 16, steps: 60, batchSize: 64, stepsPerLevel: 10, lastLevel: 22, seed: 0 }).fit(
    screen,
    { backend: B },
  );
  for (let k = 1; k <= 3; k++) h.draw(k); // the host keeps rendering between the engine's work
  const cells = await lcd.sample(['G0', 'G1'], 32, { seed: 1 });
  const sampledFinite = cells.every(Number.isFinite);
  engine.destroy();

  // After the engine is gone, the host's device still works: it renders, runs its own queue and creates buffers.
  h.draw(4);
  await h.device.queue.onSubmittedWorkDone();
  const probe = h.device.createBuffer({ size: 16, usage: GPUBufferUsage.COPY_DST });
  probe.destroy();
  h.draw(5, true); // the last frame, shown on the page
  const result = {
    sampledFinite,
    cells: cells.length,
    frames: h.frames(),
    deviceLost: lost,
    uncapturedErrors: uncaptured,
  };
  log(JSON.stringify(result, null, 2));
  return result;
}

(globalThis as { embedResult?: unknown }).embedResult = run().catch((e: Error) => {
  log(`error: ${e.message}`);
  return { error: e.message };
});
