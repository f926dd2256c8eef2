// The compute engine: one GPUDevice (owned or borrowed) and the parts that use it, each in its own module:
//   device-life.ts    ownership of the device, its loss, its release
//   pool.ts           pooled GPU buffers, reused after the submit that last used them
//   scopes.ts         tensor lifetimes: live tensors and engine.scope
//   programs.ts       compiled pipelines by (shader, constants)
//   recorder.ts       one command encoder and one compute pass per step, the uniform ring, cached bind groups
//   profiler.ts       per-dispatch GPU timing
//   pending-errors.ts compile and validation errors reported at the next sync
//   tuning.ts         kernel choices measured on this adapter
// This file is the facade kernels and users call: tensors in and out, dispatch, flush, read, destroy.
import { acquireDevice, borrowedSummary, type AdapterSummary, type DeviceOptions } from './device.ts';
import { ShapeError, LimitError } from './errors.ts';
import { DeviceLife } from './device-life.ts';
import { BufferPool } from './pool.ts';
import { BUFFER_USAGE, MAP_MODE_READ } from './flags.ts';
import type { Reflection } from './reflect.ts';
import type { ShaderName } from './shaders.ts';
import { GpuTensor, sizeOf, type Shape, type TensorOwner } from './tensor.ts';
import { Tuning } from './tuning.ts';
import { foldGrid } from './grid.ts';
import { tuneMatmul, type MatmulVariant } from './kernels/matmul.ts';
import { PendingErrors } from './pending-errors.ts';
import { TensorScopes } from './scopes.ts';
import { ProgramCache, type Constants, type Program } from './programs.ts';
import { Recorder, type Binding, type DispatchStats } from './recorder.ts';
import { Profiler, type ProfileEntry } from './profiler.ts';

export type { Constants, DispatchStats };
export { foldGrid }; // where kernels and users have found it

export class Engine implements TensorOwner {
  readonly pool: BufferPool;
  private readonly errors = new PendingErrors();
  private readonly tensors = new TensorScopes();
  private readonly programs: ProgramCache;
  private readonly recorder: Recorder;
  private readonly profiler: Profiler;
  private readonly life: DeviceLife;
  private destroyed = false;
  /** Kernel choices measured on this adapter (src/gpu/tuning.ts). */
  readonly tuning: Tuning = new Tuning(this);
  /** Matmul kernels in order of measured speed (set by tuneMatmul; unset: the static rule in kernels/matmul.ts). */
  matmulOrder?: MatmulVariant[];

  private constructor(
    readonly device: GPUDevice,
    readonly info: AdapterSummary,
    ownsDevice: boolean,
    gpuRoot?: GPU,
  ) {
    this.life = new DeviceLife(device, ownsDevice, gpuRoot);
    this.pool = new BufferPool(device, undefined, undefined, () => this.recorder.clearBindGroups());
    this.programs = new ProgramCache(device, this.errors);
    this.recorder = new Recorder(device, this.pool, this.errors, () => !this.destroyed);
    this.profiler = new Profiler(
      device,
      this.recorder,
      this.pool,
      () => this.sync(),
      () => this.checkErrors(),
    );
    this.recorder.profiler = this.profiler;
  }

  /** Create an engine that owns its device (Node: Dawn; browser: navigator.gpu). */
  static async create(opts: DeviceOptions & { tune?: boolean } = {}): Promise<Engine> {
    const { gpu, device, info } = await acquireDevice(opts);
    const e = new Engine(device, info, true, gpu);
    if (opts.tune !== false) await e.tune();
    return e;
  }

  /** Measure (or recall) this adapter's kernel choices that apply to the whole engine: today the matmul kernel.
   *  Engine.create does it; call it on an engine made with fromDevice to get the same choice. */
  async tune(): Promise<void> {
    await tuneMatmul(this);
  }

  /** Borrow a host application's device; destroy() will never destroy it. */
  static fromDevice(device: GPUDevice, adapter?: GPUAdapter, opts: { software?: boolean } = {}): Engine {
    const info = borrowedSummary(adapter);
    if (opts.software !== undefined) info.software = opts.software;
    return new Engine(device, info, false);
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }
  get isDestroyed(): boolean {
    return this.destroyed;
  }
  /** Dispatches, submits and readbacks so far. */
  get stats(): DispatchStats {
    return this.recorder.stats;
  }
  /** Dispatches so far by shader name, a copy (the difference of two copies is what the work between them ran). */
  dispatchesByShader(): Map<string, number> {
    return new Map(this.recorder.dispatchesByShader);
  }
  /**
   * Submit automatically after this many dispatches in one encoder, so the GPU starts on a long step while the
   * host is still encoding it (on lavapipe host encoding and execution then overlap). 0 = only explicit flushes.
   */
  get maxDispatchesPerSubmit(): number {
    return this.recorder.maxDispatchesPerSubmit;
  }
  set maxDispatchesPerSubmit(n: number) {
    this.recorder.maxDispatchesPerSubmit = n;
  }

