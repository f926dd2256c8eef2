// Recording and submission: every dispatch of a step goes into one command encoder and one compute pass, submitted
// at flush (or every `maxDispatchesPerSubmit` dispatches, so the GPU starts on a long step while the host still
// encodes it). Params of every dispatch in the open step go into one uniform ring (256-byte slots) uploaded with a
// single writeBuffer at submit; bind groups are cached by (program, buffer identities, slot), which takes most of the
// per-dispatch encoding cost away. The encoder's validation scope is popped at submit into the pending errors.
import { LimitError } from './errors.ts';
import { packParamsInto } from './reflect.ts';
import { BUFFER_USAGE } from './flags.ts';
import { MAX_WG_PER_DIM } from './grid.ts';
import { GpuTensor } from './tensor.ts';
import type { BufferPool } from './pool.ts';
import type { PendingErrors } from './pending-errors.ts';
import type { Program } from './programs.ts';
import type { Profiler } from './profiler.ts';

export type Binding = GpuTensor | GPUBuffer;

export interface DispatchStats {
  dispatches: number;
  submits: number;
  readbacks: number;
}

export const UNIFORM_SLOT = 256; // minUniformBufferOffsetAlignment upper bound guaranteed by the spec
const UNIFORM_SLOTS = 4096; // dispatches per submit before the ring forces a flush

export class Recorder {
  readonly uniformRing: GPUBuffer;
  private uniformHost: ArrayBuffer;
  private uniformView: DataView;
  private uniformUsed = 0;
  /** Bind groups by program, then by (buffer identities and ranges, uniform slot); bindGroupCount counts them all. */
  private bindGroups = new Map<Program, Map<string, GPUBindGroup>>();
  private bindGroupCount = 0;
  private bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  /** The pipeline the open pass last set (null: set it again). */
  lastPipeline: GPUComputePipeline | null = null;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private dummy: GPUBuffer;
  /** Bound where a writable binding is absent: a buffer may not be bound read-only and writable in one dispatch. */
  private dummyWritable: GPUBuffer;
  private dispatchesInEncoder = 0;
  maxDispatchesPerSubmit = 256;
  readonly stats: DispatchStats = { dispatches: 0, submits: 0, readbacks: 0 };
  /** Dispatches so far by shader name (what a step is made of: the profile benchmark reads it). */
  readonly dispatchesByShader = new Map<string, number>();
  profiler: Profiler | null = null;

  constructor(
    private readonly device: GPUDevice,
    private readonly pool: BufferPool,
    private readonly errors: PendingErrors,
    private readonly alive: () => boolean,
  ) {
    this.uniformHost = new ArrayBuffer(UNIFORM_SLOT * UNIFORM_SLOTS);
    this.uniformView = new DataView(this.uniformHost);
    this.uniformRing = device.createBuffer({
      size: this.uniformHost.byteLength,
      usage: BUFFER_USAGE.UNIFORM | BUFFER_USAGE.COPY_DST,
      label: 'params-ring',
    });
    this.dummy = device.createBuffer({ size: 16, usage: BUFFER_USAGE.STORAGE, label: 'dummy-binding' });
    this.dummyWritable = device.createBuffer({ size: 16, usage: BUFFER_USAGE.STORAGE, label: 'dummy-writable' });
  }

  /** Forget cached bind groups (the pool calls it when it frees buffers they reference). */
  clearBindGroups(): void {
    this.bindGroups.clear();
    this.bindGroupCount = 0;
  }

  private bufferId(b: GPUBuffer): number {
    let id = this.bufferIds.get(b);
    if (id === undefined) {
      id = this.nextBufferId++;
      this.bufferIds.set(b, id);
    }
    return id;
  }

