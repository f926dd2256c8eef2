// Per-dispatch GPU timing (engine.startProfile / stopProfile). With 'timestamp-query' on the device (lavapipe has
// it) each dispatch gets its own timestamped compute pass, which costs a little. Without it (Dawn's GL ES backend)
// dispatches run as usual and are recorded; stop replays each alone in its own submit and times it on the CPU
// (median of 3, wall time of submit to completion, so each includes one submit's overhead).
import { BUFFER_USAGE, MAP_MODE_READ } from './flags.ts';
import { median } from '../data/normalize.ts';
import type { Recorder } from './recorder.ts';
import type { BufferPool } from './pool.ts';

interface Recorded {
  shader: string;
  pipeline: GPUComputePipeline;
  group: GPUBindGroup;
  grid: [number, number, number];
  offset: number;
  params: ArrayBuffer | null;
}

export type ProfileEntry = { shader: string; ns: number };

export class Profiler {
  private timestamps: { querySet: GPUQuerySet; labels: string[]; capacity: number } | null = null;
  private replay: { entries: Recorded[]; capacity: number } | null = null;

  constructor(
    private readonly device: GPUDevice,
    private readonly recorder: Recorder,
    private readonly pool: BufferPool,
    private readonly sync: () => Promise<void>,
    private readonly checkErrors: () => Promise<void>,
  ) {}

  get mode(): 'timestamps' | 'replay' {
    return this.device.features.has('timestamp-query') ? 'timestamps' : 'replay';
  }

  start(capacity: number): void {
    // A query set holds at most 4096 queries (two per timed dispatch).
    if (!(capacity >= 1 && capacity <= 2048)) throw new Error(`profile capacity ${capacity}: 1 … 2048 dispatches`);
    if (this.timestamps || this.replay) throw new Error('a profile is already running');
    this.recorder.flush();
    if (this.mode === 'replay') {
      this.replay = { entries: [], capacity };
      this.pool.hold(); // the replay reruns dispatches on buffers released meanwhile
      return;
    }
    this.timestamps = {
      querySet: this.device.createQuerySet({ type: 'timestamp', count: 2 * capacity, label: 'profile' }),
      labels: [],
      capacity,
    };
  }

  /** The timestamped pass a dispatch of `shader` runs in while timing, or undefined (the recorder's own pass). */
  timedPass(shader: string): GPUComputePassEncoder | undefined {
    const t = this.timestamps;
    if (!t || t.labels.length >= t.capacity) return undefined;
    const k = t.labels.length;
    t.labels.push(shader);
    return this.recorder.encoderOutsidePass().beginComputePass({
      label: shader,
      timestampWrites: { querySet: t.querySet, beginningOfPassWriteIndex: 2 * k, endOfPassWriteIndex: 2 * k + 1 },
    });
  }

  /** Whether the next dispatch is kept for a replay (which needs its packed params). */
  get replaying(): boolean {
    const r = this.replay;
    return r !== null && r.entries.length < r.capacity;
  }

  /** A dispatch as recorded, kept for the replay. */
  recorded(e: Recorded): void {
    if (this.replaying) this.replay!.entries.push(e);
  }

  async stop(): Promise<ProfileEntry[]> {
    if (this.replay) return this.stopReplay();
    const p = this.timestamps;
    if (!p) throw new Error('no profile is running (call startProfile first)');
    this.timestamps = null;
    const n = p.labels.length;
    if (n === 0) {
      p.querySet.destroy();
      return [];
    }
    const size = 2 * n * 8;
    const resolved = this.device.createBuffer({ size, usage: BUFFER_USAGE.QUERY_RESOLVE | BUFFER_USAGE.COPY_SRC });
    const staging = this.device.createBuffer({ size, usage: BUFFER_USAGE.MAP_READ | BUFFER_USAGE.COPY_DST });
    const enc = this.recorder.encoderOutsidePass();
    enc.resolveQuerySet(p.querySet, 0, 2 * n, resolved, 0);
    enc.copyBufferToBuffer(resolved, 0, staging, 0, size);
    this.recorder.flush();
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
  private async stopReplay(): Promise<ProfileEntry[]> {
    const r = this.replay!;
    this.replay = null;
    try {
      return await this.replayEntries(r.entries);
    } finally {
      this.pool.unhold();
    }
  }

  private async replayEntries(entries: Recorded[]): Promise<ProfileEntry[]> {
    await this.sync();
    const out: ProfileEntry[] = [];
    for (const e of entries) {
      const ns: number[] = [];
      for (let rep = 0; rep < 3; rep++) {
        if (e.params) this.device.queue.writeBuffer(this.recorder.uniformRing, e.offset, e.params);
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
    this.recorder.lastPipeline = null;
    await this.checkErrors();
    return out;
  }
}
