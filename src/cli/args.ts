// A small, strict argument parser: --name value / --name=value / --flag; unknown options are errors.

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

export function parseArgs(argv: string[], specs: OptionSpec[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const s of specs) if (s.default !== undefined) out[s.name] = s.default;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument '${a}'`);
    const [key, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    const spec = specs.find((s) => s.name === key);
    if (!spec) throw new UsageError(`unknown option --${key} (known: ${specs.map((s) => '--' + s.name).join(', ')})`);
    if (spec.type === 'boolean') {
      out[key] = inline === undefined ? true : inline !== 'false';
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined) throw new UsageError(`option --${key} needs a value`);
    if (spec.type === 'number') {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new UsageError(`option --${key} needs a number, got '${v}'`);
      out[key] = n;
    } else out[key] = v;
  }
  return out;
}

export function optionsHelp(specs: OptionSpec[]): string {
  return specs
    .map(
      (s) =>
        `  --${s.name}${s.type === 'boolean' ? '' : ` <${s.type}>`}`.padEnd(28) +
        s.help +
        (s.default !== undefined && s.default !== false ? ` (default ${s.default})` : ''),
    )
    .join('\n');
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
