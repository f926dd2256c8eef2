// A browser project's TypeScript (lib ES2022 + DOM, WebGPU types, no Node types): the browser entry's declarations
// must type-check there too, GpuTensor's Symbol.dispose included.
import { Engine, GpuTensor, matmul } from 'lcd-webgpu/browser';

export async function product(): Promise<Float32Array> {
  const engine: Engine = await Engine.create();
  const a: GpuTensor = engine.upload(new Float32Array(6), [2, 3]);
  const c = matmul(engine, a, engine.upload(new Float32Array(12), [3, 4]));
  a[Symbol.dispose]();
  return engine.read(c);
}