  private ensurePass(): GPUComputePassEncoder {
    if (!this.alive()) throw new Error('engine was destroyed');
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

  /** The open encoder with no pass open (copies, query resolves, timed passes). */
  encoderOutsidePass(): GPUCommandEncoder {
    this.ensurePass();
    this.pass!.end();
    this.pass = null;
    return this.encoder!;
  }

  /** Record one dispatch of `prog` (see Engine.dispatch). */
  dispatch(
    shader: string,
    prog: Program,
    bindings: (Binding | null)[],
    params: Record<string, number> | null,
    grid: [number, number?, number?],
  ): void {
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
    // The bound buffers and the bind-group key (program, buffer identities and ranges, uniform slot) in one pass:
    // this runs for every dispatch, and on a software adapter a small dispatch's host time is mostly this.
    const buffers: GPUBuffer[] = new Array(bindings.length);
    let ranges: ({ offset: number; size: number } | null)[] | null = null;
    let ids = '';
    for (let i = 0; i < bindings.length; i++) {
      const b = bindings[i];
      const buffer =
        b === null || b === undefined
          ? prog.reflection.bindings[i] === 'storage'
            ? this.dummyWritable
            : this.dummy
          : b instanceof GpuTensor
            ? b.buffer
            : b;
      buffers[i] = buffer;
      ids += (i ? ',' : '') + this.bufferId(buffer);
      // A slice of a packed buffer binds its own range; every other tensor binds its whole (pooled) buffer.
      if (b instanceof GpuTensor && b.slice) {
        const r = { offset: b.byteOffset, size: Math.max(4, b.size * 4) };
        (ranges ??= new Array(bindings.length).fill(null))[i] = r;
        ids += `@${r.offset}+${r.size}`;
      }
    }
    let offset = 0;
    let packedParams: ArrayBuffer | null = null;
    if (hasParams) {
      if (!params) throw new Error(`shader '${shader}' needs params`);
      if (this.uniformUsed + UNIFORM_SLOT > this.uniformHost.byteLength) this.flush();
      offset = this.uniformUsed;
      packParamsInto(this.uniformView, offset, prog.reflection.params, params, shader);
      // a replay writes back the slot's bytes as this dispatch left them
      if (this.profiler?.replaying) packedParams = this.uniformHost.slice(offset, offset + UNIFORM_SLOT);
      this.uniformUsed += UNIFORM_SLOT;
    }
    // The uniform slot is part of the key: a training loop repeats the same dispatch sequence over the same
    // pooled buffers every step, so the keys recur. (Dynamic offsets would make the slot irrelevant, but they
    // measured ~2× slower per dispatch on lavapipe.) Groups are kept per program, so the key is short.
    const key = ids + '|' + offset;
    let groups = this.bindGroups.get(prog);
    if (!groups) this.bindGroups.set(prog, (groups = new Map()));
    let group = groups.get(key);
    if (!group) {
      const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({
        binding,
        resource: ranges?.[binding] ? { buffer, ...ranges[binding] } : { buffer },
      }));
      if (hasParams)
        entries.push({ binding: buffers.length, resource: { buffer: this.uniformRing, offset, size: UNIFORM_SLOT } });
      group = this.device.createBindGroup({ layout: prog.layout, entries });
      if (++this.bindGroupCount > 8192) {
        this.bindGroups.clear();
        this.bindGroupCount = 1;
        this.bindGroups.set(prog, (groups = new Map()));
      }
      groups.set(key, group);
    }
    const timedPass = this.profiler?.timedPass(shader);
    const pass = timedPass ?? this.ensurePass();
    if (timedPass) this.lastPipeline = null;
    if (this.lastPipeline !== prog.pipeline) {
      pass.setPipeline(prog.pipeline);
      this.lastPipeline = prog.pipeline;
    }
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y, z);
    this.profiler?.recorded({ shader, pipeline: prog.pipeline, group, grid: [x, y, z], offset, params: packedParams });
    if (timedPass) {
      pass.end();
      this.lastPipeline = null;
    }
    this.stats.dispatches++;
    this.dispatchesByShader.set(shader, (this.dispatchesByShader.get(shader) ?? 0) + 1);
    if (this.maxDispatchesPerSubmit > 0 && ++this.dispatchesInEncoder >= this.maxDispatchesPerSubmit) this.flush();
  }

  copy(src: GpuTensor, dst: GpuTensor): void {
    this.encoderOutsidePass().copyBufferToBuffer(src.buffer, src.byteOffset, dst.buffer, dst.byteOffset, src.size * 4);
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
    this.errors.watch(this.device.popErrorScope(), (m) => `WebGPU validation error: ${m}`);
    this.stats.submits++;
    this.pool.afterSubmit();
  }

  /** Drop what is recorded and unsubmitted, and free the ring and the dummy binding (the engine's destroy). */
  destroy(): void {
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
    this.uniformRing.destroy();
    this.bindGroups.clear();
    this.dummy.destroy();
    this.dummyWritable.destroy();
  }
}
