// The command line as scripts see it: --help for every verb, usage errors exit 2 with the fix, runtime errors
// exit 1 with a one-line message (no stack trace).
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, UsageError, type OptionSpec } from '../src/cli/args.ts';

const cliEnv = (env: Record<string, string>, ...args: string[]) => {
  const r = spawnSync(process.execPath, ['bin/lcd-webgpu.mjs', ...args], {
    encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const cli = (...args: string[]) => cliEnv({}, ...args);

describe('cli', () => {
  it('every pipeline verb has --help with --seed and an output option', () => {
    for (const verb of ['simulate', 'fit', 'predict', 'evaluate', 'clipr', 'report']) {
      const r = cli(verb, '--help');
      expect(r.code, verb).toBe(0);
      expect(r.out, verb).toMatch(/--seed/);
      expect(r.out, verb).toMatch(/--out|--run/);
    }
  });
  it('tune measures the named Dawn backends, prints the table and remembers the choice; a wrong name exits 2', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lcd-tune-')), 'tuning.json');
    const env = { LCD_WEBGPU_TUNING_FILE: file };
    const bad = cliEnv(env, 'tune', '--backends', 'vulkan,metal');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown backend 'metal' \(use vulkan, opengles\)/);
    const r = cliEnv(env, 'tune', '--backends', 'vulkan');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^vulkan +\S.* +[\d.]+ ms +[\d.]+ ms$/m);
    expect(r.out).toMatch(/kernel choice: matmul: (rowu8x2|rowu|strided8|strided|tiled) \(measured/);
    expect(r.out).toMatch(/kernel choice: sampler d=100 H=256 rows<=1024: (layers|fused)/);
    expect(r.out).toContain(`chosen: vulkan (remembered in ${file};`);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { choice: string }>;
    expect(Object.entries(saved).find(([k]) => k.startsWith('node|dawn backend|'))?.[1].choice).toBe('vulkan');
  });
  it('help separates every flag from its text, wraps long text and shows defaults', () => {
    const r = cli('fit', '--help');
    expect(r.code).toBe(0);
    const flagLines = r.out.split('\n').filter((l) => /^  --/.test(l));
    expect(flagLines.length).toBeGreaterThan(20);
    for (const l of flagLines) expect(l, l).toMatch(/^  --[a-z0-9-]+( <[^>]+>)?\s{2,}\S/);
    expect(r.out).toMatch(
      /--perturbation-key <text>\s{2,}obs column naming each cell's perturbation \(default: "condition"\)/,
    );
    expect(Math.max(...r.out.split('\n').map((l) => l.length))).toBeLessThanOrEqual(120);
  });
  it('fit takes one split definition; --split-file and --test errors name the file and the fix', () => {
    const data = ['--data', 'x.h5ad', '--out', '/tmp/never-written'];
    let r = cli('fit', ...data, '--split', 'seen2', '--test', 'A+B');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/choose one of --split, --test: each defines the split/);
    r = cli('fit', ...data, '--split-file', '/nonexistent/split.json');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--split-file \/nonexistent\/split.json: file not found/);
    r = cli('fit', ...data, '--counts-from', 'ncounts');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--counts-from 'ncounts': use 'implied'/);
    r = cli('evaluate', '--truth', 'a.h5ad');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/evaluate --truth needs --predictions/);
    r = cli('evaluate', '--run', 'runs/x', '--perturbations', 'A+B');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--perturbations apply with --truth only/);
  });
  it('options parse from the schema: kebab names, defaults, numbers, --flag=true|false', () => {
    const specs: OptionSpec[] = [
      { name: 'perturbation-key', type: 'string', help: 'x', default: 'condition' },
      { name: 'cells', type: 'number', help: 'x', default: 200 },
      { name: 'force', type: 'boolean', help: 'x' },
      { name: 'resume', type: 'boolean', help: 'x' },
    ];
    expect(parseArgs(['--cells=50', '--force=true', '--resume=false'], specs)).toEqual({
      perturbationKey: 'condition',
      cells: 50,
      force: true,
      resume: false,
    });
    expect(parseArgs(['--perturbation-key', 'gene', '--resume'], specs)).toEqual({
      perturbationKey: 'gene',
      cells: 200,
      force: false,
      resume: true,
    });
    expect(() => parseArgs(['--cells', '1e'], specs)).toThrow(UsageError);
    expect(() => parseArgs(['--bogus'], specs)).toThrow(/unknown option '--bogus'/);
    expect(() => parseArgs(['stray'], specs)).toThrow(UsageError);
  });
  it('types the parsed options from the schema and checks choices and required options', () => {
    const specs = [
      { name: 'steps-per-level', type: 'number', help: 'x', default: 3 },
      { name: 'anchor', type: 'string', help: 'x', choices: ['origin', 'control'] },
      { name: 'run', type: 'string', help: 'x', required: 'run dir' },
    ] as const;
    const o = parseArgs(['--anchor', 'control', '--run', 'r'], specs, 'clipr');
    const steps: number = o.stepsPerLevel;
    const anchor: 'origin' | 'control' | undefined = o.anchor;
    const run: string = o.run;
    // @ts-expect-error a misspelt option name does not compile
    void o.stepsPerLvl;
    expect([steps, anchor, run]).toEqual([3, 'control', 'r']);
    expect(() => parseArgs(['--anchor', 'mean', '--run', 'r'], specs)).toThrow(
      /--anchor must be origin or control \(got 'mean'\)/,
    );
    expect(() => parseArgs([], specs, 'clipr')).toThrow(/clipr needs --run <run dir>/);
  });
  it('numeric options are checked against their ranges (NUMBER_RULES)', () => {
    const specs = [
      { name: 'steps', type: 'number', help: '', default: 10 },
      { name: 'seed', type: 'number', help: '', default: 0 },
      { name: 'lr', type: 'number', help: '', default: 1e-3 },
      { name: 'response-scale', type: 'number', help: '', default: 0.25 },
      { name: 'data-gate', type: 'number', help: '', default: 1 },
      { name: 'zero-prob', type: 'number', help: '', default: 0.1 },
      { name: 'unlisted', type: 'number', help: '', default: -1 },
    ] as const;
    for (const [args, msg] of [
      [['--steps', '-5'], /--steps needs an integer ≥ 1, got '-5'/],
      [['--steps', '2.5'], /--steps needs an integer ≥ 1, got '2.5'/],
      [['--steps', '0'], /--steps needs an integer ≥ 1/],
      [['--seed', '-1'], /--seed needs an integer ≥ 0, got '-1'/],
      [['--lr', '0'], /--lr needs a number > 0, got '0'/],
      [['--response-scale', '1.5'], /--response-scale needs a number > 0 and ≤ 1, got '1.5'/],
      [['--data-gate', '-1'], /--data-gate needs a number ≥ 0, got '-1'/],
      [['--zero-prob', '1.1'], /--zero-prob needs a number ≥ 0 and ≤ 1/],
      [['--unlisted', 'x'], /--unlisted needs a number, got 'x'/],
    ] as const)
      expect(() => parseArgs([...args], specs)).toThrow(msg);
    expect(parseArgs(['--steps', '7', '--seed', '3', '--unlisted', '-2.5'], specs)).toMatchObject({
      steps: 7,
      seed: 3,
      unlisted: -2.5,
    });
  });
  it('usage errors exit 2 and say what to pass', () => {
    let r = cli('fit', '--data', 'x.h5ad');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/fit needs --out <run dir>/);
    r = cli('fit', '--out', 'x', '--data', 'y.h5ad', '--split', 'fold-3');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown split 'fold-3'; use 'fold:<k>'/);
    r = cli('predict', '--run', 'r', '--cells', 'many');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--cells needs an integer ≥ 1, got 'many'/);
    r = cli('clipr', '--model', 'm', '--out', 'o', '--drift-level', '30');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--drift-level needs an integer ≥ 0 and ≤ 29, got '30'/);
    // counts out of range are refused before any work: no folder is made
    const out = join(tmpdir(), `lcd-cli-range-${process.pid}`);
    for (const [args, msg] of [
      [['fit', '--data', 'x.h5ad', '--out', out, '--steps', '0'], /--steps needs an integer ≥ 1, got '0'/],
      [['simulate', '--out', out, '--cells', '-3'], /--cells needs an integer ≥ 1, got '-3'/],
      [['predict', '--run', out, '--cells', '0'], /--cells needs an integer ≥ 1, got '0'/],
      [['demo', '--out', out, '--weight-decay', '-1'], /--weight-decay needs a number ≥ 0, got '-1'/],
      [['demo', '--out', out, '--envs-per-batch', '0'], /--envs-per-batch needs an integer ≥ 1, got '0'/],
      [['demo', '--out', out, '--lr-floor', '2'], /--lr-floor needs a number ≥ 0 and ≤ 1, got '2'/],
      [
        ['fit', '--data', 'x.h5ad', '--out', out, '--lr-floor', '-0.5'],
        /--lr-floor needs a number ≥ 0 and ≤ 1, got '-0.5'/,
      ],
      [
        ['fit', '--data', 'x.h5ad', '--out', out, '--train-levels', '31'],
        /--train-levels needs an integer ≥ 1 and ≤ 30/,
      ],
      // a sampler past the trained levels is refused before the data are read
      [
        ['fit', '--data', 'x.h5ad', '--out', out, '--train-levels', '10'],
        /the sampler \(lastLevel\) reads noise level 22, but the model trained levels 0–9.*--train-levels 23/,
      ],
    ] as const) {
      r = cli(...args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(msg);
      expect(existsSync(out)).toBe(false);
    }
    r = cli('clipr', '--model', 'm', '--out', 'o', '--anchor', 'mean');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--anchor must be origin or control \(got 'mean'\)/);
    expect(cli('nonsense').code).toBe(2);
  });
  it('--version, -V and help <command>', () => {
    const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
    for (const flag of ['--version', '-V']) {
      const r = cli(flag);
      expect(r.code).toBe(0);
      expect(r.out.trim()).toBe(`lcd-webgpu ${version}`);
    }
    const r = cli('help', 'clipr');
    expect(r.code).toBe(0);
    expect(r.out).toBe(cli('clipr', '--help').out);
    // placeholders say what a value is; required options say so
    expect(r.out).toMatch(/--points <auto\|means\|flow\|linear>/);
    expect(r.out).toMatch(/--cells <n>/);
    expect(r.out).toMatch(/--response-scale <x>/);
    expect(r.out).toMatch(/--data-gate <x>/);
    expect(r.out).toMatch(/--model <dir>/);
    expect(cli('help', 'predict').out).toMatch(/--run <dir>\s+run folder made by fit \(required\)/);
    expect(cli('help').code).toBe(0);
  });
  it('bad input exits 2 with one line naming the problem and the fix', () => {
    const r = cli('report', '--run', 'no/such/run');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /^error: 'no\/such\/run' is not a run folder \(no run.json\); create one with 'lcd-webgpu fit/,
    );
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
