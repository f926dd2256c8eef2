// The extension point for fused and domain kernels. A fused kernel is one definition under one name, living beside
// the model that owns it (lcd/kernels, nn/kernels, measurement/kernels, metrics/kernels, clipr/kernels):
//   name       = its WGSL file shaders/<name>.wgsl (a BuiltinShaderName, so a typo fails to compile)
//   gpu        = the launcher (records its dispatches on the engine)
//   reference  = the Float64 definition the GPU is tested against (test/kernels/<name>.test.ts, through the shared
//                conformance helper, at `tolerance`)
//   vjp        = unused: a differentiable fused op is two kernels put on the tape by its owner (measurement/likelihood.ts
//                zipRates: zip_rates forward, zip_rates_vjp backward, through Tape.recordMulti)
// Inputs and outputs are positional (named in `inputs`/`outputs`); an in-place kernel returns what it updated.
// Backend.fused(kernel, inputs, attrs) runs the GPU launcher on WebGPU and the reference on the f64 backend.
import type { Engine } from '../gpu/engine.ts';
import type { GpuTensor } from '../gpu/tensor.ts';
import type { BuiltinShaderName } from '../gpu/shaders.ts';
import type { RefArray } from '../reference/kernels.ts';

export interface FusedKernel<A> {
  readonly name: BuiltinShaderName;
  /** Input and output names in order (an optional input may be passed as undefined). */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** What it computes, in one line (the maths is in the WGSL header). */
  readonly summary: string;
  /** Largest f32-vs-f64 deviation allowed elementwise, |gpu − ref| ≤ atol + rtol·|ref|; for a sampler of discrete
   *  values, the fraction of draws that must be identical (f32 rounding may flip one at a CDF boundary). */
  readonly tolerance: { atol: number; rtol: number } | { identicalFraction: number };
  gpu(e: Engine, inputs: readonly (GpuTensor | undefined)[], attrs: A): GpuTensor[];
  reference(inputs: readonly (RefArray | undefined)[], attrs: A): RefArray[];
  /** Cotangents of the inputs from those of the outputs, on the same backend (absent: not differentiable). */
  vjp?: never;
}

/** A required input, or a clear error naming the kernel and the input. */
export function input<T>(k: { name: string; inputs: readonly string[] }, xs: readonly (T | undefined)[], i: number): T {
  const x = xs[i];
  if (x === undefined) throw new Error(`kernel '${k.name}': input ${i} (${k.inputs[i]}) is missing`);
  return x;
}
