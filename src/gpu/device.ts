// Acquiring a GPUDevice: in Node through Dawn (npm `webgpu`), in browsers through navigator.gpu.
import { WebGPUUnavailableError, installHint } from './errors.ts';
import { tuningOff } from './tuning.ts';

export type NodeBackend = 'vulkan' | 'opengles' | 'default';

export interface DeviceOptions {
  /** Node only: Dawn backend. 'opengles' (llvmpipe GL, compat mode) measured ~2× faster matmul on CPU-only machines. */
  backend?: NodeBackend;
  powerPreference?: GPUPowerPreference;
}

export interface AcquiredDevice {
  device: GPUDevice;
  adapter: GPUAdapter;
  info: AdapterSummary;
}

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  description: string;
  isFallback: boolean;
  software: boolean;
  backend: string;
  /** Why this backend (Node): named by the caller, by ENGINE_BACKEND, measured on this machine, or the default. */
  backendFrom?: 'option' | 'ENGINE_BACKEND' | 'measured' | 'default';
  /** Node, software adapter: the worker threads Mesa runs its dispatches on (LP_NUM_THREADS, set by the Node entry
   *  unless the user did; src/node/llvmpipe-threads.ts). */
  cpuThreads?: number;
}

/** "llvmpipe … (opengles, software; backend measured fastest on this machine)": the adapter line the CLI prints. */
export function describeAdapter(i: AdapterSummary): string {
  const why =
    i.backendFrom === 'measured'
      ? '; backend measured fastest on this machine'
      : i.backendFrom === 'ENGINE_BACKEND'
        ? '; backend from ENGINE_BACKEND'
        : '';
  const threads = i.cpuThreads ? `; ${i.cpuThreads} CPU threads` : '';
  return `${i.description || i.architecture || 'unknown'} (${i.backend}${i.software ? ', software' : ''}${why}${threads})`;
}

// Dawn rule: the object returned by create() must stay strongly reachable while its devices live, or the process
// segfaults at the next callback. Entries are removed when the engine that owns the device is destroyed.
const liveGpuRoots = new Set<GPU>();

export function releaseGpuRoot(gpu: GPU | undefined): void {
  if (gpu) liveGpuRoots.delete(gpu);
}

const isNode = () =>
  typeof process !== 'undefined' &&
  !!process.versions?.node &&
  typeof (globalThis as { window?: unknown }).window === 'undefined';

/** Where a GPU comes from outside a browser: the Node entry registers Dawn (src/node/dawn.ts); a host may
 *  register its own. The engine itself imports no native module, so a browser bundle never sees one. */
export type GpuProvider = (backend: NodeBackend) => Promise<GPU>;
let provider: GpuProvider | null = null;

export function registerGpuProvider(p: GpuProvider | null): void {
  provider = p;
}

/** Node: which backend to use when none is named (src/node/backend-choice.ts measures and remembers it). */
export type BackendChooser = () => Promise<NodeBackend>;
let chooser: BackendChooser | null = null;

export function registerBackendChooser(c: BackendChooser | null): void {
  chooser = c;
}

export function summarize(adapter: GPUAdapter, backend: string): AdapterSummary {
  const info = adapter.info;
  const isFallback = Boolean(
    (info as { isFallbackAdapter?: boolean }).isFallbackAdapter ??
    (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter,
  );
  const architecture = info.architecture ?? '';
  const description = info.description ?? '';
  const software =
    isFallback ||
    architecture === 'software' ||
    architecture === 'swiftshader' ||
    /llvmpipe|lavapipe|swiftshader/i.test(description + info.device);
  return { vendor: info.vendor ?? '', architecture, description, isFallback, software, backend };
}

/** Request the adapter's real limits for the ones our kernels care about (the defaults are much smaller). */
function wantedLimits(adapter: GPUAdapter): Record<string, number> {
  const names = [
    'maxStorageBufferBindingSize',
    'maxBufferSize',
    'maxComputeWorkgroupStorageSize',
    'maxComputeInvocationsPerWorkgroup',
    'maxComputeWorkgroupSizeX',
    'maxStorageBuffersPerShaderStage',
  ] as const;
  const out: Record<string, number> = {};
  for (const n of names) out[n] = adapter.limits[n];
  return out;
}

export async function acquireDevice(opts: DeviceOptions = {}): Promise<AcquiredDevice & { gpu: GPU }> {
  const envBackend = (typeof process !== 'undefined' ? process.env?.ENGINE_BACKEND : undefined) as
    NodeBackend | undefined;
  // Named (option, ENGINE_BACKEND), else measured on this machine (remembered; Node's chooser), else Vulkan.
  const named = opts.backend ?? envBackend;
  const measured = !named && isNode() && chooser && !tuningOff() ? await chooser() : undefined;
  const backend: NodeBackend = named ?? measured ?? 'vulkan';
  const backendFrom = opts.backend ? 'option' : envBackend ? 'ENGINE_BACKEND' : measured ? 'measured' : 'default';
  let gpu: GPU | undefined = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (isNode() || !gpu) {
    if (provider) gpu = await provider(backend);
    else if (isNode())
      throw new WebGPUUnavailableError(
        "no WebGPU provider in this Node process: import 'lcd-webgpu' (its Node entry registers Dawn) or call its registerDawn()",
      );
  }
  if (!gpu) throw new WebGPUUnavailableError(`WebGPU is not available in this environment. ${installHint()}`);
  liveGpuRoots.add(gpu);
  const compat = isNode() && backend === 'opengles';
  // Fallback (software) adapters are accepted: on CPU-only machines they are the only ones.
  const adapter = await gpu.requestAdapter({
    powerPreference: opts.powerPreference,
    ...(compat ? { featureLevel: 'compatibility' } : {}),
  } as GPURequestAdapterOptions);
  if (!adapter) {
    liveGpuRoots.delete(gpu);
    throw new WebGPUUnavailableError(
      `no WebGPU adapter found${isNode() ? ` (Dawn backend '${backend}')` : ''}. ${installHint()}`,
    );
  }
  const features: GPUFeatureName[] = [];
  if (adapter.features.has('timestamp-query')) features.push('timestamp-query');
  const device = await adapter.requestDevice({ requiredLimits: wantedLimits(adapter), requiredFeatures: features });
  const info = summarize(adapter, isNode() ? backend : 'browser');
  if (isNode()) info.backendFrom = backendFrom;
  const threads = isNode() && info.software ? Number(process.env.LP_NUM_THREADS) : NaN;
  if (Number.isInteger(threads) && threads > 0) info.cpuThreads = threads;
  return { gpu, device, adapter, info };
}

/** What is known of a device lent by a host application (its adapter's summary, when given). */
export function borrowedSummary(adapter?: GPUAdapter): AdapterSummary {
  return adapter
    ? summarize(adapter, 'borrowed')
    : {
        vendor: '',
        architecture: '',
        description: 'borrowed device',
        isFallback: false,
        software: false,
        backend: 'borrowed',
      };
}
