// lcd-webgpu command line. Exit codes: 0 ok, 1 the work failed (a full disk, a lost device, a bug), 2 bad usage or
// bad input (UsageError, InputError: an option, file or name that cannot be used), 3 no WebGPU adapter, 128 + n when
// a long job (fit) was stopped by signal n (130 SIGINT, 143 SIGTERM, 129 SIGHUP) after writing its checkpoint.
import '../node/dawn.ts'; // Dawn as the GPU of this Node process
import { join } from 'node:path';
import { Engine } from '../gpu/engine.ts';
import { WebGPUUnavailableError } from '../gpu/errors.ts';
import { InputError } from '../core/errors.ts';
import { describeAdapter } from '../gpu/device.ts';
import { tuneBackends } from '../jobs/tune.ts';
import { tuningStore } from '../gpu/tuning.ts';
import { WebGPUBackend } from '../ops/webgpu-backend.ts';
import { CpuBackend } from '../ops/cpu-backend.ts';
import { makeTrainer, mlpStep } from '../nn/train-mlp.ts';
import { normalStream } from '../reference/philox.ts';
import { ProgressBar, printLine, printNote, setOutputMode, outputMode } from './progress.ts';
import {
  parseCommandLine,
  commandHelp,
  defineCommand,
  optionGroup,
  UsageError,
  type Command,
  type CommandResult,
} from './args.ts';
import { PIPELINE_COMMANDS, SAMPLER_STEP_OPTIONS, TRAIN_LEVELS_OPTIONS, trainLevelsOf } from './commands-pipeline.ts';
import { interruptedExitCode, watchSupervisor } from './signals.ts';
import { runBuiltinScreen, BUILTIN_LCD } from '../jobs/builtin-screen.ts';
import { runPaths } from '../jobs/run-folder.ts';
import { PACKAGE_VERSION } from '../node/package-version.ts';
import {
  runCliprBenchmark,
  parseGridPoints,
  FULL_GRID,
  QUICK_GRID,
  LCD_READINGS,
  type LcdReading,
} from '../jobs/clipr-benchmark.ts';
import { DEFAULT_DRIFT_LEVEL, LINEAR_RESPONSE_SCALE } from '../clipr/from-lcd.ts';
import { DATA_GATE_T } from '../clipr/data-gate.ts';
import { CLIPR_FLOW_STEPS_PER_LEVEL, CLIPR_RESPONSE_CELLS } from '../lcd/sampler-settings.ts';
import { LCD_DEFAULTS } from '../lcd/hyperparameters.ts';
import { cliprRun } from '../jobs/clipr-run.ts';
import { randomStream } from '../core/random-streams.ts';
import { nonFiniteAsNull } from '../core/format.ts';

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);

