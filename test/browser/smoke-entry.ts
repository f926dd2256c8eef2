// Runs inside headless Chromium: the same engine, kernels checked against the Float64 reference in the page, and
// the library as the browser entry ships it (src/browser.ts): an h5ad read from fetched bytes, a short LCD fit,
// sampling, the model saved to and loaded from an in-memory store, predictions encoded as h5ad bytes.
import {
  Engine,
  matmul,
  reduce,
  randomNormal,
  normalStream,
  randomStream,
  WebGPUBackend,
  CpuBackend,
  LCD,
  linearScreen,
  memoryStore,
  readH5adBytes,
  encodeH5ad,
} from '../../src/browser.ts';
import * as ref from '../../src/reference/kernels.ts';
import { makeTrainer, mlpStep } from '../../src/nn/train-mlp.ts';

function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>, atol: number): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++)
    worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (atol + Math.abs(want[i]!)));
  return worst;
}

async function run() {
  const e = await Engine.create();
  const data = (n: number, s: number) => Float64Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + s));
  const [M, K, N] = [33, 20, 24];
  const a = data(M * K, 1),
    b = data(K * N, 2),
    bias = data(N, 3);
  const results: Record<string, number> = {};
  for (const variant of ['rowu', 'rowu8x2', 'strided', 'tiled'] as const) {
    const c = matmul(e, e.upload(a, [M, K]), e.upload(b, [K, N]), { bias: e.upload(bias, [N]), act: 'tanh', variant });
    results[`matmul_${variant}`] = maxRelErr(
      await e.read(c),
      ref.matmul(ref.refArray(a, [M, K]), ref.refArray(b, [K, N]), { bias: ref.refArray(bias, [N]), act: 'tanh' }).data,
      1e-5,
    );
  }
  const x = data(6 * 50, 4).map((v) => v * 20);
  results.logsumexp = maxRelErr(
    await e.read(reduce(e, 'logsumexp', e.upload(x, [6, 50]), 1)),
    ref.reduce('logsumexp', ref.refArray(x, [6, 50]), 1).data,
    1e-5,
  );
  results.philox = maxRelErr(
    await e.read(randomNormal(e, [1001], randomStream(7, 'scratch', 1, 2))),
    normalStream(1001, randomStream(7, 'scratch', 1, 2)),
    1e-5,
  );
  // Three training steps of a small tanh MLP: GPU loss vs reference loss.
  const gpu = new WebGPUBackend(e),
    cpu = new CpuBackend();
  const tg = makeTrainer(gpu, [8, 16, 16, 8], 1, 3),
    tc = makeTrainer(cpu, [8, 16, 16, 8], 1, 3);
  const xs = data(32 * 8, 5),
    ys = xs.map(Math.cos);
  const lossGpu: number[] = [],
    lossCpu: number[] = [];
  for (let s = 0; s < 3; s++) {
    lossGpu.push(
      (await gpu.toArray(mlpStep(gpu, tg.mlp, tg.opt, gpu.fromArray(xs, [32, 8]), gpu.fromArray(ys, [32, 8]))))[0]!,
    );
    lossCpu.push(
      (await cpu.toArray(mlpStep(cpu, tc.mlp, tc.opt, cpu.fromArray(xs, [32, 8]), cpu.fromArray(ys, [32, 8]))))[0]!,
    );
  }
  results.mlp_loss = maxRelErr(lossGpu, lossCpu, 1e-6);
  const library = await libraryChecks(e);
  const info = e.info;
  e.destroy();
  return { info, results, library };
}

async function libraryChecks(e: Engine) {
  const res = await fetch('/data.h5ad');
  const ad = res.ok ? await readH5adBytes(new Uint8Array(await res.arrayBuffer()), { name: 'data.h5ad' }) : null;
  const { screen } = linearScreen({ d: 4, perturbed: 3, cellsPerEnv: 64, seed: 1 });
  const B = new WebGPUBackend(e);
  const lcd = await new LCD({ hidden: 16, steps: 50, batchSize: 64, stepsPerLevel: 2, seed: 3 }).fit(screen, {
    backend: B,
  });
  const target = screen.envs[1]!.targets[0]!;
  const cells = await lcd.sample([target], 16);
  const store = memoryStore();
  await lcd.save(store);
  const again = await LCD.load(store, B, screen.genes).sample([target], 16);
  const bytes = await encodeH5ad({
    X: cells,
    nObs: 16,
    nVars: 4,
    obsNames: Array.from({ length: 16 }, (_, i) => `cell${i}`),
    varNames: screen.genes,
    obs: { condition: Array(16).fill(target) },
  });
  const back = await readH5adBytes(bytes, { name: 'predictions.h5ad' });
  return {
    h5ad: ad && { nObs: ad.nObs, nVars: ad.nVars, obsColumns: Object.keys(ad.obs) },
    fitSteps: lcd.step,
    finalLoss: lcd.losses.at(-1)!.loss,
    sampledFinite: cells.every(Number.isFinite),
    reloadSame: again.every((v, i) => v === cells[i]),
    modelFiles: Object.keys(store.files).sort(),
    predictionsRoundTrip:
      back.nObs === 16 && back.X.every((v, i) => v === cells[i]) && back.obs.condition!.every((c) => c === target),
  };
}

(globalThis as { smokeResult?: Promise<unknown> }).smokeResult = run().catch((err: Error) => ({
  error: `${err.name}: ${err.message}`,
}));
