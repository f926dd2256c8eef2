// lcd-webgpu command line. Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 no WebGPU adapter.
import { join } from 'node:path';
import { Engine } from '../gpu/engine.ts';
import { WebGPUUnavailableError } from '../gpu/errors.ts';
import { WebGPUBackend } from '../ops/webgpu-backend.ts';
import { CpuBackend } from '../ops/cpu-backend.ts';
import { makeTrainer, mlpStep } from '../nn/train-mlp.ts';
import { normalStream } from '../reference/philox.ts';
import { parseArgs, optionsHelp, UsageError, type OptionSpec } from './args.ts';
import { runBuiltinScreen, BUILTIN_LCD } from '../jobs/builtin-screen.ts';

interface Command { summary: string; options: OptionSpec[]; run: (o: Record<string, string | number | boolean>) => Promise<void> }

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);

const COMMANDS: Record<string, Command> = {
  demo: {
    summary: 'the main job: built-in nonlinear screen → train LCD → predict held-out doubles → ED/MMD vs control and additive baselines',
    options: [
      { name: 'out', type: 'string', help: 'output folder (default runs/demo-<time>)' },
      { name: 'force', type: 'boolean', help: 'overwrite a non-empty output folder', default: false },
      { name: 'seed', type: 'number', help: 'seed of the screen, the split and the model', default: 0 },
      { name: 'steps', type: 'number', help: 'DSM training steps', default: BUILTIN_LCD.steps },
      { name: 'hidden', type: 'number', help: 'hidden width of the score network', default: BUILTIN_LCD.hidden },
      { name: 'steps-per-level', type: 'number', help: 'Langevin steps per noise level when sampling', default: BUILTIN_LCD.stepsPerLevel },
      { name: 'last-level', type: 'number', help: 'last noise level of the annealing (29 = σ 0.01)', default: BUILTIN_LCD.lastLevel },
    ],
    async run(o) {
      const engine = await Engine.create();
      console.log(`adapter: ${engine.info.description || engine.info.architecture || 'unknown'} (${engine.info.backend}${engine.info.software ? ', software' : ''})`);
      try {
        await runBuiltinScreen(engine, {
          outDir: String(o.out ?? join('runs', `demo-${stamp()}`)), force: Boolean(o.force), seed: Number(o.seed),
          lcd: { steps: Number(o.steps), hidden: Number(o.hidden), stepsPerLevel: Number(o['steps-per-level']), lastLevel: Number(o['last-level']) },
        });
      } finally { engine.destroy(); }
    },
  },
  'engine-demo': {
    summary: 'train an LCD-shaped MLP on the GPU beside the Float64 reference and print both losses',
    options: [{ name: 'steps', type: 'number', help: 'training steps', default: 60 }],
    async run(o) {
      const e = await Engine.create();
      console.log(`adapter: ${e.info.description || e.info.architecture || 'unknown'} (${e.info.backend}${e.info.software ? ', software' : ''})`);
      const [n, d, H, steps] = [256, 16, 64, Number(o.steps)];
      const x = normalStream(n * d, 1);
      const y = Float64Array.from(x, (_, i) => Math.tanh(2 * x[i - (i % d) + ((i % d) + 1) % d]!));
      const gpu = new WebGPUBackend(e), cpu = new CpuBackend();
      const g = makeTrainer(gpu, [d, H, H, d], 0, steps), c = makeTrainer(cpu, [d, H, H, d], 0, steps);
      const xg = gpu.fromArray(x, [n, d]), yg = gpu.fromArray(y, [n, d]), xc = cpu.fromArray(x, [n, d]), yc = cpu.fromArray(y, [n, d]);
      console.log('step   loss (GPU, f32)   loss (reference, f64)');
      for (let s = 0; s < steps; s++) {
        const lg = await e.scope(async () => (await gpu.toArray(mlpStep(gpu, g.mlp, g.opt, xg, yg)))[0]!);
        const lc = (await cpu.toArray(mlpStep(cpu, c.mlp, c.opt, xc, yc)))[0]!;
        if (s % 10 === 0 || s === steps - 1) console.log(`${String(s).padStart(4)}   ${lg.toFixed(6).padStart(15)}   ${lc.toFixed(6).padStart(21)}`);
      }
      e.destroy();
    },
  },
};

function usage(): string {
  return `usage: lcd-webgpu <command> [options]   (lcd-webgpu <command> --help for its options)\n\ncommands:\n${Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(12)} ${c.summary}`).join('\n')}\n\nexit codes: 0 ok, 1 failure, 2 usage error, 3 no WebGPU adapter`;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h') { console.log(usage()); return cmd ? 0 : 2; }
  const command = COMMANDS[cmd];
  if (!command) { console.error(`unknown command '${cmd}'\n\n${usage()}`); return 2; }
  if (rest.includes('--help') || rest.includes('-h')) { console.log(`usage: lcd-webgpu ${cmd} [options]\n\n${command.summary}\n\noptions:\n${optionsHelp(command.options)}`); return 0; }
  const opts = parseArgs(rest, command.options);
  await command.run(opts);
  return 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: Error) => {
  console.error(`error: ${err.message}`);
  process.exitCode = err instanceof UsageError ? 2 : err instanceof WebGPUUnavailableError ? 3 : 1;
});