const COMMANDS: Record<string, Command> = {
  ...PIPELINE_COMMANDS,
  demo: defineCommand({
    summary:
      'the main job: built-in nonlinear screen → train LCD → predict held-out doubles → ED/MMD vs control and additive baselines',
    options: [
      { name: 'out', type: 'string', help: 'output folder (default runs/demo-<time>)' },
      { name: 'force', type: 'boolean', help: 'overwrite a non-empty output folder', default: false },
      { name: 'seed', type: 'number', help: 'seed of the screen, the split and the model', default: 0 },
      { name: 'steps', type: 'number', help: 'DSM training steps', default: BUILTIN_LCD.steps },
      { name: 'hidden', type: 'number', help: 'hidden width of the score network', default: BUILTIN_LCD.hidden },
      {
        name: 'steps-per-level',
        type: 'number',
        help: 'Langevin steps per noise level when sampling',
        default: BUILTIN_LCD.stepsPerLevel,
      },
      {
        name: 'last-level',
        type: 'number',
        help: 'last noise level of the annealing (29 = σ 0.01)',
        default: BUILTIN_LCD.lastLevel,
      },
      ...SAMPLER_STEP_OPTIONS,
      ...TRAIN_LEVELS_OPTIONS,
      { name: 'weight-decay', type: 'number', help: 'AdamW weight decay', default: LCD_DEFAULTS.weightDecay },
      {
        name: 'envs-per-batch',
        type: 'number',
        help: 'environments per training step (1 = the reference)',
        default: LCD_DEFAULTS.envsPerBatch,
      },
      {
        name: 'ema',
        type: 'number',
        help: 'decay of an exponential moving average of the weights, kept as the model (0 = the last iterate)',
        default: BUILTIN_LCD.emaDecay,
      },
      {
        name: 'lr-floor',
        type: 'number',
        help: 'where the cosine learning-rate schedule ends, as a fraction of the peak (0 = at zero, the reference)',
        default: BUILTIN_LCD.learningRateFloor,
      },
    ],
    async run(o) {
      const engine = await Engine.create();
      printNote(`adapter: ${describeAdapter(engine.info)}`);
      try {
        const r = await runBuiltinScreen(engine, {
          log: printLine,
          outDir: o.out || join('runs', `demo-${stamp()}`),
          force: o.force,
          seed: o.seed,
          progress: (label, total) => new ProgressBar(label, total),
          lcd: {
            steps: o.steps,
            hidden: o.hidden,
            stepsPerLevel: o.stepsPerLevel,
            lastLevel: o.lastLevel,
            integrator: o.integrator,
            stepScale: o.stepScale,
            weightDecay: o.weightDecay,
            envsPerBatch: o.envsPerBatch,
            emaDecay: o.ema || undefined,
            learningRateFloor: o.lrFloor,
            ...trainLevelsOf(o),
          },
        });
        return { out: r.outDir, mean: r.mean, gi_agreement: r.gi.agreement };
      } finally {
        await engine.close();
      }
    },
  }),
  clipr: defineCommand({
    summary: 'CLIPR causal matrix of a saved LCD model: causal_matrix.csv/.json and a ranked edges.csv',
    options: [
      { name: 'run', type: 'string', help: 'run folder made by fit (model from <run>/model, output to <run>/clipr)' },
      { name: 'model', type: 'string', help: 'folder of a saved model (config.json + weights.safetensors)' },
      { name: 'out', type: 'string', help: 'output folder' },
      { name: 'force', type: 'boolean', help: 'overwrite a non-empty output folder', default: false },
      {
        name: 'reading',
        type: 'string',
        help: "response (effects from each environment's state alone; the default) or drift (the network drift at an anchor, the reference)",
        default: 'response',
        choices: ['response', 'drift'],
      },
      {
        name: 'effects',
        type: 'string',
        help: 'response reading: auto (by the held-out R² criterion; with --points auto or linear always direct effects, with --points means or flow total effects when the responses are not linear), direct or total',
        default: 'auto',
        choices: ['auto', 'direct', 'total'],
      },
      {
        name: 'points',
        type: 'string',
        help: "response reading: each environment's state: auto (the means of sampled cells when their responses are linear in each other, held-out R² ≥ 0.8, else the linear response), the mean of sampled cells (means), the flow's fixed point (flow), or the model's linear response to a weak perturbation (linear: the embedding scaled by --response-scale, sampled with the control's noise)",
        default: 'auto',
        choices: ['auto', 'means', 'flow', 'linear'],
      },
      {
        name: 'cells',
        type: 'number',
        help: 'response reading with --points auto, means or linear: cells sampled per environment',
        default: CLIPR_RESPONSE_CELLS,
      },
      {
        name: 'response-scale',
        type: 'number',
        help: 'response reading with --points linear (or auto, when it reads the linear response): the scale t in (0, 1] of each perturbation embedding',
        default: LINEAR_RESPONSE_SCALE,
      },
      {
        name: 'data-gate',
        type: 'number',
        help: "linear response's direct effects (--points auto or linear, with --run): scale each effect k → i by min(1, |t| / t0), t the Welch t of i's shift in the run's cells with k perturbed; this sets t0 (0: off)",
        default: DATA_GATE_T,
      },
      { name: 'lambda', type: 'number', help: 'drift reading: Tikhonov regularisation λ', default: 1e-3 },
      {
        name: 'steps-per-level',
        type: 'number',
        help: 'probability-flow steps per noise level for the fixed points',
        default: CLIPR_FLOW_STEPS_PER_LEVEL,
      },
      {
        name: 'drift-level',
        type: 'number',
        help: 'drift reading: noise level of the drift (19 = σ 0.11, measured more accurate here; 29 = σ 0.01, the reference)',
        default: DEFAULT_DRIFT_LEVEL,
      },
      {
        name: 'anchor',
        type: 'string',
        help: 'drift reading: where the drifts are evaluated, origin (the reference) or control (the control fixed point)',
        default: 'origin',
        choices: ['origin', 'control'],
      },
      {
        name: 'seed',
        type: 'number',
        help: 'seed of the sampled cells (response reading with --points means or linear); the flow and the drift reading are deterministic',
        default: 0,
      },
      {
        name: 'ensemble',
        type: 'string',
        help: "other fits of the same data (run or model folders, comma-separated): the reading of the models' averaged states (--points means or linear)",
      },
    ],
    async run(o) {
      const model = o.model ?? (o.run ? runPaths(o.run).model : undefined),
        out = o.out ?? (o.run ? runPaths(o.run).clipr : undefined);
      if (!model || !out) throw new UsageError('clipr needs --run <dir>, or --model <dir> and --out <dir>');
      const engine = await Engine.create();
      try {
        return await cliprRun(engine, {
          model,
          out,
          force: o.force,
          run: o.run,
          reading: o.reading,
          effects: o.effects,
          lambda: o.lambda,
          stepsPerLevel: o.stepsPerLevel,
          driftLevel: o.driftLevel,
          anchor: o.anchor,
          points: o.points,
          cells: o.cells,
          responseScale: o.responseScale,
          dataGate: o.dataGate,
          seed: o.seed,
          ...(o.ensemble ? { ensemble: o.ensemble.split(',').filter(Boolean) } : {}),
          log: printLine,
          progress: (label, total) => new ProgressBar(label, total),
        });
      } finally {
        await engine.close();
      }
    },
  }),
  'clipr-benchmark': defineCommand({
    summary:
      'CLIPR against DE, the empirical Gaussian and the oracle on gene-network, cascade and linear-SDE screens, over seeds and two budgets',
    options: [
      { name: 'out', type: 'string', help: 'output folder; trained models are kept in <out>/models and reused' },
      {
        name: 'quick',
        type: 'boolean',
        help: 'the linear d = 30 points and one network screen at 1,000 steps (minutes instead of hours)',
        default: false,
      },
      {
        name: 'points',
        type: 'string',
        help: 'linear grid points, e.g. er:100:100,sfo:100:30 (graph:d:p); none: no linear screens',
      },
      { name: 'seeds', type: 'string', help: 'seeds of the linear screens', default: '0' },
      {
        name: 'grn-seeds',
        type: 'string',
        help: 'seeds of the gene-network screens (none: skip them)',
        default: '0,1,2',
      },
      {
        name: 'cascade-seeds',
        type: 'string',
        help: 'seeds of the cascade screens (layered CRISPRi networks: chains of six, a confounder; none: skip them)',
        default: 'none',
      },
      {
        name: 'grn-steps',
        type: 'number',
        help: 'DSM steps for the gene-network and cascade screens',
        default: 4000,
      },
      {
        name: 'lcd-readings',
        type: 'string',
        help: `LCD readings to compute, comma-separated (default all: ${LCD_READINGS.join(', ')}); the flow and drift readings take most of the time`,
      },
      {
        name: 'double',
        type: 'boolean',
        help: 'also train every screen with twice the steps (budget stability)',
        default: false,
      },
      { name: 'steps', type: 'number', help: 'DSM steps for the linear screens', default: 3000 },
      { name: 'hidden', type: 'number', help: 'hidden width (linear screens)', default: 128 },
      { name: 'batch', type: 'number', help: 'batch size (linear screens)', default: 512 },
      {
        name: 'envs-per-batch',
        type: 'number',
        help: 'environments per training step on the linear screens (1 = the reference)',
        default: 8,
      },
      { name: 'weight-decay', type: 'number', help: 'AdamW weight decay (linear screens)', default: 0.01 },
      ...TRAIN_LEVELS_OPTIONS,
      {
        name: 'prior-steps',
        type: 'number',
        help: "measurement-model steps of the gene-network fits (default: the library's)",
      },
      {
        name: 'queue',
        type: 'string',
        help: 'redis://[user:password@]host:port[/db]: queue the fits (gene networks and linear screens) for the workers serving it (lcd-webgpu worker); --out must be on storage every worker reaches, at the same path',
      },
    ],
    async run(o) {
      const seeds = (flag: string, v: string) => {
        if (v === 'none') return [];
        const xs = v.split(',').filter(Boolean).map(Number);
        if (!xs.length || xs.some((x) => !Number.isInteger(x) || x < 0))
          throw new UsageError(`--${flag}: expected comma-separated non-negative integers or none, got '${v}'`);
        return xs;
      };
      // --quick keeps the first seed of each network family
      const networkSeeds = (flag: string, v: string) => (o.quick ? seeds(flag, v).slice(0, 1) : seeds(flag, v));
      const grid =
        o.points === 'none'
          ? []
          : o.points
            ? (() => {
                try {
                  return parseGridPoints(o.points);
                } catch (e) {
                  throw new UsageError(`--points: ${(e as Error).message}`);
                }
              })()
            : o.quick
              ? QUICK_GRID
              : FULL_GRID;
      const lcdReadings = o.lcdReadings?.split(',').filter(Boolean);
      const unknown = lcdReadings?.filter((r: string) => !(LCD_READINGS as readonly string[]).includes(r));
      if (unknown?.length)
        throw new UsageError(`--lcd-readings: unknown '${unknown.join(', ')}'; choose from ${LCD_READINGS.join(', ')}`);
      const engine = await Engine.create();
      try {
        const outDir = o.out || join('runs', `clipr-${stamp()}`);
        const screens = await runCliprBenchmark(engine, {
          log: printLine,
          grid,
          linearSeeds: seeds('seeds', o.seeds),
          grnSeeds: networkSeeds('grn-seeds', o.grnSeeds),
          cascadeSeeds: networkSeeds('cascade-seeds', o.cascadeSeeds),
          grnSteps: o.quick ? Math.min(o.grnSteps, 1000) : o.grnSteps,
          ...(lcdReadings ? { lcdReadings: lcdReadings as LcdReading[] } : {}),
          double: o.double,
          lcd: {
            steps: o.steps,
            hidden: o.hidden,
            batchSize: o.batch,
            envsPerBatch: o.envsPerBatch,
            weightDecay: o.weightDecay,
            ...trainLevelsOf(o),
          },
          outDir,
          ...(o.queue ? { queue: o.queue } : {}),
          ...(o.priorSteps !== undefined ? { prior: { steps: o.priorSteps } } : {}),
        });
        return { out: outDir, screens };
      } finally {
        await engine.close();
      }
    },
  }),
  tune: defineCommand({
    summary:
      "measure which Dawn backend (and which kernels) run LCD fastest on this machine's adapter, and remember it",
    options: [
      {
        name: 'backends',
        type: 'string',
        help: 'comma-separated Dawn backends to try: vulkan, opengles',
        default: 'vulkan,opengles',
      },
    ],
    async run(o) {
      const backends = String(o.backends)
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean);
      for (const b of backends)
        if (b !== 'vulkan' && b !== 'opengles')
          throw new UsageError(`--backends: unknown backend '${b}' (use vulkan, opengles)`);
      const { trials, choice } = await tuneBackends(backends as ('vulkan' | 'opengles')[], printLine);
      printLine('backend    adapter / result                                   DSM step   4 sampler steps');
      for (const t of trials)
        printLine(
          t.failed
            ? `${t.backend.padEnd(10)} not usable: ${t.failed}`
            : `${t.backend.padEnd(10)} ${(t.adapter ?? '').slice(0, 50).padEnd(50)} ${`${t.dsmMs} ms`.padStart(9)}   ${`${t.samplerMs} ms`.padStart(10)}\n${(t.choices ?? []).map((c) => `           kernel choice: ${c}`).join('\n')}`,
        );
      if (!choice) throw new WebGPUUnavailableError('no Dawn backend could run the checks; see above');
      const where = tuningStore()?.where ?? null;
      printLine(
        `chosen: ${choice} (remembered in ${where ?? 'memory only'}; every later run uses it unless ENGINE_BACKEND names another)`,
      );
      return { chosen: choice, remembered_in: where, trials };
    },
  }),
  'engine-demo': defineCommand({
    summary: 'train an LCD-shaped MLP on the GPU beside the Float64 reference and print both losses',
    options: [{ name: 'steps', type: 'number', help: 'training steps', default: 60 }],
    async run(o) {
      const e = await Engine.create();
      printNote(`adapter: ${describeAdapter(e.info)}`);
      const [n, d, H, steps] = [256, 16, 64, o.steps];
      const x = normalStream(n * d, randomStream(1, 'demo.data'));
      const y = Float64Array.from(x, (_, i) => Math.tanh(2 * x[i - (i % d) + (((i % d) + 1) % d)]!));
      const gpu = new WebGPUBackend(e),
        cpu = new CpuBackend();
      const g = makeTrainer(gpu, [d, H, H, d], 0, steps),
        c = makeTrainer(cpu, [d, H, H, d], 0, steps);
      const xg = gpu.fromArray(x, [n, d]),
        yg = gpu.fromArray(y, [n, d]),
        xc = cpu.fromArray(x, [n, d]),
        yc = cpu.fromArray(y, [n, d]);
      printLine('step   loss (GPU, f32)   loss (reference, f64)');
      const losses: { step: number; gpu: number; reference: number }[] = [];
      for (let s = 0; s < steps; s++) {
        const lg = await e.scope(async () => (await gpu.toArray(mlpStep(gpu, g.mlp, g.opt, xg, yg)))[0]!);
        const lc = (await cpu.toArray(mlpStep(cpu, c.mlp, c.opt, xc, yc)))[0]!;
        if (s % 10 === 0 || s === steps - 1) {
          printLine(`${String(s).padStart(4)}   ${lg.toFixed(6).padStart(15)}   ${lc.toFixed(6).padStart(21)}`);
          losses.push({ step: s, gpu: lg, reference: lc });
        }
      }
      await e.close();
      return { losses };
    },
  }),
};

