// Errors a user can act on: each names the problem and the fix.

export class WebGPUUnavailableError extends Error {
  override name = 'WebGPUUnavailableError';
}

export { ShapeError, InputError } from '../core/errors.ts';

export class DisposedError extends Error {
  override name = 'DisposedError';
}

export class ShaderCompileError extends Error {
  override name = 'ShaderCompileError';
  constructor(
    readonly shader: string,
    readonly line: number,
    readonly detail: string,
    source: string,
  ) {
    const lines = source.split('\n');
    const ctx = lines
      .slice(Math.max(0, line - 2), line + 1)
      .map((l, i) => `  ${Math.max(1, line - 1) + i}| ${l}`)
      .join('\n');
    super(`WGSL compile error in shader '${shader}' at line ${line}: ${detail}\n${ctx}`);
  }
}

/** The GPU device was lost (driver reset, device destroyed, GPU removed): no work on it can continue. */
export class DeviceLostError extends Error {
  override name = 'DeviceLostError';
  constructor(
    readonly reason: string,
    detail: string,
  ) {
    super(
      `the GPU device was lost (${reason}${detail ? `: ${detail}` : ''}); the work on it stopped — run the command again (fit: --resume continues from the last checkpoint)`,
    );
  }
}

export class LimitError extends Error {
  override name = 'LimitError';
}

/** How to get a WebGPU adapter on this OS, for the "no adapter" error. */
export function installHint(): string {
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (!isNode) return 'Use a browser with WebGPU enabled (Chrome/Edge 113+, or Chromium with --enable-unsafe-webgpu).';
  if (process.platform === 'linux') {
    return (
      "On Debian/Ubuntu without GPU drivers install Mesa's software Vulkan driver: `npm run setup:runtime` " +
      '(runs scripts/install-webgpu-runtime.sh: Mesa >= 25 lavapipe from bookworm-backports + libvulkan1), ' +
      "or install your GPU vendor's Vulkan driver. Set XDG_RUNTIME_DIR=/tmp if Mesa complains."
    );
  }
  return 'Install a Vulkan (Linux), Metal (macOS) or D3D12 (Windows) capable GPU driver.';
}
