/**
 * Option parsing shared by the real-cluster commands (master, worker, submit, status, local):
 * `--name value` or `--name=value`, flags, positionals, and errors that name the argument.
 * Not a sub-command itself (main.ts lists the commands).
 */
import { availableParallelism, totalmem } from "node:os";
import { AddressError, parseAddressList } from "../../real/address.js";
import { readSecretFile, SecretFileError } from "../../real/handshake.js";
import type { Address } from "../../protocol/ids.js";

export class UsageError extends Error {}

export interface OptionSpec {
  /** Options that take a value. */
  values: readonly string[];
  /** Options that are flags. */
  flags: readonly string[];
}

export interface Parsed {
  values: Record<string, string>;
  flags: Set<string>;
  positionals: string[];
  /** What follows `--` (the application's own arguments). */
  rest: string[];
  help: boolean;
}

export function parseOptions(argv: readonly string[], spec: OptionSpec, options: { stopAtFirstPositional?: boolean } = {}): Parsed {
  const parsed: Parsed = { values: {}, flags: new Set(), positionals: [], rest: [], help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      parsed.rest = argv.slice(i + 1);
      break;
    }
    if (arg === "-h" || arg === "--help") {
      parsed.help = true;
      continue;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (spec.flags.includes(name)) {
        if (eq >= 0) throw new UsageError(`--${name} takes no value`);
        parsed.flags.add(name);
        continue;
      }
      if (!spec.values.includes(name)) throw new UsageError(`unknown option --${name}`);
      let value: string | undefined;
      if (eq >= 0) value = arg.slice(eq + 1);
      else {
        value = argv[i + 1];
        if (value === undefined || value.startsWith("--")) throw new UsageError(`--${name} needs a value`);
        i++;
      }
      parsed.values[name] = value;
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) throw new UsageError(`unknown option ${arg}`);
    parsed.positionals.push(arg);
    if (options.stopAtFirstPositional && parsed.positionals.length === 1) {
      // Everything after the application is its own (as spark-submit does).
      const tail = argv.slice(i + 1);
      const dashdash = tail.indexOf("--");
      if (dashdash < 0) {
        const reparsed = parseOptions(tail, spec);
        if (reparsed.help) parsed.help = true;
        Object.assign(parsed.values, reparsed.values);
        for (const f of reparsed.flags) parsed.flags.add(f);
        parsed.positionals.push(...reparsed.positionals);
        parsed.rest = reparsed.rest;
        break;
      }
    }
  }
  return parsed;
}

export function integerOption(parsed: Parsed, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = parsed.values[name];
  if (text === undefined) return fallback;
  if (!/^[0-9]+$/.test(text)) throw new UsageError(`--${name}: '${text}' is not a whole number`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`--${name}: ${n} is outside ${min}..${max}`);
  return n;
}

export function optionalInteger(parsed: Parsed, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  return parsed.values[name] === undefined ? undefined : integerOption(parsed, name, 0, min, max);
}

/** Spark's memory strings: 512m, 8g, 1t, or a number of MiB. */
export function parseMemoryMb(text: string, name: string): number {
  const m = /^([0-9]+)([kmgt]?)b?$/i.exec(text.trim());
  if (!m) throw new UsageError(`--${name}: '${text}' is not a size (e.g. 512m, 8g)`);
  const n = Number(m[1]);
  const unit = (m[2] ?? "").toLowerCase();
  const mb = unit === "k" ? Math.ceil(n / 1024) : unit === "g" ? n * 1024 : unit === "t" ? n * 1024 * 1024 : n;
  if (mb < 1) throw new UsageError(`--${name}: '${text}' is less than 1 MiB`);
  return mb;
}

export function memoryOption(parsed: Parsed, name: string, fallbackMb: number): number {
  const text = parsed.values[name];
  return text === undefined ? fallbackMb : parseMemoryMb(text, name);
}

export function mastersOption(text: string | undefined, name: string): Address[] {
  if (text === undefined) throw new UsageError(`${name} is required (flint://host:port)`);
  try {
    return parseAddressList(text);
  } catch (err) {
    if (err instanceof AddressError) throw new UsageError(`${name}: ${err.message}`);
    throw err;
  }
}

export function secretOption(parsed: Parsed): string | undefined {
  const file = parsed.values["secret-file"];
  if (file === undefined) return undefined;
  try {
    return readSecretFile(file);
  } catch (err) {
    if (err instanceof SecretFileError) throw new UsageError(`--secret-file: ${err.message}`);
    throw err;
  }
}

/** Spark's worker defaults: every core; all memory but 1 GiB (at least 1 GiB). */
export const defaultCores = (): number => availableParallelism();
export const defaultMemoryMb = (): number => Math.max(1024, Math.floor(totalmem() / (1024 * 1024)) - 1024);

/** Runs a command body, turning usage errors into exit 2 with the command's usage. */
export async function withUsage(command: string, usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`flint ${command}: ${err.message}\n\n${usage}\n`);
      return 2;
    }
    throw err;
  }
}
