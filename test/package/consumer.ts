// A TypeScript consumer with NodeNext resolution: it must type-check against the package's declarations alone.
import {
  Engine,
  matmul,
  LCD,
  WebGPUBackend,
  memoryStore,
  readH5ad,
  folderStore,
  type FileStore,
  type LcdHyperparameters,
  type Screen,
} from 'lcd-webgpu';

export async function train(screen: Screen, hp: Partial<LcdHyperparameters>, dir: string): Promise<Float32Array> {
  const engine: Engine = await Engine.create();
  const product = matmul(
    engine,
    engine.upload(new Float32Array(6), [2, 3]),
    engine.upload(new Float32Array(12), [3, 4]),
  );
  const values: Float32Array = await engine.read(product);
  const lcd = await new LCD(hp).fit(screen, { backend: new WebGPUBackend(engine), checkpoint: folderStore(dir) });
  const store: FileStore = memoryStore();
  await lcd.save(store);
  const ad = await readH5ad('data.h5ad');
  return values.length > 0 ? lcd.sample([ad.varNames[0]!], 10) : new Float32Array();
}