function usage(): string {
  return `usage: lcd-webgpu <command> [options]   (lcd-webgpu help <command> for its options; --version)\n\ncommands:\n${Object.entries(
    COMMANDS,
  )
    .map(([k, c]) => `  ${k.padEnd(12)} ${c.summary}`)
    .join(
      '\n',
    )}\n\nexit codes: 0 ok, 1 the work failed (a full disk, a lost device), 2 bad usage or input (the message names the fix), 3 no WebGPU adapter, 130/143/129 fit stopped by SIGINT/SIGTERM/SIGHUP`;
}

/** Every verb takes these: how much it prints, and in what form (see progress.ts). */
const OUTPUT_OPTIONS = optionGroup([
  { name: 'quiet', type: 'boolean', help: 'print nothing but errors (no progress, notes or tables)', default: false },
  {
    name: 'json',
    type: 'boolean',
    help: 'print one JSON object on stdout when done (files written, headline numbers; on failure {"ok": false, "error"}); human lines go to stderr',
    default: false,
  },
]);

/** The command's result as the one JSON object of `--json` (non-finite numbers as null, as JSON has none). */
function resultJson(command: string, result: CommandResult): string {
  return JSON.stringify({ ok: true, command, ...(result ?? {}) }, nonFiniteAsNull);
}

