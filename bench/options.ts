// The options of the developer harnesses (npm run bench, bench:overload, soak, fuzz, bench:pose,
// bench:blur, bench:transports, engines-ab): every harness's usage behind --help, and a usage error
// (exit 2) for an unknown or misspelt option, a number option without `=value` or with a bad value,
// before any work starts.

import { parseArgs } from 'node:util';
import { parseArgsMessage } from '../bin/args';
import { quote } from '../core/quote';

/** The exit status of a usage error, as the facelive command's. */
export const USAGE_ERROR = 2;

export interface NumberOption {
  /** The value without the option; undefined for an option with no default (absent unless given). */
  readonly fallback?: number;
  /** The smallest value taken. */
  readonly min: number;
  /** True when the value must be above min rather than at least min. */
  readonly aboveMin?: boolean;
  readonly integer?: boolean;
}

export interface HarnessSpec {
  /** The usage printed by --help and after a usage error. */
  readonly usage: string;
  /** Options written `--name=N`. */
  readonly numbers?: Readonly<Record<string, NumberOption>>;
  /** Options without a value, e.g. `--json`. */
  readonly flags?: readonly string[];
  /** True for a harness that takes folders or checkouts after its options. */
  readonly positionals?: boolean;
}

export interface HarnessArgs {
  readonly numbers: Readonly<Record<string, number | undefined>>;
  readonly flags: ReadonlySet<string>;
  readonly positionals: readonly string[];
}

/** An argument a harness refuses: the message says which and why. */
export class UsageError extends Error {}

/** The arguments of a harness, 'help' for -h/--help, or a UsageError. Pure: prints nothing. */
export function parseHarnessArgs(spec: HarnessSpec, argv: readonly string[]): HarnessArgs | 'help' {
  const numbers = spec.numbers ?? {};
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const name of Object.keys(numbers)) options[name] = { type: 'string' };
  for (const name of spec.flags ?? []) options[name] = { type: 'boolean' };
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: spec.positionals === true, tokens: true });
  } catch (err) {
    throw new UsageError(parseArgsMessage(err));
  }
  if (parsed.values.help === true) return 'help';
  const values: Record<string, number | undefined> = {};
  for (const token of parsed.tokens) {
    // `--count 5` would read on as `--count=5`; the harnesses document `--name=N` only.
    if (token.kind === 'option' && token.name in numbers && !token.inlineValue) throw new UsageError(`--${token.name} takes a value written with '=': --${token.name}=N.`);
  }
  for (const [name, option] of Object.entries(numbers)) {
    const text = parsed.values[name];
    values[name] = typeof text === 'string' ? numberValue(name, text, option) : option.fallback;
  }
  const flags = new Set((spec.flags ?? []).filter((name) => parsed.values[name] === true));
  return { numbers: values, flags, positionals: parsed.positionals };
}

function numberValue(name: string, text: string, option: NumberOption): number {
  const value = text.trim() === '' ? Number.NaN : Number(text);
  const bound = option.aboveMin ? `above ${option.min}` : `at least ${option.min}`;
  const kind = option.integer ? 'a whole number' : 'a number';
  const valid = Number.isFinite(value) && (option.aboveMin ? value > option.min : value >= option.min) && (!option.integer || Number.isInteger(value));
  if (!valid) throw new UsageError(`--${name} must be ${kind} ${bound}, not ${quote(text)}.`);
  return value;
}

/**
 * The arguments of a harness from process.argv: prints the usage and exits 0 for --help, prints the
 * message and the usage and exits USAGE_ERROR for an argument it refuses.
 */
export function harnessArgs(name: string, spec: HarnessSpec, argv: readonly string[] = process.argv.slice(2)): HarnessArgs {
  try {
    const args = parseHarnessArgs(spec, argv);
    if (args !== 'help') return args;
    process.stdout.write(spec.usage);
    process.exit(0);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    refuse(name, err.message, spec.usage);
  }
}

/** Prints a usage error of a harness and exits USAGE_ERROR. */
export function refuse(name: string, message: string, usage: string): never {
  process.stderr.write(`${name}: ${message}\n\n${usage}`);
  process.exit(USAGE_ERROR);
}
