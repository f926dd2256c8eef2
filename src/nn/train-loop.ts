// The one training loop of every model trained here (LCD's DSM, the count prior, PEPER): each step records its
// batch, tape, backward and optimiser update inside a scope (temporaries freed), then the step is submitted; the
// loop decides when the loss is read back (each readback stalls the queue, so rarely), reports progress with an ETA,
// and hands the step number to a checkpoint hook. The models keep only what differs: their step.
import { etaSeconds } from '../core/format.ts';
import type { Backend, TensorLike } from '../ops/backend.ts';

export interface TrainProgress {
  step: number;
  steps: number;
  loss: number;
  elapsedS: number;
  etaS: number;
}

/** When and how the loss is read back. */
export type LossReadback =
  /** The mean loss over each interval of `every` steps (and over the remainder at the end): one readback each. */
  | { mode: 'interval-mean'; every: number }
  /** The loss of the single steps where `at(i)` holds (i counts from 0); `deferred` reads them after training. */
  | { mode: 'point'; at: (i: number) => boolean; deferred?: boolean };

export interface TrainLoopOptions<T extends TensorLike> {
  /** Steps of the whole schedule (the progress denominator). */
  steps: number;
  /** First step index to run (a resumed fit starts past 0). */
  from?: number;
  /** Stop before this step index (default `steps`). */
  until?: number;
  /** Record step i and return its scalar loss tensor [1]; called inside a scope. In 'interval-mean' mode a step may
   *  add its loss to `lossInto` (the interval's running total) in place and return it (no add pass). */
  step: (i: number, lossInto?: T) => T;
  readback: LossReadback;
  /** A read loss, with the number of steps done when it was read (i + 1). */
  onLoss?: (stepsDone: number, loss: number) => void;
  onProgress?: (p: TrainProgress) => void;
  /** After step i is submitted, with i + 1 (checkpoints go here). */
  afterStep?: (stepsDone: number) => void | Promise<void>;
  /** Checked before each step: once aborted the loop returns after the step in flight (the caller checkpoints). */
  signal?: AbortSignal;
}

export async function trainLoop<T extends TensorLike>(B: Backend<T>, o: TrainLoopOptions<T>): Promise<void> {
  const from = o.from ?? 0,
    until = Math.min(o.steps, o.until ?? o.steps),
    t0 = performance.now();
  const report = (stepsDone: number, loss: number) => {
    o.onLoss?.(stepsDone, loss);
    const elapsedS = (performance.now() - t0) / 1e3;
    const etaS = etaSeconds(elapsedS, stepsDone - from, o.steps - from);
    o.onProgress?.({ step: stepsDone, steps: o.steps, loss, elapsedS, etaS });
  };
  const rb = o.readback;
  if (rb.mode === 'interval-mean') {
    let acc = B.full([1], 0),
      n = 0;
    for (let i = from; i < until && !o.signal?.aborted; i++) {
      const next = B.scope(() => {
        const loss = o.step(i, acc);
        return loss === acc ? acc : B.binary('add', acc, loss);
      });
      if (next !== acc) {
        B.dispose(acc);
        acc = next;
      }
      n++;
      B.flush();
      // Interval ends are absolute step counts, so a resumed run reports on the same grid as an uninterrupted one.
      if ((i + 1) % rb.every === 0 || i + 1 === until) {
        const loss = (await B.toArray(acc))[0]! / n;
        B.dispose(acc);
        acc = B.full([1], 0);
        n = 0;
        report(i + 1, loss);
      }
      await o.afterStep?.(i + 1);
    }
    B.dispose(acc);
    return;
  }
  const deferred: [number, T][] = [];
  for (let i = from; i < until && !o.signal?.aborted; i++) {
    const kept = B.scope(() => {
      const loss = o.step(i);
      return rb.at(i) ? loss : null; // returned, so it outlives the scope
    });
    B.flush();
    if (kept) {
      if (rb.deferred) deferred.push([i + 1, kept]);
      else {
        const loss = (await B.toArray(kept))[0]!;
        B.dispose(kept);
        report(i + 1, loss);
      }
    }
    await o.afterStep?.(i + 1);
  }
  for (const [stepsDone, t] of deferred) {
    o.onLoss?.(stepsDone, (await B.toArray(t))[0]!);
    B.dispose(t);
  }
}
