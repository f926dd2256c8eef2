// One conformance check for every fused kernel (src/ops/fused-kernel.ts): the same inputs through the GPU launcher
// and through the Float64 reference, for a number of steps (in-place kernels are stateful), then every output
// compared elementwise at the kernel's documented tolerance. Skipped without an adapter (an error under CI=true).
import { describe, it, expect } from 'vitest';
import type { Engine } from '../../src/gpu/engine.ts';
import type { GpuTensor } from '../../src/gpu/tensor.ts';
import type { FusedKernel } from '../../src/ops/fused-kernel.ts';
import { refArray, type RefArray } from '../../src/reference/kernels.ts';
import { expectClose } from './tolerance.ts';
import { testEngine } from './gpu.ts';

export interface ConformanceCase<A> {
  label: string;
  /** Inputs in the kernel's order; undefined for an optional input left out. */
  inputs: ({ data: ArrayLike<number>; shape: number[] } | undefined)[];
  /** Attributes of step s (0-based). */
  attrs: (step: number) => A;
  /** Steps to run (default 1); `feed(s)` replaces some inputs' values before step s (e.g. a new gradient). */
  steps?: number;
  feed?: (step: number) => Record<number, ArrayLike<number>>;
}

const engine = await testEngine();

const describeTolerance = (t: FusedKernel<unknown>['tolerance']) =>
  'identicalFraction' in t
    ? `≥ ${t.identicalFraction * 100} % identical draws`
    : `|gpu − f64| ≤ ${t.atol} + ${t.rtol}·|f64|`;

export function describeKernel<A>(kernel: FusedKernel<A>, cases: ConformanceCase<A>[]): void {
  describe.skipIf(!engine)(`fused kernel '${kernel.name}': GPU launcher vs Float64 reference`, () => {
    for (const c of cases)
      it(`${c.label} (${describeTolerance(kernel.tolerance)})`, async () => {
        const e = engine as Engine;
        const gpuIn: (GpuTensor | undefined)[] = c.inputs.map((x) => (x ? e.upload(x.data, x.shape) : undefined));
        const refIn: (RefArray | undefined)[] = c.inputs.map((x) => (x ? refArray(x.data, x.shape) : undefined));
        let gpuOut: GpuTensor[] = [],
          refOut: RefArray[] = [];
        for (let s = 0; s < (c.steps ?? 1); s++) {
          for (const [i, values] of Object.entries(c.feed?.(s) ?? {})) {
            const k = Number(i);
            gpuIn[k]?.dispose();
            gpuIn[k] = e.upload(values, c.inputs[k]!.shape);
            refIn[k] = refArray(values, c.inputs[k]!.shape);
          }
          gpuOut = kernel.gpu(e, gpuIn, c.attrs(s));
          refOut = kernel.reference(refIn, c.attrs(s));
        }
        const tol = kernel.tolerance;
        for (let o = 0; o < kernel.outputs.length; o++) {
          const got = await e.read(gpuOut[o]!),
            want = refOut[o]!.data,
            what = `${kernel.name} ${kernel.outputs[o]}`;
          if ('identicalFraction' in tol) {
            expect(got.length, what).toBe(want.length);
            let same = 0;
            for (let i = 0; i < got.length; i++) if (got[i] === want[i]) same++;
            expect(same / got.length, what).toBeGreaterThanOrEqual(tol.identicalFraction);
          } else expectClose(got, want, tol, what);
        }
        for (const t of new Set([...gpuIn, ...gpuOut])) t?.dispose();
      });
  });
}
