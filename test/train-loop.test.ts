// The shared training loop on the Float64 backend with a step whose loss is known (loss of step i = i + 1).
import { describe, it, expect } from 'vitest';
import { CpuBackend } from '../src/ops/cpu-backend.ts';
import { trainLoop, type TrainProgress } from '../src/nn/train-loop.ts';

const B = new CpuBackend();
async function run(o: Omit<Parameters<typeof trainLoop>[1], 'step'>) {
  const losses: [number, number][] = [],
    after: number[] = [],
    progress: TrainProgress[] = [],
    stepsRun: number[] = [];
  await trainLoop(B, {
    ...o,
    step: (i) => {
      stepsRun.push(i);
      return B.full([1], i + 1);
    },
    onLoss: (s, l) => losses.push([s, l]),
    onProgress: (p) => progress.push(p),
    afterStep: (s) => void after.push(s),
  });
  return { losses, after, progress, stepsRun };
}

describe('trainLoop', () => {
  it('interval-mean: the mean loss of every interval and of the remainder, numbered by steps done', async () => {
    const r = await run({ steps: 10, readback: { mode: 'interval-mean', every: 4 } });
    expect(r.losses).toEqual([
      [4, 2.5],
      [8, 6.5],
      [10, 9.5],
    ]);
    expect(r.after).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(r.progress.map((p) => [p.step, p.steps])).toEqual([
      [4, 10],
      [8, 10],
      [10, 10],
    ]);
    expect(r.progress.at(-1)!.etaS).toBe(0);
  });
  it('interval-mean: a step that adds its loss into the running total in place reports the same means', async () => {
    const losses: [number, number][] = [];
    let added = 0;
    await trainLoop(B, {
      steps: 10,
      readback: { mode: 'interval-mean', every: 4 },
      step: (i, into) => {
        if (!into) throw new Error('no running total offered');
        added++;
        return B.reduce('sum', B.full([2], (i + 1) / 2), 0, true, 1, into);
      },
      onLoss: (s, l) => losses.push([s, l]),
    });
    expect(added).toBe(10);
    expect(losses).toEqual((await run({ steps: 10, readback: { mode: 'interval-mean', every: 4 } })).losses);
  });
  it('resumes from a step and stops before another, as a resumed or interrupted fit', async () => {
    const r = await run({ steps: 10, from: 3, until: 7, readback: { mode: 'interval-mean', every: 2 } });
    expect(r.stepsRun).toEqual([3, 4, 5, 6]);
    // Intervals end on the absolute grid (steps done 2, 4, 6, …), as in an uninterrupted run: resumed at 3, the first
    // interval is the partial one ending at 4, and the stop at 7 closes a remainder.
    expect(r.losses).toEqual([
      [4, 4],
      [6, 5.5],
      [7, 7],
    ]);
  });
  it('point readback, immediate or deferred to the end, gives the chosen steps’ own losses', async () => {
    const at = (i: number) => i % 3 === 0 || i === 7;
    const now = await run({ steps: 8, readback: { mode: 'point', at } });
    const later = await run({ steps: 8, readback: { mode: 'point', at, deferred: true } });
    const want = [
      [1, 1],
      [4, 4],
      [7, 7],
      [8, 8],
    ];
    expect(now.losses).toEqual(want);
    expect(later.losses).toEqual(want);
    expect(now.progress).toHaveLength(4);
    expect(later.progress).toHaveLength(0); // deferred losses arrive after training, with no progress report
  });
});
