// A consumer of the installed package in plain Node (no TypeScript loader): the Node entry registers Dawn, runs a
// matmul against a host-side product, fits a tiny LCD for a few steps and samples it, saves and reloads the model
// through an in-memory store, and round-trips an h5ad through bytes. Prints one JSON line for the test to check.
import { Engine, matmul, WebGPUBackend, LCD, linearScreen, memoryStore, encodeH5ad, readH5adBytes } from 'lcd-webgpu';

const engine = await Engine.create();
const [M, K, N] = [17, 9, 13];
const a = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i));
const b = Float32Array.from({ length: K * N }, (_, i) => Math.cos(i));
const c = await engine.read(matmul(engine, engine.upload(a, [M, K]), engine.upload(b, [K, N])));
let matmulErr = 0;
for (let i = 0; i < M; i++)
  for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += a[i * K + k] * b[k * N + j];
    matmulErr = Math.max(matmulErr, Math.abs(c[i * N + j] - s));
  }

const { screen } = linearScreen({ d: 4, perturbed: 3, cellsPerEnv: 64, seed: 1 });
const B = new WebGPUBackend(engine);
const lcd = await new LCD({ hidden: 16, steps: 20, batchSize: 64, stepsPerLevel: 2, seed: 3 }).fit(screen, {
  backend: B,
});
const cells = await lcd.sample([screen.envs[1].targets[0]], 8);
const store = memoryStore();
await lcd.save(store);
const back = LCD.load(store, B, screen.genes);
const again = await back.sample([screen.envs[1].targets[0]], 8);

const X = Float32Array.from({ length: 6 }, (_, i) => i / 2);
const bytes = await encodeH5ad({
  X,
  nObs: 3,
  nVars: 2,
  obsNames: ['c0', 'c1', 'c2'],
  varNames: ['g0', 'g1'],
  obs: { condition: ['ctrl', 'A', 'A+B'] },
});
const ad = await readH5adBytes(bytes, { name: 'roundtrip.h5ad' });
engine.destroy();
console.log(
  JSON.stringify({
    matmulErr,
    adapter: engine.info.description,
    losses: lcd.losses_.length,
    sampled: cells.length,
    finite: cells.every(Number.isFinite),
    reloadSame: again.every((v, i) => v === cells[i]),
    files: Object.keys(store.files).sort(),
    h5ad: { nObs: ad.nObs, nVars: ad.nVars, condition: ad.obs.condition, X: Array.from(ad.X) },
  }),
);
