// The compute engine: one GPUDevice (owned or borrowed), a buffer pool, a pipeline cache and a command
// recorder that puts many dispatches into one command encoder and one compute pass, submitted once per step.
import { acquireDevice, releaseGpuRoot, summarize, type AdapterSummary, type DeviceOptions } from './device.ts';
import { ShaderCompileError, ShapeError, LimitError, DeviceLostError } from './errors.ts';
import { BufferPool } from './pool.ts';
import { BUFFER_USAGE, MAP_MODE_READ } from './flags.ts';
import { reflectShader, packParams, type Reflection } from './reflect.ts';
import { shaderSource, type ShaderName } from './shaders.ts';
import { GpuTensor, sizeOf, type Shape, type TensorOwner } from './tensor.ts';
import { Tuning } from './tuning.ts';
import { foldGrid, MAX_WG_PER_DIM } from './grid.ts';
import { tuneMatmul } from './kernels/matmul.ts';
import { median } from '../data/normalize.ts';

export type Constants = Record<string, number | boolean>;
type Binding = GpuTensor | GPUBuffer;

interface Program {
  key: string;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  reflection: Reflection;
}

export interface DispatchStats {
  dispatches: number;
  submits: number;
  readbacks: number;
}

const UNIFORM_SLOT = 256; // minUniformBufferOffsetAlignment upper bound guaranteed by the spec
const UNIFORM_SLOTS = 4096; // dispatches per submit before the ring forces a flush

export { foldGrid }; // where kernels and users have found it

export class Engine implements TensorOwner {
  readonly pool: BufferPool;
  // Params of every dispatch in the open step go into one uniform ring (256-byte slots) uploaded with a single
  // writeBuffer at submit; bind groups are cached by (program, buffer identities, slot), which takes most of the
  // per-dispatch encoding cost away.
  private uniformRing: GPUBuffer;
  private uniformHost: ArrayBuffer;
  private uniformUsed = 0;
  private bindGroups = new Map<string, GPUBindGroup>();
  private bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  private lastPipeline: GPUComputePipeline | null = null;
  private programs = new Map<string, Program>();
  private reflections = new Map<string, Reflection>();
  // Pending compile/validation checks; they resolve to an Error (never reject) so that none is ever unhandled.
  private compileChecks: Promise<Error | null>[] = [];
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** Per-dispatch GPU timing while profiling (startProfile): one timestamped compute pass per dispatch. */
  private profiling: { querySet: GPUQuerySet; labels: string[]; capacity: number } | null = null;
  /** Without timestamp queries: every dispatch recorded (it runs as usual) and replayed alone at stopProfile. */
  private replaying: {
    entries: {
      shader: string;
      pipeline: GPUComputePipeline;
      group: GPUBindGroup;
      grid: [number, number, number];
      offset: number;
      params: ArrayBuffer | null;
    }[];
    capacity: number;
  } | null = null;
  private scopes: Set<GpuTensor>[] = [];
  private liveTensors = new Set<GpuTensor>();
  private destroyed = false;
  private dummy: GPUBuffer;
  readonly stats: DispatchStats = { dispatches: 0, submits: 0, readbacks: 0 };
  /**
   * Submit automatically after this many dispatches in one encoder, so the GPU starts on a long step while the
   * host is still encoding it (on lavapipe host encoding and execution then overlap). 0 = only explicit flushes.
   */
  maxDispatchesPerSubmit = 256;
  private dispatchesInEncoder = 0;
  /** Kernel choices measured on this adapter (src/gpu/tuning.ts). */
  readonly tuning: Tuning = new Tuning(this);
  /** Matmul kernels in order of measured speed (set by tuneMatmul; unset: the static rule in kernels/matmul.ts). */
  matmulOrder?: ('rowu' | 'strided' | 'tiled')[];
  /** Print each compiled WGSL module (debugging): set ENGINE_PRINT_SHADERS=1. */
  printShaders = typeof process !== 'undefined' && process.env?.ENGINE_PRINT_SHADERS === '1';

