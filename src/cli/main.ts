// lcd-webgpu command line. Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 no WebGPU adapter.
import { Engine } from '../gpu/engine.ts';
import { WebGPUUnavailableError } from '../gpu/errors.ts';
import { WebGPUBackend } from '../ops/webgpu-backend.ts';
import { CpuBackend } from '../ops/cpu-backend.ts';
import { makeTrainer, mlpStep } from '../nn/train-mlp.ts';
import { normalStream } from '../reference/philox.ts';

const USAGE = `usage: lcd-webgpu <command> [options]

commands:
  demo      train an LCD-shaped MLP on the GPU beside the Float64 reference and print both losses
  --help    this text`;

async function demo(): Promise<void> {
  const e = await Engine.create();
  console.log(`adapter: ${e.info.description || e.info.architecture || 'unknown'} (${e.info.backend}${e.info.software ? ', software' : ''})`);
  const [n, d, H, steps] = [256, 16, 64, 60];
  const x = normalStream(n * d, 1);
  const y = Float64Array.from(x, (_, i) => Math.tanh(2 * x[i - (i % d) + ((i % d) + 1) % d]!)); // a nonlinear gene-to-gene map
  const gpu = new WebGPUBackend(e), cpu = new CpuBackend();
  const g = makeTrainer(gpu, [d, H, H, d], 0, steps), c = makeTrainer(cpu, [d, H, H, d], 0, steps);
  const xg = gpu.fromArray(x, [n, d]), yg = gpu.fromArray(y, [n, d]), xc = cpu.fromArray(x, [n, d]), yc = cpu.fromArray(y, [n, d]);
  console.log('step   loss (GPU, f32)   loss (reference, f64)');
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    const lg = await e.scope(async () => (await gpu.toArray(mlpStep(gpu, g.mlp, g.opt, xg, yg)))[0]!);
    const lc = (await cpu.toArray(mlpStep(cpu, c.mlp, c.opt, xc, yc)))[0]!;
    if (s % 10 === 0 || s === steps - 1) console.log(`${String(s).padStart(4)}   ${lg.toFixed(6).padStart(15)}   ${lc.toFixed(6).padStart(21)}`);
  }
  console.log(`${steps} steps in ${((performance.now() - t0) / 1e3).toFixed(1)} s; live GPU tensors: ${e.liveTensorCount}`);
  e.destroy();
}

async function main(argv: string[]): Promise<number> {
  const cmd = argv[0];
  if (!cmd || cmd === '--help' || cmd === '-h') { console.log(USAGE); return cmd ? 0 : 2; }
  if (cmd === 'demo') { await demo(); return 0; }
  console.error(`unknown command '${cmd}'\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: Error) => {
  if (err instanceof WebGPUUnavailableError) { console.error(`error: ${err.message}`); process.exitCode = 3; return; }
  console.error(`error: ${err.message}`);
  process.exitCode = 1;
});
