// Command-line options declared as typed schemas, parsed and documented by commander: --name value, --name=value,
// --flag; unknown options, malformed numbers, numbers outside an option's range (NUMBER_RULES) and values outside an
// option's choices are usage errors (exit 2) that say what to pass. A verb declares its options once
// (`defineCommand`); the value its `run` receives is typed from that declaration: `--steps-per-level` arrives as
// `o.stepsPerLevel: number`, an option with choices as the union of its choices, and an option without a default as
// `T | undefined`. A misspelt option name is a compile error.
import { Command as Cmd, Option, CommanderError } from 'commander';
import { N_LEVELS } from '../core/noise-schedule.ts';

export type OptionType = 'string' | 'number' | 'boolean';

export interface OptionSpec {
  readonly name: string;
  readonly type: OptionType;
  readonly help: string;
  readonly default?: string | number | boolean;
  /** The allowed values of a string option; anything else is a usage error listing them. */
  readonly choices?: readonly string[];
  /** A required option: its placeholder for the error message ('run dir' → "fit needs --out <run dir>"). */
  readonly required?: string;
}

/** 'steps-per-level' → 'stepsPerLevel' (commander's attribute names). */
type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

type ValueOf<S extends OptionSpec> = S['type'] extends 'number'
  ? number
  : S['type'] extends 'boolean'
    ? boolean
    : S extends { readonly choices: readonly (infer C)[] }
      ? C
      : string;

/** Always present: booleans (false when absent), options with a default and required ones. */
type Present<S extends OptionSpec> = S['type'] extends 'boolean'
  ? true
  : S extends { readonly default: string | number | boolean }
    ? true
    : S extends { readonly required: string }
      ? true
      : false;

/** The parsed options of a verb, typed from its schema. */
export type OptionValues<Specs extends readonly OptionSpec[]> = {
  [S in Specs[number] as Camel<S['name']>]: Present<S> extends true ? ValueOf<S> : ValueOf<S> | undefined;
};

export interface Command {
  summary: string;
  options: readonly OptionSpec[];
  /** Does the work; what it resolves to is the command's result, printed as JSON by `--json`. */
  run: (o: Record<string, string | number | boolean | undefined>, given: ReadonlySet<string>) => Promise<CommandResult>;
}

/** A command's result for `--json`: what it wrote and its headline numbers (plain JSON values). */
export type CommandResult = Record<string, unknown> | void;

/** A verb from its summary, option schema and typed body; `given` holds the kebab names typed on the command line. */
export function defineCommand<const Specs extends readonly OptionSpec[]>(c: {
  summary: string;
  options: Specs;
  run: (o: OptionValues<Specs>, given: ReadonlySet<Specs[number]['name']>) => Promise<CommandResult>;
}): Command {
  return c as unknown as Command;
}

/** Declare a shared group of options, keeping their literal names and types for OptionValues. */
export const optionGroup = <const Specs extends readonly OptionSpec[]>(specs: Specs): Specs => specs;

export class UsageError extends Error {
  override name = 'UsageError';
}

/** The range of a numeric option: an integer or any finite number, with bounds (`above` excludes its bound). */
export interface NumberRule {
  integer?: boolean;
  min?: number;
  above?: number;
  max?: number;
}

/**
 * Ranges of the numeric options, by name: every verb means the same by a name (--steps is always a count of training
 * steps, --cells always a number of cells), so one table checks them all at parsing, before any work starts or a
 * folder is made. A value outside its range is a usage error (exit 2) saying what the option takes.
 */
export const NUMBER_RULES: Readonly<Record<string, NumberRule>> = {
  steps: { integer: true, min: 1 },
  'prior-steps': { integer: true, min: 1 },
  'prior-joint-steps': { integer: true, min: 1 },
  'job-size': { integer: true, min: 1 },
  'peper-steps': { integer: true, min: 1 },
  'grn-steps': { integer: true, min: 1 },
  'steps-per-level': { integer: true, min: 1 },
  hidden: { integer: true, min: 1 },
  batch: { integer: true, min: 1 },
  'envs-per-batch': { integer: true, min: 1 },
  cells: { integer: true, min: 1 },
  genes: { integer: true, min: 1 },
  perturbed: { integer: true, min: 1 },
  doubles: { integer: true, min: 0 },
  'val-doubles': { integer: true, min: 0 },
  'n-folds': { integer: true, min: 2 },
  'checkpoint-every': { integer: true, min: 1 },
  'early-stopping': { integer: true, min: 0 },
  'val-every': { integer: true, min: 1 },
  'mc-samples': { integer: true, min: 1 },
  'min-cells-per-gene': { integer: true, min: 0 },
  'min-cells-per-perturbation': { integer: true, min: 0 },
  seed: { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER },
  'last-level': { integer: true, min: 0, max: N_LEVELS - 1 },
  'drift-level': { integer: true, min: 0, max: N_LEVELS - 1 },
  'train-levels': { integer: true, min: 1, max: N_LEVELS },
  lr: { above: 0 },
  'weight-decay': { min: 0 },
  ema: { min: 0, max: 0.9999 },
  'lr-floor': { min: 0, max: 1 },
  'step-scale': { above: 0 },
  'unit-scale': { above: 0 },
  'zero-prob': { min: 0, max: 1 },
  'target-sum': { above: 0 },
  lambda: { min: 0 },
  'response-scale': { above: 0, max: 1 },
  'data-gate': { min: 0 },
  'cut-height': { above: 0 },
  'min-size': { integer: true, min: 1 },
  fdr: { above: 0, max: 1 },
};