  private constructor(
    readonly device: GPUDevice,
    readonly info: AdapterSummary,
    private readonly ownsDevice: boolean,
    private readonly gpuRoot?: GPU,
  ) {
    this.pool = new BufferPool(device, undefined, undefined, () => this.bindGroups.clear());
    this.uniformHost = new ArrayBuffer(UNIFORM_SLOT * UNIFORM_SLOTS);
    this.uniformRing = device.createBuffer({
      size: this.uniformHost.byteLength,
      usage: BUFFER_USAGE.UNIFORM | BUFFER_USAGE.COPY_DST,
      label: 'params-ring',
    });
    this.dummy = device.createBuffer({ size: 16, usage: BUFFER_USAGE.STORAGE, label: 'dummy-binding' });
    // Remember a loss, so the next readback reports it instead of an empty DOMException from mapAsync.
    void device.lost?.then((info) => {
      this.lostInfo = info;
    });
  }
  private lostInfo: GPUDeviceLostInfo | null = null;

  /** Throws DeviceLostError if the device has been lost (waits briefly for the loss to be reported). */
  private async checkLost(): Promise<void> {
    if (!this.lostInfo && this.device.lost)
      await Promise.race([this.device.lost, new Promise((r) => setTimeout(r, 50))]);
    const info = this.lostInfo;
    if (info) throw new DeviceLostError(String(info.reason ?? 'unknown'), info.message ?? '');
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
    const info = adapter
      ? summarize(adapter, 'borrowed')
      : {
          vendor: '',
          architecture: '',
          description: 'borrowed device',
          isFallback: false,
          software: false,
          backend: 'borrowed',
        };
    if (opts.software !== undefined) info.software = opts.software;
    return new Engine(device, info, false);
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }
  get isDestroyed(): boolean {
    return this.destroyed;
  }

  // ---------------------------------------------------------------- tensors and memory

  empty(shape: Shape, label = 'tensor'): GpuTensor {
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
    const t = new GpuTensor(this, shape, this.pool.acquire(bytes, label), true, label);
    this.track(t);
    return t;
  }

  /** Upload host data (typed array, plain array, or an ndarray-like {data, shape}). */
  upload(data: ArrayLike<number>, shape: Shape, label = 'tensor'): GpuTensor {
    if (data.length !== sizeOf(shape))
      throw new ShapeError(
        `upload '${label}': ${data.length} values do not fill shape [${shape.join('×')}] (${sizeOf(shape)} values)`,
      );
    const t = this.empty(shape, label);
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
    this.device.queue.writeBuffer(t.buffer, 0, f32.buffer, f32.byteOffset, f32.byteLength);
  }

  /** Wrap a host GPUBuffer as a tensor without taking ownership. */
  wrap(buffer: GPUBuffer, shape: Shape, label = 'wrapped'): GpuTensor {
    if (sizeOf(shape) * 4 > buffer.size)
      throw new ShapeError(`wrap: buffer of ${buffer.size} bytes is smaller than shape [${shape.join('×')}]`);
    const t = new GpuTensor(this, shape, buffer, false, label);
    this.track(t);
    return t;
  }

  /** A view with another shape over the same buffer (not owned: disposing it does not free the buffer). */
  reshape(t: GpuTensor, shape: Shape): GpuTensor {
    if (sizeOf(shape) !== t.size)
      throw new ShapeError(`reshape [${t.shape.join('×')}] → [${shape.join('×')}]: sizes differ`);
    return this.wrap(t.buffer, shape, t.label);
  }

  unwrap(t: GpuTensor): GPUBuffer {
    return t.buffer;
  }

  releaseTensor(t: GpuTensor): void {
    this.liveTensors.delete(t);
    for (const s of this.scopes) s.delete(t);
    if (t.owned) this.pool.release(t.buffer);
  }

