// A page's entry: a bundler resolves 'lcd-webgpu' to the browser entry, which must bundle with no Node built-in.
import { Engine, LCD, WebGPUBackend, readH5adBytes, encodeH5ad, memoryStore } from 'lcd-webgpu';

export async function run(file) {
  const engine = await Engine.create();
  const ad = await readH5adBytes(new Uint8Array(await file.arrayBuffer()), { name: file.name });
  return { engine, ad, LCD, WebGPUBackend, encodeH5ad, store: memoryStore() };
}