async function main(argv: string[]): Promise<number> {
  let [cmd, ...rest] = argv;
  if (cmd === '--version' || cmd === '-V') {
    console.log(`lcd-webgpu ${PACKAGE_VERSION}`);
    return 0;
  }
  // `help <command>` is `<command> --help`, as git and npm read it
  if (cmd === 'help' && rest.length) [cmd, rest] = [rest[0]!, ['--help']];
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(usage());
    return cmd ? 0 : 2;
  }
  const command = COMMANDS[cmd];
  if (!command) {
    console.error(`unknown command '${cmd}'\n\n${usage()}`);
    return 2;
  }
  const options = [...command.options, ...OUTPUT_OPTIONS];
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(commandHelp(cmd, command.summary, options));
    return 0;
  }
  // The output mode is set before the options are checked, so a usage error under --json is JSON too.
  if (rest.includes('--json')) setOutputMode('json');
  else if (rest.includes('--quiet')) setOutputMode('quiet');
  const { values, given } = parseCommandLine(rest, options, cmd);
  if (values.quiet && values.json) throw new UsageError('choose --quiet or --json, not both');
  const { quiet: _q, json: _j, ...own } = values;
  given.delete('quiet');
  given.delete('json');
  const result = await command.run(own, given);
  if (outputMode() === 'json') process.stdout.write(resultJson(cmd, result) + '\n');
  return 0;
}

// A write past a file-size limit (ulimit -f) must fail with EFBIG and be reported, as Node's default of ignoring
// SIGXFSZ gives; a listener keeps it so once a library hooks the signal (proper-lockfile's signal-exit re-raises
// signals nobody else listens to).
process.on('SIGXFSZ', () => {});
watchSupervisor();
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    console.error(`error: ${err.message}`);
    const code =
      err instanceof UsageError || err instanceof InputError
        ? 2
        : err instanceof WebGPUUnavailableError
          ? 3
          : (interruptedExitCode(err) ?? 1);
    if (outputMode() === 'json')
      process.stdout.write(JSON.stringify({ ok: false, exit_code: code, error: err.message }) + '\n');
    process.exitCode = code;
  },
);