  private track(t: GpuTensor): void {
    this.liveTensors.add(t);
    this.scopes[this.scopes.length - 1]?.add(t);
  }

  /** Number of tensors not yet disposed (the leak counter tests assert on). */
  get liveTensorCount(): number {
    return this.liveTensors.size;
  }

  /**
   * Run fn; every tensor created inside and not returned (or passed to keep) is disposed afterwards.
   * Returned tensors (also inside arrays or plain objects) move to the enclosing scope.
   */
  scope<T>(fn: () => T): T;
  scope<T>(fn: () => Promise<T>): Promise<T>;
  scope<T>(fn: () => T | Promise<T>): T | Promise<T> {
    const own = new Set<GpuTensor>();
    this.scopes.push(own);
    const finish = (result: T): T => {
      const popped = this.scopes.pop();
      if (popped !== own)
        throw new Error('engine.scope: scopes closed out of order (an async scope overlapped another)');
      const keep = new Set<GpuTensor>();
      collectTensors(result, keep);
      for (const t of own) {
        if (keep.has(t)) this.scopes[this.scopes.length - 1]?.add(t);
        else t.dispose();
      }
      return result;
    };
    let out: T | Promise<T>;
    try {
      out = fn();
    } catch (e) {
      this.scopes.pop();
      for (const t of own) t.dispose();
      throw e;
    }
    if (out instanceof Promise) {
      return out.then(finish, (e) => {
        this.scopes.pop();
        for (const t of own) t.dispose();
        throw e;
      });
    }
    return finish(out);
  }

  /** Exempt a tensor from the enclosing scopes' cleanup. */
  keep<T extends GpuTensor>(t: T): T {
    for (const s of this.scopes) s.delete(t);
    return t;
  }

  // ---------------------------------------------------------------- programs

  reflection(shader: ShaderName): Reflection {
    let r = this.reflections.get(shader);
    if (!r) {
      r = reflectShader(shaderSource(shader), shader);
      this.reflections.set(shader, r);
    }
    return r;
  }