/** What a rule allows, for people: 'an integer ≥ 1', 'a number > 0 and ≤ 1'. */
export function describeRule(r: NumberRule): string {
  const bounds = [
    r.min !== undefined ? `≥ ${r.min}` : r.above !== undefined ? `> ${r.above}` : '',
    r.max !== undefined && r.max !== Number.MAX_SAFE_INTEGER ? `≤ ${r.max}` : '',
  ].filter(Boolean);
  return `${r.integer ? 'an integer' : 'a number'}${bounds.length ? ` ${bounds.join(' and ')}` : ''}`;
}

const fitsRule = (n: number, r: NumberRule): boolean =>
  (!r.integer || Number.isInteger(n)) &&
  (r.min === undefined || n >= r.min) &&
  (r.above === undefined || n > r.above) &&
  (r.max === undefined || n <= r.max);

/** What the value of a string option is, in help (`--data <file>`), by name like NUMBER_RULES; options with
 *  choices show them, numbers show <n> (integers) or <x>, other strings <text>. */
const STRING_PLACEHOLDERS: Readonly<Record<string, string>> = {
  data: 'file',
  truth: 'file',
  predictions: 'file',
  'split-file': 'file',
  out: 'dir',
  run: 'dir',
  model: 'dir',
  seeds: 'list',
  'grn-seeds': 'list',
  'cascade-seeds': 'list',
  'lcd-readings': 'list',
  'gene-sets': 'a.gmt,b.gmt',
  causal: 'file',
  quantiles: 'list',
  baselines: 'list',
  backends: 'list',
  perturbations: 'A+B,C',
  test: 'A+B,C',
  filter: 'key=value',
};

export function placeholderOf(s: OptionSpec): string {
  if (s.type === 'number') return NUMBER_RULES[s.name]?.integer ? 'n' : 'x';
  if (s.choices) return s.choices.join('|');
  return STRING_PLACEHOLDERS[s.name] ?? 'text';
}

const listOf = (xs: readonly string[]): string =>
  xs.length === 1 ? xs[0]! : `${xs.slice(0, -1).join(', ')} or ${xs.at(-1)}`;

/** A commander command built from a verb's option schema: parsing, defaults and help all derive from `specs`. */
export function commandFor(name: string, summary: string, specs: readonly OptionSpec[]): Cmd {
  const cmd = new Cmd(`lcd-webgpu ${name}`)
    .description(summary)
    .helpOption('-h, --help', 'show this help')
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} })
    .configureHelp({ helpWidth: 118, sortOptions: false });
  for (const s of specs) {
    const flag = s.type === 'boolean' ? `--${s.name}` : `--${s.name} <${placeholderOf(s)}>`;
    const opt = new Option(flag, s.required ? `${s.help} (required)` : s.help);
    if (s.type === 'number')
      opt.argParser((v: string) => {
        const n = Number(v),
          rule = NUMBER_RULES[s.name];
        if (v.trim() === '' || !Number.isFinite(n))
          throw new UsageError(`option --${s.name} needs ${rule ? describeRule(rule) : 'a number'}, got '${v}'`);
        if (rule && !fitsRule(n, rule))
          throw new UsageError(`option --${s.name} needs ${describeRule(rule)}, got '${v}'`);
        return n;
      });
    const choices = s.choices;
    if (choices)
      opt.argParser((v: string) => {
        if (!choices.includes(v)) throw new UsageError(`--${s.name} must be ${listOf(choices)} (got '${v}')`);
        return v;
      });
    if (s.default !== undefined && s.default !== false) opt.default(s.default);
    cmd.addOption(opt);
  }
  return cmd;
}

/** `--flag=true|false` for booleans, as earlier versions accepted (commander takes only the bare flag). */
function normaliseBooleans(argv: string[], specs: readonly OptionSpec[]): string[] {
  const flags = new Set(specs.filter((s) => s.type === 'boolean').map((s) => s.name));
  return argv.flatMap((a) => {
    const m = /^--([^=]+)=(true|false)$/.exec(a);
    return m && flags.has(m[1]!) ? (m[2] === 'true' ? [`--${m[1]}`] : []) : [a];
  });
}

/**
 * Parse a verb's arguments into { optionName: value } with camel-cased names, defaults filled in and booleans false
 * when absent; bad input and a missing required option are UsageErrors.
 */
export function parseArgs<const Specs extends readonly OptionSpec[]>(
  argv: string[],
  specs: Specs,
  name = 'command',
): OptionValues<Specs> {
  return parseCommandLine(argv, specs, name).values;
}

/** parseArgs, plus the kebab names of the options typed on the command line (not filled in by a default). */
export function parseCommandLine<const Specs extends readonly OptionSpec[]>(
  argv: string[],
  specs: Specs,
  name = 'command',
): { values: OptionValues<Specs>; given: Set<string> } {
  const cmd = commandFor(name, '', specs);
  try {
    cmd.parse(normaliseBooleans(argv, specs), { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) throw new UsageError(e.message.replace(/^error: /, ''));
    throw e;
  }
  const parsed = cmd.opts() as Record<string, string | number | boolean>;
  const out: Record<string, string | number | boolean> = {},
    given = new Set<string>();
  for (const s of specs) {
    const key = cmd.options.find((o) => o.long === `--${s.name}`)!.attributeName();
    if (cmd.getOptionValueSource(key) === 'cli') given.add(s.name);
    const v = parsed[key] ?? (s.type === 'boolean' ? false : undefined);
    if (v === undefined && s.required) throw new UsageError(`${name} needs --${s.name} <${s.required}>`);
    if (v !== undefined) out[key] = v;
  }
  return { values: out as OptionValues<Specs>, given };
}

/** The verb's help text (usage line, summary, one line per option with its default), as commander formats it. */
export function commandHelp(name: string, summary: string, specs: readonly OptionSpec[]): string {
  return commandFor(name, summary, specs).helpInformation();
}
