// Dawn (npm `webgpu`) as the engine's GPU in Node, its measured backend choice, and the file that remembers kernel
// choices per adapter. Importing this module registers them; the Node entry does so, and the CLI, tests and
// benchmarks import it first. `webgpu` is an optional dependency: it is loaded only here, and a
// missing or broken binding turns into WebGPUUnavailableError with the fix.
import { registerGpuProvider, registerBackendChooser, type NodeBackend } from '../gpu/device.ts';
import { chooseDawnBackend } from './backend-choice.ts';
import { WebGPUUnavailableError, installHint } from '../gpu/errors.ts';
import { registerTuningStore, tuningStore } from '../gpu/tuning.ts';
import { tuningFileStore } from './tuning-file.ts';
import { applyLlvmpipeThreads } from './llvmpipe-threads.ts';

async function dawnGpu(backend: NodeBackend): Promise<GPU> {
  let mod: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  try {
    mod = (await import('webgpu')) as unknown as typeof mod;
  } catch (e) {
    throw new WebGPUUnavailableError(
      `the Node WebGPU binding (npm package 'webgpu') failed to load: ${(e as Error).message}. Run \`npm install webgpu\` (an optional dependency of lcd-webgpu). ${installHint()}`,
    );
  }
  Object.assign(globalThis, mod.globals);
  // Before the first adapter: Mesa's software drivers read their thread count when they start (llvmpipe-threads.ts).
  applyLlvmpipeThreads();
  const flags: string[] = [];
  // LCD_WEBGPU_ROBUSTNESS=off: Dawn's disable_robustness toggle drops the bounds clamp on every buffer access (Tint's
  // robustness transform; Vulkan's robust access). Measured on llvmpipe, 2 December 2026, two runs each: GL ES DSM
  // step +28–32 %, sampler +12–34 %; Vulkan +4 % / +7–14 %. Opt-in only: an out-of-bounds index in a shader (ours
  // are guarded and tested with robustness on; a registerShader kernel may not be) then reads or writes outside its
  // buffer instead of being clamped.
  if (process.env.LCD_WEBGPU_ROBUSTNESS === 'off') flags.push('enable-dawn-features=disable_robustness');
  if (backend === 'vulkan') flags.push('backend=vulkan');
  if (backend === 'opengles') {
    process.env.EGL_PLATFORM ??= 'surfaceless';
    flags.push('backend=opengles');
  }
  return mod.create(flags);
}

/** Make Dawn the GPU of every Engine.create() in this process (idempotent). */
export function registerDawn(): void {
  registerGpuProvider(dawnGpu);
  registerBackendChooser(chooseDawnBackend);
  // Kernel choices measured on this machine's adapters are kept in a file (src/node/tuning-file.ts).
  if (!tuningStore()) registerTuningStore(tuningFileStore());
}

registerDawn();