  program(shader: ShaderName, constants: Constants = {}): Program {
    const key = shader + JSON.stringify(Object.entries(constants).sort());
    let prog = this.programs.get(key);
    if (prog) return prog;
    const code = shaderSource(shader);
    if (this.printShaders) console.error(`// ---- ${key}\n${code}`);
    const reflection = this.reflection(shader);
    // Compilation and pipeline creation in their own error scope (nested inside an open encoder's, popped before
    // returning): a broken shader is reported through checkErrors as a ShaderCompileError, never as an uncaptured
    // error that Dawn would print to stderr.
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code, label: shader });
    this.compileChecks.push(
      module.getCompilationInfo().then(
        (info) => {
          const err = info.messages.find((m) => m.type === 'error');
          if (!err) return null;
          this.programs.delete(key); // let a corrected registration compile afresh
          return new ShaderCompileError(shader, err.lineNum, err.message, code);
        },
        (e: Error) => e,
      ),
    );
    const layout = this.device.createBindGroupLayout({
      label: shader,
      entries: reflection.bindings.map((type, binding) => ({
        binding,
        visibility: 4 /* GPUShaderStage.COMPUTE */,
        buffer: { type },
      })),
    });
    const pipeline = this.device.createComputePipeline({
      label: key,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: {
        module,
        entryPoint: 'main',
        constants: Object.fromEntries(Object.entries(constants).map(([k, v]) => [k, Number(v)])),
      },
    });
    const created = this.device.popErrorScope();
    this.compileChecks.push(
      created.then(
        (err) => (err ? new Error(`WebGPU validation error creating '${shader}': ${err.message}`) : null),
        (e: Error) => e,
      ),
    );
    prog = { key, pipeline, layout, reflection };
    this.programs.set(key, prog);
    return prog;
  }

  // ---------------------------------------------------------------- recording and submission

  private bufferId(b: GPUBuffer): number {
    let id = this.bufferIds.get(b);
    if (id === undefined) {
      id = this.nextBufferId++;
      this.bufferIds.set(b, id);
    }
    return id;
  }

  private ensurePass(): GPUComputePassEncoder {
    if (this.destroyed) throw new Error('engine was destroyed');
    if (!this.encoder) {
      this.device.pushErrorScope('validation');
      this.encoder = this.device.createCommandEncoder({ label: 'step' });
    }
    if (!this.pass) {
      this.pass = this.encoder.beginComputePass({ label: 'step' });
      this.lastPipeline = null;
    }
    return this.pass;
  }

  private ensureEncoderOutsidePass(): GPUCommandEncoder {
    this.ensurePass();
    this.pass!.end();
    this.pass = null;
    return this.encoder!;
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
    const prog = this.program(shader, constants);
    const hasParams = prog.reflection.params.length > 0;
    if (bindings.length + (hasParams ? 1 : 0) !== prog.reflection.bindings.length) {
      throw new Error(
        `shader '${shader}' has ${prog.reflection.bindings.length} bindings, dispatch gave ${bindings.length + (hasParams ? 1 : 0)}`,
      );
    }
    const [x, y = 1, z = 1] = grid;
    if (x > MAX_WG_PER_DIM || y > MAX_WG_PER_DIM || z > MAX_WG_PER_DIM)
      throw new LimitError(`shader '${shader}': grid ${x}×${y}×${z} over 65535 workgroups per dimension`);
    if (x === 0 || y === 0 || z === 0) return;
    const buffers = bindings.map((b) => (b === null ? this.dummy : b instanceof GpuTensor ? b.buffer : b));
    let offset = 0;
    let packedParams: ArrayBuffer | null = null;
    if (hasParams) {
      if (!params) throw new Error(`shader '${shader}' needs params`);
      const packed = (packedParams = packParams(prog.reflection.params, params, shader));
      if (this.uniformUsed + UNIFORM_SLOT > this.uniformHost.byteLength) this.flush();
      offset = this.uniformUsed;
      new Uint8Array(this.uniformHost, offset, packed.byteLength).set(new Uint8Array(packed));
      this.uniformUsed += UNIFORM_SLOT;
    }
    // The uniform slot is part of the key: a training loop repeats the same dispatch sequence over the same
    // pooled buffers every step, so the keys recur. (Dynamic offsets would make the slot irrelevant, but they
    // measured ~2× slower per dispatch on lavapipe.)
    const key = prog.key + '|' + buffers.map((b) => this.bufferId(b)).join(',') + '|' + offset;
    let group = this.bindGroups.get(key);
    if (!group) {
      const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
      if (hasParams)
        entries.push({ binding: buffers.length, resource: { buffer: this.uniformRing, offset, size: UNIFORM_SLOT } });
      group = this.device.createBindGroup({ layout: prog.layout, entries });
      if (this.bindGroups.size > 8192) this.bindGroups.clear();
      this.bindGroups.set(key, group);
    }
    const timed = this.profiling && this.profiling.labels.length < this.profiling.capacity ? this.profiling : null;
    let pass: GPUComputePassEncoder;
    if (timed) {
      const k = timed.labels.length;
      timed.labels.push(shader);
      pass = this.ensureEncoderOutsidePass().beginComputePass({
        label: shader,
        timestampWrites: { querySet: timed.querySet, beginningOfPassWriteIndex: 2 * k, endOfPassWriteIndex: 2 * k + 1 },
      });
      this.lastPipeline = null;
    } else pass = this.ensurePass();
    if (this.lastPipeline !== prog.pipeline) {
      pass.setPipeline(prog.pipeline);
      this.lastPipeline = prog.pipeline;
    }
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y, z);
    const r = this.replaying;
    if (r && r.entries.length < r.capacity)
      r.entries.push({ shader, pipeline: prog.pipeline, group, grid: [x, y, z], offset, params: packedParams });
    if (timed) {
      pass.end();
      this.lastPipeline = null;
    }
    this.stats.dispatches++;
    if (this.maxDispatchesPerSubmit > 0 && ++this.dispatchesInEncoder >= this.maxDispatchesPerSubmit) this.flush();
  }

  copy(src: GpuTensor, dst: GpuTensor): void {
    if (src.size !== dst.size) throw new ShapeError(`copy: [${src.shape.join('×')}] into [${dst.shape.join('×')}]`);
    if (src.size === 0) return;
    this.ensureEncoderOutsidePass().copyBufferToBuffer(src.buffer, 0, dst.buffer, 0, src.size * 4);
  }

  /** Submit everything recorded so far (one command buffer). */
  flush(): void {
    if (!this.encoder) {
      // Nothing recorded and unsubmitted can reference parked buffers: they are reusable now.
      this.pool.afterSubmit();
      return;
    }
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    // queue.writeBuffer is ordered after earlier submits, so rewriting the ring cannot race in-flight work.
    if (this.uniformUsed > 0) this.device.queue.writeBuffer(this.uniformRing, 0, this.uniformHost, 0, this.uniformUsed);
    this.uniformUsed = 0;
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.dispatchesInEncoder = 0;
    const scope = this.device.popErrorScope();
    this.compileChecks.push(
      scope.then(
        (err) => (err ? new Error(`WebGPU validation error: ${err.message}`) : null),
        (e: Error) => e,
      ),
    );
    this.stats.submits++;
    this.pool.afterSubmit();
  }

  /** Throw any pending shader-compile or validation error. */
  async checkErrors(): Promise<void> {
    const checks = this.compileChecks;
    this.compileChecks = [];
    // A compile error is more useful than the "invalid pipeline" validation error it causes: report it first.
    const errors = (await Promise.all(checks)).filter((x): x is Error => x !== null);
    const first = errors.find((x) => x instanceof ShaderCompileError) ?? errors[0];
    if (first) throw first;
  }

  /** How startProfile times dispatches here: on the device, or by replaying each one in its own submit. */
  get profileMode(): 'timestamps' | 'replay' {
    return this.device.features.has('timestamp-query') ? 'timestamps' : 'replay';
  }

  /**
   * Start timing every dispatch (the first `capacity` ≤ 2048). With 'timestamp-query' (lavapipe has it) on the
   * device: each dispatch gets its own timestamped compute pass, which costs a little. Without it (Dawn's GL ES
   * backend): dispatches run as usual and are recorded; stopProfile replays each alone in its own submit and times
   * it on the CPU (median of 3, wall time of submit to completion, so each includes one submit's overhead).
   */
  startProfile(capacity = 2048): void {
    // A query set holds at most 4096 queries (two per timed dispatch).
    if (!(capacity >= 1 && capacity <= 2048)) throw new Error(`profile capacity ${capacity}: 1 … 2048 dispatches`);
    if (this.profiling || this.replaying) throw new Error('a profile is already running');
    this.flush();
    if (this.profileMode === 'replay') {
      this.replaying = { entries: [], capacity };
      return;
    }
    this.profiling = {
      querySet: this.device.createQuerySet({ type: 'timestamp', count: 2 * capacity, label: 'profile' }),
      labels: [],
      capacity,
    };
  }

  /** Stop profiling: the device time of every timed dispatch since startProfile, in order, in nanoseconds. */
  async stopProfile(): Promise<{ shader: string; ns: number }[]> {
    if (this.replaying) return this.stopReplayProfile();
    const p = this.profiling;
    if (!p) throw new Error('no profile is running (call startProfile first)');
    this.profiling = null;
    const n = p.labels.length;
    if (n === 0) {
      p.querySet.destroy();
      return [];
    }
    const size = 2 * n * 8;
    const resolved = this.device.createBuffer({ size, usage: BUFFER_USAGE.QUERY_RESOLVE | BUFFER_USAGE.COPY_SRC });
    const staging = this.device.createBuffer({ size, usage: BUFFER_USAGE.MAP_READ | BUFFER_USAGE.COPY_DST });
    const enc = this.ensureEncoderOutsidePass();
    enc.resolveQuerySet(p.querySet, 0, 2 * n, resolved, 0);
    enc.copyBufferToBuffer(resolved, 0, staging, 0, size);
    this.flush();
    try {
      await staging.mapAsync(MAP_MODE_READ);
      const t = new BigUint64Array(staging.getMappedRange().slice(0));
      staging.unmap();
      return p.labels.map((shader, k) => ({ shader, ns: Number(t[2 * k + 1]! - t[2 * k]!) }));
    } finally {
      [resolved, staging].forEach((b) => b.destroy());
      p.querySet.destroy();
    }
  }

  /** Replay every recorded dispatch alone (its uniforms written back into its ring slot first), timed on the CPU. */
  private async stopReplayProfile(): Promise<{ shader: string; ns: number }[]> {
    const r = this.replaying!;
    this.replaying = null;
    await this.sync();
    const out: { shader: string; ns: number }[] = [];
    for (const e of r.entries) {
      const ns: number[] = [];
      for (let rep = 0; rep < 3; rep++) {
        if (e.params) this.device.queue.writeBuffer(this.uniformRing, e.offset, e.params);
        const enc = this.device.createCommandEncoder({ label: 'profile-replay' });
        const pass = enc.beginComputePass();
        pass.setPipeline(e.pipeline);
        pass.setBindGroup(0, e.group);
        pass.dispatchWorkgroups(...e.grid);
        pass.end();
        const t0 = performance.now();
        this.device.queue.submit([enc.finish()]);
        await this.device.queue.onSubmittedWorkDone();
        ns.push((performance.now() - t0) * 1e6);
      }
      out.push({ shader: e.shader, ns: median(ns) });
    }
    this.lastPipeline = null;
    await this.checkErrors();
    return out;
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
    this.ensureEncoderOutsidePass().copyBufferToBuffer(t.buffer, 0, staging, 0, bytes);
    this.flush();
    this.stats.readbacks++;
    try {
      try {
        await staging.mapAsync(MAP_MODE_READ);
      } catch (e) {
        await this.checkLost();
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
    if (this.encoder) {
      try {
        this.pass?.end();
        this.encoder.finish();
      } catch {
        /* discarded */
      }
    }
    this.encoder = null;
    this.pass = null;
    for (const t of [...this.liveTensors]) t.dispose();
    this.pool.afterSubmit();
    this.pool.destroyAll();
    this.uniformRing.destroy();
    this.bindGroups.clear();
    this.dummy.destroy();
    this.programs.clear();
    if (this.ownsDevice) {
      this.device.destroy();
      // Dawn's Node binding still runs callbacks after destroy() (device.lost resolves, pending maps settle) through
      // its instance: releasing the GPU root at once let the instance be collected first, and the next callback then
      // crashed in InstanceBase::ProcessEvents (SIGSEGV/SIGABRT at exit, seen under CPU load). Release it a second
      // after the loss is delivered; the timer does not keep the process alive.
      const root = this.gpuRoot;
      void this.device.lost?.then(() => {
        const t = setTimeout(() => releaseGpuRoot(root), 1000);
        (t as { unref?: () => void }).unref?.();
      });
    }
  }
}

function collectTensors(v: unknown, out: Set<GpuTensor>): void {
  if (v instanceof GpuTensor) out.add(v);
  else if (Array.isArray(v)) for (const x of v) collectTensors(x, out);
  else if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
    for (const x of Object.values(v)) collectTensors(x, out);
}
