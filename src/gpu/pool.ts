// Size-bucketed GPU buffer pool.
//
// Buckets are powers of two from 256 B (a request is rounded up, so at most 2× slack) with a cap per bucket
// and a cap on the pooled bytes; buffers over the caps are destroyed instead of pooled. Releases made while a
// command encoder that may reference the buffer is still open are parked in `pending` and only become
// reusable for uploads after that encoder is submitted: WebGPU executes queue.writeBuffer at call time, so
// reusing such a buffer for a fresh upload would overwrite data the recorded-but-unsubmitted commands still read.
// A kernel's output may take a parked buffer at once: the commands of one encoder run in the order they were
// recorded, so the new writer runs after every recorded reader of the old contents. Without that, a submit of
// many small steps (the engine submits every 256 dispatches) needed a fresh buffer for every temporary of every
// step in it, more than the caps keep, so buffers were created and destroyed all along a training loop (about ten
// per DSM step, each destroy also emptying the bind-group cache) and the working set was many times the step's.

export interface PoolStats {
  live: number;
  liveBytes: number;
  pooled: number;
  pooledBytes: number;
  pending: number;
  created: number;
}

import { BUFFER_USAGE } from './flags.ts';

const USAGE = BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_SRC | BUFFER_USAGE.COPY_DST;

export function bucketSize(bytes: number): number {
  let s = 256;
  while (s < bytes) s *= 2;
  return s;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  /** Released while an encoder is open, by bucket size: reusable for outputs now, for uploads after the submit. */
  private pending = new Map<number, GPUBuffer[]>();
  /** While held (hold … unhold): released buffers, kept alive and out of reuse. */
  private held: GPUBuffer[] | null = null;
  private pooledBytes = 0;
  private live = new Set<GPUBuffer>();
  private created = 0;

  constructor(
    private device: GPUDevice,
    readonly maxPerBucket = 64,
    readonly maxPooledBytes = 512 * 2 ** 20,
    /** Called whenever a buffer is destroyed (caches keyed by buffer identity must drop it). */
    private onDestroy: () => void = () => {},
  ) {}

  /** A buffer of at least `bytes`. `forUpload`: its contents will be written by queue.writeBuffer before the open
   *  encoder is submitted, so a buffer that encoder may still read is not eligible (see header). */
  acquire(bytes: number, label = 'tensor', forUpload = false): GPUBuffer {
    const size = bucketSize(Math.max(4, bytes));
    // the open encoder's releases first (outputs only), then the free lists, then a new buffer
    let buf = forUpload ? undefined : this.pending.get(size)?.pop();
    if (!buf) {
      buf = this.free.get(size)?.pop();
      if (buf) this.pooledBytes -= size;
      else {
        buf = this.device.createBuffer({ size, usage: USAGE, label });
        this.created++;
      }
    }
    this.live.add(buf);
    return buf;
  }

  /** Give a buffer back; it becomes reusable after the next submit (see header). */
  release(buf: GPUBuffer): void {
    if (!this.live.delete(buf)) return;
    if (this.held) this.held.push(buf);
    else this.park(buf);
  }

  private park(buf: GPUBuffer): void {
    const list = this.pending.get(buf.size);
    if (list) list.push(buf);
    else this.pending.set(buf.size, [buf]);
  }

  /** Keep every buffer released from now on alive and out of reuse until unhold(): a profile's replay runs the
   *  recorded dispatches again later on their own buffers, which must neither be destroyed (over the caps) nor
   *  handed to a new tensor that the replay would then overwrite. */
  hold(): void {
    this.held ??= [];
  }

  /** End hold(): the buffers it kept become reusable after the next submit, as any release. */
  unhold(): void {
    for (const buf of this.held ?? []) this.park(buf);
    this.held = null;
  }

  /** Called by the engine right after queue.submit: pending buffers become reusable. */
  afterSubmit(): void {
    for (const buf of [...this.pending.values()].flat()) {
      const list = this.free.get(buf.size) ?? [];
      if (list.length < this.maxPerBucket && this.pooledBytes + buf.size <= this.maxPooledBytes) {
        list.push(buf);
        this.free.set(buf.size, list);
        this.pooledBytes += buf.size;
      } else {
        buf.destroy();
        this.onDestroy();
      }
    }
    this.pending.clear();
  }

  /** Destroy every pooled (free) buffer. */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.onDestroy();
    this.free.clear();
    this.pooledBytes = 0;
  }

  stats(): PoolStats {
    let pooled = 0,
      pending = this.held?.length ?? 0;
    for (const l of this.free.values()) pooled += l.length;
    for (const l of this.pending.values()) pending += l.length;
    let liveBytes = 0;
    for (const b of this.live) liveBytes += b.size;
    return {
      live: this.live.size,
      liveBytes,
      pooled,
      pooledBytes: this.pooledBytes,
      pending,
      created: this.created,
    };
  }

  destroyAll(): void {
    this.trim();
    for (const list of this.pending.values()) for (const b of list) b.destroy();
    for (const b of this.held ?? []) b.destroy();
    for (const b of this.live) b.destroy();
    this.pending.clear();
    this.held = null;
    this.live.clear();
  }
}