  // ---------------------------------------------------------------- tensors and memory

  empty(shape: Shape, label = 'tensor'): GpuTensor {
    return this.allocate(shape, label, false);
  }

  /** `forUpload`: the buffer is written by queue.writeBuffer before the next submit (pool.acquire). */
  private allocate(shape: Shape, label: string, forUpload: boolean): GpuTensor {
    const bytes = sizeOf(shape) * 4;
    const maxBinding = this.device.limits.maxStorageBufferBindingSize;
    if (bytes > maxBinding) {
      throw new LimitError(
        `tensor '${label}' [${shape.join('×')}] needs ${bytes} bytes, over this device's maxStorageBufferBindingSize of ${maxBinding} bytes; split the work into chunks`,
      );
    }
    for (const d of shape)
      if (!Number.isInteger(d) || d < 0)
        throw new ShapeError(`invalid shape [${shape.join(', ')}] for '${label}': dims must be non-negative integers`);
    const t = new GpuTensor(this, shape, this.pool.acquire(bytes, label, forUpload), true, label);
    this.tensors.track(t);
    return t;
  }

  /** Upload host data (typed array, plain array, or an ndarray-like {data, shape}). */
  upload(data: ArrayLike<number>, shape: Shape, label = 'tensor'): GpuTensor {
    if (data.length !== sizeOf(shape))
      throw new ShapeError(
        `upload '${label}': ${data.length} values do not fill shape [${shape.join('×')}] (${sizeOf(shape)} values)`,
      );
    const t = this.allocate(shape, label, true);
    const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
    if (f32.length > 0) this.device.queue.writeBuffer(t.buffer, 0, f32.buffer, f32.byteOffset, f32.byteLength);
    return t;
  }

  /** Overwrite a tensor's contents. Flushes first so earlier recorded reads see the old values. */
  write(t: GpuTensor, data: ArrayLike<number>): void {
    if (data.length !== t.size)
      throw new ShapeError(`write: ${data.length} values for tensor [${t.shape.join('×')}] (${t.size} values)`);
    this.flush();
    const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
    this.device.queue.writeBuffer(t.buffer, t.byteOffset, f32.buffer, f32.byteOffset, f32.byteLength);
  }

  /** Wrap a host GPUBuffer as a tensor without taking ownership (from `byteOffset` on). */
  wrap(buffer: GPUBuffer, shape: Shape, label = 'wrapped', byteOffset = 0, slice = false): GpuTensor {
    if (byteOffset + sizeOf(shape) * 4 > buffer.size)
      throw new ShapeError(
        `wrap: buffer of ${buffer.size} bytes is smaller than shape [${shape.join('×')}] at byte ${byteOffset}`,
      );
    const t = new GpuTensor(this, shape, buffer, false, label, byteOffset, slice);
    this.tensors.track(t);
    return t;
  }

  /** A view with another shape over the same buffer (not owned: disposing it does not free the buffer). */
  reshape(t: GpuTensor, shape: Shape): GpuTensor {
    if (sizeOf(shape) !== t.size)
      throw new ShapeError(`reshape [${t.shape.join('×')}] → [${shape.join('×')}]: sizes differ`);
    return this.wrap(t.buffer, shape, t.label, t.byteOffset, t.slice);
  }

  /** Elements between the starts of consecutive slices of a packed buffer: the storage offset alignment in floats. */
  get sliceAlignment(): number {
    return this.device.limits.minStorageBufferOffsetAlignment / 4;
  }

  /**
   * Tensors of `shapes` packed into one buffer, each starting at a multiple of `sliceAlignment` elements (the gaps
   * stay zero), and the whole buffer as a flat tensor: kernels see each slice as a tensor of its own, and an
   * elementwise kernel (the optimiser) can run over all of them at once on the whole. The slices are views: the
   * whole owns the memory, and disposing it ends them all.
   */
  packed(
    shapes: readonly Shape[],
    data?: readonly ArrayLike<number>[],
    label = 'packed',
  ): { whole: GpuTensor; slices: GpuTensor[] } {
    const a = this.sliceAlignment;
    const starts: number[] = [];
    let n = 0;
    for (const shape of shapes) {
      starts.push(n);
      n += Math.max(1, Math.ceil(sizeOf(shape) / a)) * a;
    }
    const host = new Float32Array(n);
    data?.forEach((d, i) => {
      if (d.length !== sizeOf(shapes[i]!))
        throw new ShapeError(`packed '${label}': ${d.length} values for slice ${i} [${shapes[i]!.join('×')}]`);
      host.set(d, starts[i]!);
    });
    const whole = this.upload(host, [n], label);
    const slices = shapes.map((shape, i) => this.wrap(whole.buffer, shape, label, starts[i]! * 4, true));
    return { whole, slices };
  }

