// Command-line options declared as typed schemas (OptionSpec), parsed and documented by commander: --name value,
// --name=value, --flag; unknown options and malformed numbers are usage errors (exit 2) that say what to pass.
import { Command as Cmd, Option, CommanderError } from 'commander';

export interface OptionSpec {
  name: string;
  type: 'string' | 'number' | 'boolean';
  help: string;
  default?: string | number | boolean;
}

export interface Command {
  summary: string;
  options: OptionSpec[];
  run: (o: Record<string, string | number | boolean>) => Promise<void>;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** A commander command built from a verb's option schema: parsing, defaults and help all derive from `specs`. */
export function commandFor(name: string, summary: string, specs: OptionSpec[]): Cmd {
  const cmd = new Cmd(`lcd-webgpu ${name}`)
    .description(summary)
    .helpOption('-h, --help', 'show this help')
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} })
    .configureHelp({ helpWidth: 118, sortOptions: false });
  for (const s of specs) {
    const flag = s.type === 'boolean' ? `--${s.name}` : `--${s.name} <${s.type}>`;
    const opt = new Option(flag, s.help);
    if (s.type === 'number')
      opt.argParser((v: string) => {
        const n = Number(v);
        if (v.trim() === '' || !Number.isFinite(n))
          throw new UsageError(`option --${s.name} needs a number, got '${v}'`);
        return n;
      });
    if (s.default !== undefined && s.default !== false) opt.default(s.default);
    cmd.addOption(opt);
  }
  return cmd;
}

/** `--flag=true|false` for booleans, as earlier versions accepted (commander takes only the bare flag). */
function normaliseBooleans(argv: string[], specs: OptionSpec[]): string[] {
  const flags = new Set(specs.filter((s) => s.type === 'boolean').map((s) => s.name));
  return argv.flatMap((a) => {
    const m = /^--([^=]+)=(true|false)$/.exec(a);
    return m && flags.has(m[1]!) ? (m[2] === 'true' ? [`--${m[1]}`] : []) : [a];
  });
}

/** Parse a verb's arguments into { 'option-name': value } (defaults filled in); bad input is a UsageError. */
export function parseArgs(
  argv: string[],
  specs: OptionSpec[],
  name = 'command',
): Record<string, string | number | boolean> {
  const cmd = commandFor(name, '', specs);
  try {
    cmd.parse(normaliseBooleans(argv, specs), { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) throw new UsageError(e.message.replace(/^error: /, ''));
    throw e;
  }
  const parsed = cmd.opts() as Record<string, string | number | boolean>;
  const out: Record<string, string | number | boolean> = {};
  for (const s of specs) {
    const v = parsed[cmd.options.find((o) => o.long === `--${s.name}`)!.attributeName()];
    if (v !== undefined) out[s.name] = v;
  }
  return out;
}

/** The verb's help text (usage line, summary, one line per option with its default), as commander formats it. */
export function commandHelp(name: string, summary: string, specs: OptionSpec[]): string {
  return commandFor(name, summary, specs).helpInformation();
}

/** The option's value if it is one of `allowed`; otherwise a usage error listing them. */
export function choice<C extends string>(
  o: Record<string, string | number | boolean>,
  k: string,
  allowed: readonly C[],
): C {
  const v = String(o[k]);
  if (!(allowed as readonly string[]).includes(v))
    throw new UsageError(`--${k} must be ${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)} (got '${v}')`);
  return v as C;
}
