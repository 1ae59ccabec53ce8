import { parseArgs as parseNodeArgs } from 'node:util';
import { UsageError } from './io';

export interface ParsedArgs {
  readonly positionals: readonly string[];
  readonly flags: ReadonlyMap<string, string | true>;
}

/** Node's parseArgs error codes, each a mistake on the command line. */
const NODE_USAGE_ERRORS: ReadonlySet<string> = new Set([
  'ERR_PARSE_ARGS_UNKNOWN_OPTION',
  'ERR_PARSE_ARGS_INVALID_OPTION_VALUE',
  'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL',
]);

/**
 * `--name value`, `--name=value` and boolean `--name` (and `-h` for `--help`), parsed by
 * `node:util` parseArgs in strict mode; `valued` lists the options that take a value. Unknown
 * options, a value given to a boolean, a missing or empty value and more than `maxPositionals`
 * positional arguments are usage errors, never ignored. `-` is a positional; `--` ends options.
 */
export function parseArgs(
  argv: readonly string[],
  valued: readonly string[],
  booleans: readonly string[],
  maxPositionals: number,
): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const name of valued) options[name] = { type: 'string' };
  for (const name of booleans)
    options[name] = name === 'help' ? { type: 'boolean', short: 'h' } : { type: 'boolean' };
  let parsed: ReturnType<typeof parseNodeArgs>;
  try {
    parsed = parseNodeArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !NODE_USAGE_ERRORS.has(code)) throw error;
    throw new UsageError(usageMessage(code, (error as Error).message, valued));
  }
  const flags = new Map<string, string | true>();
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value === undefined || value === false) continue;
    if (value === '') throw new UsageError(`--${name} needs a value`);
    flags.set(name, typeof value === 'string' ? value : true);
  }
  const extra = parsed.positionals.slice(maxPositionals);
  if (extra.length > 0)
    throw new UsageError(
      `unexpected argument${extra.length === 1 ? '' : 's'}: ${extra.map((a) => `"${a}"`).join(' ')}`,
    );
  return { positionals: parsed.positionals, flags };
}

/** Node's message names the option in quotes ('--name' or '-x'); say it the CLI's way. */
function usageMessage(code: string, message: string, valued: readonly string[]): string {
  const quoted = /'(-[^' ]*)/.exec(message)?.[1] ?? '';
  const name = quoted.replace(/^--?/, '').replace(/=.*$/, '');
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${quoted}`;
  if (valued.includes(name)) return `--${name} needs a value`;
  return `--${name} takes no value`;
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function intFlag(args: ParsedArgs, name: string, fallback: number, max: number): number {
  const v = stringFlag(args, name);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) > max)
    throw new UsageError(`--${name} must be a whole number from 0 to ${String(max)}`);
  return Number(v);
}