  unwrap(t: GpuTensor): GPUBuffer {
    return t.buffer;
  }

  releaseTensor(t: GpuTensor): void {
    this.tensors.forget(t);
    if (t.owned) this.pool.release(t.buffer);
  }

  /** Number of tensors not yet disposed (the leak counter tests assert on). */
  get liveTensorCount(): number {
    return this.tensors.liveCount;
  }

  /**
   * Run fn; every tensor created inside and not returned (or passed to keep) is disposed afterwards.
   * Returned tensors (also inside arrays or plain objects) move to the enclosing scope.
   */
  scope<T>(fn: () => T): T;
  scope<T>(fn: () => Promise<T>): Promise<T>;
  scope<T>(fn: () => T | Promise<T>): T | Promise<T> {
    return this.tensors.scope(fn);
  }

  /** Exempt a tensor from the enclosing scopes' cleanup. */
  keep<T extends GpuTensor>(t: T): T {
    return this.tensors.keep(t);
  }

  // ---------------------------------------------------------------- programs, recording and submission

  reflection(shader: ShaderName): Reflection {
    return this.programs.reflection(shader);
  }

  program(shader: ShaderName, constants: Constants = {}): Program {
    return this.programs.program(shader, constants);
  }

  /**
   * Record one dispatch. `bindings` follow the shader's binding order without the trailing Params uniform;
   * `null` binds a dummy buffer (for an input the chosen constants never read). `grid` is in workgroups.
   */
  dispatch(
    shader: ShaderName,
    constants: Constants,
    bindings: (Binding | null)[],
    params: Record<string, number> | null,
    grid: [number, number?, number?],
  ): void {
    this.recorder.dispatch(shader, this.programs.program(shader, constants), bindings, params, grid);
  }

  copy(src: GpuTensor, dst: GpuTensor): void {
    if (src.size !== dst.size) throw new ShapeError(`copy: [${src.shape.join('×')}] into [${dst.shape.join('×')}]`);
    if (src.size === 0) return;
    this.recorder.copy(src, dst);
  }

  /** Submit everything recorded so far (one command buffer). */
  flush(): void {
    this.recorder.flush();
  }

  /** Throw any pending shader-compile or validation error. */
  async checkErrors(): Promise<void> {
    await this.errors.throwFirst();
  }

  /** How startProfile times dispatches here: on the device, or by replaying each one in its own submit. */
  get profileMode(): 'timestamps' | 'replay' {
    return this.profiler.mode;
  }

  /** Start timing every dispatch (the first `capacity` ≤ 2048; src/gpu/profiler.ts says how). */
  startProfile(capacity = 2048): void {
    this.profiler.start(capacity);
  }

  /** Stop profiling: the device time of every timed dispatch since startProfile, in order, in nanoseconds. */
  stopProfile(): Promise<ProfileEntry[]> {
    return this.profiler.stop();
  }

  /** Submit and wait until the GPU is idle. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.checkErrors();
  }

  /** Copy a tensor back to the host (flushes pending work first). */
  async read(t: GpuTensor): Promise<Float32Array> {
    const bytes = t.size * 4;
    if (bytes === 0) return new Float32Array(0);
    const staging = this.device.createBuffer({
      size: bytes,
      usage: BUFFER_USAGE.MAP_READ | BUFFER_USAGE.COPY_DST,
      label: 'readback',
    });
    this.recorder.encoderOutsidePass().copyBufferToBuffer(t.buffer, t.byteOffset, staging, 0, bytes);
    this.flush();
    this.recorder.stats.readbacks++;
    try {
      try {
        await staging.mapAsync(MAP_MODE_READ);
      } catch (e) {
        await this.life.checkLost();
        throw e;
      }
      const out = new Float32Array(staging.getMappedRange().slice(0));
      staging.unmap();
      return out;
    } finally {
      staging.destroy();
      await this.checkErrors();
    }
  }

  async readScalar(t: GpuTensor): Promise<number> {
    return (await this.read(t))[0]!;
  }

  /** Free all GPU memory this engine allocated; destroy the device only if the engine owns it. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.recorder.destroy(); // what is recorded and unsubmitted is dropped first
    for (const t of this.tensors.all()) t.dispose();
    this.pool.afterSubmit();
    this.pool.destroyAll();
    this.programs.clear();
    this.life.end();
  }

  /** destroy(), then wait until the device's loss has been delivered: what a process about to exit calls. */
  async close(): Promise<void> {
    this.destroy();
    await this.life.settled();
  }
}
