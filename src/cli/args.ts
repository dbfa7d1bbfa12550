/**
 * The command line of every `flint` command: one declarative spec per command (its options, their
 * types, defaults, help lines and environment variables, its positional arguments, exit codes and
 * environment), one parser (node:util's parseArgs splits the words; the values are read here, so
 * that every error names the option, what was wrong and how to fix it), one UsageError (exit 2),
 * and the --help text generated from the spec.
 *
 * Every command reads options the same way: `--name value` or `--name=value`; `--` ends the
 * options (what follows is positional, or the application's own arguments where the command takes
 * them); `-h`/`--help` anywhere prints the help. Durations need a unit (500ms, 90s, 5m, 1h, 1m30s;
 * a bare 0 is the only number taken without one): `--until 90` is refused with a hint, never read
 * as milliseconds by one command and seconds by another.
 *
 * ADDING A FLAG: one entry in the command's `options`, e.g.
 *     "web-port": { type: "int", min: 0, max: 65535, value: "P", help: "port of the web UI", default: 8080 },
 * then read it, typed from the spec, as `args.options["web-port"]` (a number here; `number |
 * undefined` without a default). Types: boolean, string (optional `check`), int (min/max),
 * duration (ms; min/max), size (MiB, Spark's 512m/8g), enum (choices), strings (repeatable,
 * optional choices). `env: "FLINT_X"` reads the variable when the flag is absent (listed in the
 * help's Environment section by itself); `defaultHelp` describes a default the spec cannot hold.
 * ADDING A COMMAND: `export const spec = defineCommand({...})` and
 * `export const run = (argv: string[]) => runCommand(spec, argv, async (args) => { ...; return 0; })`
 * in src/cli/commands/<name>.ts, then one line in main.ts's COMMANDS. The help must say what each
 * exit code means (`exitCodes`) and which environment variables the command reads (`environment`;
 * an empty list prints "none").
 */
import { parseArgs } from "node:util";

/** Bad usage: the command prints the message with its usage line and exits 2. */
export class UsageError extends Error {}

/** The exit code of bad usage, for every command. */
export const EXIT_USAGE = 2;

interface OptionCommon {
  /** One line (or several, joined by "\n") for the help. */
  help: string;
  /** The value's placeholder in the help: `--seed N`. */
  value?: string;
  /** An environment variable read when the flag is absent (errors name the variable). */
  env?: string;
  /** The default as the help shows it, when `default` cannot say it (e.g. "one per core"). */
  defaultHelp?: string;
  /** A one-letter alias (`-o` for `--out`), for the few options people type all the time. */
  short?: string;
}

export type OptionSpec =
  | (OptionCommon & { type: "boolean" })
  | (OptionCommon & {
      type: "string";
      default?: string /** Why a value is refused ("is not a CPU list ..."), or undefined. */;
      check?: (text: string) => string | undefined;
    })
  | (OptionCommon & { type: "int"; default?: number; min?: number; max?: number })
  | (OptionCommon & { type: "duration" /** Milliseconds. */; default?: number; min?: number; max?: number })
  | (OptionCommon & { type: "size" /** MiB. */; default?: number })
  | (OptionCommon & {
      type: "enum";
      choices: readonly string[];
      default?: string /** What a choice is called in errors ("deploy mode"). */;
      noun?: string;
    })
  | (OptionCommon & { type: "strings"; choices?: readonly string[]; noun?: string });

export interface PositionalSpec {
  /** The placeholder in the usage line and errors: "scenario.json". */
  name: string;
  /** At least this many (default 0). */
  min?: number;
  /** At most this many (default 1; Infinity for a list). */
  max?: number;
  /** The message when a required one is missing ("missing the scenario file"). */
  missing?: string;
}

export interface EnvironmentSpec {
  name: string;
  help: string;
}

export interface CommandSpec {
  name: string;
  /** One line for `flint --help`. */
  summary: string;
  /** What follows `flint <name>` in the usage line: "<scenario.json> [options]". */
  usage: string;
  /** Paragraphs after the usage line. */
  description: string;
  options: Readonly<Record<string, OptionSpec>>;
  positionals?: PositionalSpec;
  /** `--` passes the rest to an application (its arguments); without it, what follows `--` is positional. */
  passThrough?: string;
  /** Exit codes and what each means; 2 (bad usage) is added when absent. */
  exitCodes: ReadonlyArray<readonly [number, string]>;
  /** Environment variables the command reads besides the options' own `env`. */
  environment: readonly EnvironmentSpec[];
  /** Text after the options (formats, examples). */
  footer?: string;
}

/** The value an option has after parsing, typed from its spec. */
export type OptionValue<O extends OptionSpec> = O extends { type: "boolean" }
  ? boolean
  : O extends { type: "strings" }
    ? string[]
    : O extends { type: "enum"; choices: readonly (infer C extends string)[] }
      ? O extends { default: string }
        ? C
        : C | undefined
      : O extends { type: "int" | "duration" | "size" }
        ? O extends { default: number }
          ? number
          : number | undefined
        : O extends { default: string }
          ? string
          : string | undefined;

export interface ParsedArgs<S extends CommandSpec> {
  options: { -readonly [K in keyof S["options"]]: OptionValue<S["options"][K]> };
  positionals: string[];
  /** What followed `--` (only for commands with `passThrough`). */
  rest: string[];
}

/** A command spec, kept literal so that `ParsedArgs` knows each option's type. */
export function defineCommand<const S extends CommandSpec>(spec: S): S {
  return spec;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|h|m|s))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
export const DURATION_EXAMPLES = "e.g. 500ms, 90s, 5m, 1h, 1m30s";

/** A duration in ms: `500ms`, `90s`, `1.5s`, `5m`, `1h`, `1m30s`, or a bare `0`. */
export function parseDuration(text: string, flag: string): number {
  const t = text.trim();
  if (/^0+(\.0+)?$/.test(t)) return 0;
  if (/^\d+(\.\d+)?$/.test(t)) throw new UsageError(`${flag} ${show(text)}: a duration needs a unit, e.g. ${t}s or ${t}ms`);
  if (!DURATION.test(t)) throw new UsageError(`${flag} ${show(text)}: not a duration (${DURATION_EXAMPLES})`);
  let ms = 0;
  for (const m of t.matchAll(DURATION_PART)) ms += Number(m[1]) * DURATION_UNITS[m[2]!]!;
  return Math.round(ms);
}

/** A duration as the command line takes it, in the largest unit that says it exactly: 5000 -> "5s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0";
  for (const unit of ["h", "m", "s"] as const) if (ms % DURATION_UNITS[unit]! === 0) return `${ms / DURATION_UNITS[unit]!}${unit}`;
  return `${ms}ms`;
}

/** Spark's memory strings in MiB: 512m, 8g, 1t, 64k, or a number of MiB. */
export function parseSizeMb(text: string, flag: string): number {
  const m = /^([0-9]+)([kmgt]?)b?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${flag} ${show(text)}: not a size (e.g. 512m, 8g)`);
  const n = Number(m[1]);
  const unit = (m[2] ?? "").toLowerCase();
  const mb = unit === "k" ? Math.ceil(n / 1024) : unit === "g" ? n * 1024 : unit === "t" ? n * 1024 * 1024 : n;
  if (mb < 1) throw new UsageError(`${flag} ${show(text)}: less than 1 MiB`);
  return mb;
}

/** A size in MiB as the command line takes it: 1024 -> "1g". */
export const formatSizeMb = (mb: number): string => (mb % 1024 === 0 ? `${mb / 1024}g` : `${mb}m`);

/** A value as an error shows it: bare when plain, quoted when empty or odd. */
function show(text: string): string {
  return /^[\w.:/,@+=%-]+$/.test(text) ? text : JSON.stringify(text);
}

/** Edit distance with a swap of two neighbours as one edit (`jsno` is one slip from `json`), for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest of `names` to `wrong`, when close enough to be a slip (or `wrong` is a prefix). */
export function closest(wrong: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const name of names) {
    const d = name.startsWith(wrong) && wrong.length >= 2 ? 0.5 : distance(wrong, name);
    if (d < bestDistance) (best = name), (bestDistance = d);
  }
  return bestDistance <= Math.max(1, Math.floor(wrong.length / 4)) ? best : undefined;
}

function readInt(text: string, flag: string, min: number | undefined, max: number | undefined): number {
  const t = text.trim();
  if (!/^[0-9]+$/.test(t) || !Number.isSafeInteger(Number(t))) throw new UsageError(`${flag} ${show(text)}: not a whole number`);
  const n = Number(t);
  if (min !== undefined && max !== undefined && (n < min || n > max))
    throw new UsageError(`${flag} ${n}: must be between ${min} and ${max}`);
  if (min !== undefined && n < min) throw new UsageError(`${flag} ${n}: must be at least ${min}`);
  if (max !== undefined && n > max) throw new UsageError(`${flag} ${n}: must be at most ${max}`);
  return n;
}

function readChoice(text: string, flag: string, choices: readonly string[], noun: string | undefined): string {
  if (choices.includes(text)) return text;
  const near = closest(text, choices);
  throw new UsageError(
    `${flag} ${show(text)}: unknown ${noun ?? "value"}${near !== undefined ? ` (did you mean ${near}?)` : ""} (known: ${choices.join(", ")})`,
  );
}

/** One value of an option, read by its type (`flag` is how errors name its source). */
function readValue(spec: Exclude<OptionSpec, { type: "boolean" }>, text: string, flag: string): unknown {
  switch (spec.type) {
    case "string": {
      const why = spec.check?.(text);
      if (why !== undefined) throw new UsageError(`${flag} ${show(text)}: ${why}`);
      return text;
    }
    case "int":
      return readInt(text, flag, spec.min, spec.max);
    case "duration": {
      const ms = parseDuration(text, flag);
      if (spec.min !== undefined && ms < spec.min)
        throw new UsageError(`${flag} ${show(text)}: must be at least ${formatDuration(spec.min)}`);
      if (spec.max !== undefined && ms > spec.max)
        throw new UsageError(`${flag} ${show(text)}: must be at most ${formatDuration(spec.max)}`);
      return ms;
    }
    case "size":
      return parseSizeMb(text, flag);
    case "enum":
      return readChoice(text, flag, spec.choices, spec.noun);
    case "strings":
      return spec.choices === undefined ? text : readChoice(text, flag, spec.choices, spec.noun);
    default: {
      const unreachable: never = spec;
      throw new Error(`unknown option type ${JSON.stringify(unreachable)}`);
    }
  }
}

/** The result of reading a command line: the help was asked for, or the arguments. */
export type CommandLine<S extends CommandSpec> = { help: true } | ({ help: false } & ParsedArgs<S>);

/**
 * Reads `argv` by `spec`; throws UsageError naming the first problem. Pure but for `env` (the
 * options' environment variables), so that tests and the README check can dry-run command lines.
 */
export function parseCommandLine<S extends CommandSpec>(
  spec: S,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): CommandLine<S> {
  const config: Record<string, { type: "string" | "boolean"; short?: string }> = { help: { type: "boolean", short: "h" } };
  for (const [name, o] of Object.entries(spec.options))
    config[name] = { type: o.type === "boolean" ? "boolean" : "string", ...(o.short !== undefined ? { short: o.short } : {}) };
  const { tokens } = parseArgs({ args: [...argv], options: config, strict: false, allowPositionals: true, tokens: true });
  // --help wins over any other problem on the line: someone unsure of the options asks for them.
  if (tokens.some((t) => t.kind === "option" && t.name === "help")) return { help: true };
  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  const rest: string[] = [];
  let afterTerminator = false;
  for (const token of tokens) {
    if (token.kind === "option-terminator") {
      afterTerminator = true;
      continue;
    }
    if (token.kind === "positional") {
      if (afterTerminator && spec.passThrough !== undefined) rest.push(token.value);
      else positionals.push(token.value);
      continue;
    }
    // Own properties only: `--constructor` is no option of any command.
    const o = Object.hasOwn(spec.options, token.name) ? spec.options[token.name] : undefined;
    if (o === undefined || !(token.rawName.startsWith("--") || (o.short !== undefined && token.rawName === `-${o.short}`))) {
      // `-seed` reaches here as the short options s, e, e, d: name the word as it was typed.
      const typed = argv[token.index]!.split("=")[0]!;
      const near = closest(typed.replace(/^-+/, ""), Object.keys(spec.options));
      throw new UsageError(`unknown option ${typed}${near !== undefined ? ` (did you mean --${near}?)` : ""}`);
    }
    const flag = `--${token.name}`;
    if (o.type === "boolean") {
      if (token.value !== undefined) throw new UsageError(`${flag} takes no value (got ${flag}=${token.value})`);
      values[token.name] = true;
      continue;
    }
    // parseArgs takes the next word as the value whatever it is; a following option means the value is missing.
    if (token.value === undefined || (token.inlineValue === false && token.value.startsWith("--"))) {
      throw new UsageError(`${flag} needs a value${o.value !== undefined ? ` (${flag} ${o.value})` : ""}`);
    }
    const value = readValue(o, token.value, flag);
    if (o.type === "strings") ((values[token.name] ??= []) as unknown[]).push(value);
    else values[token.name] = value;
  }
  for (const [name, o] of Object.entries(spec.options)) {
    if (values[name] !== undefined) continue;
    const fromEnv = o.env !== undefined ? env[o.env] : undefined;
    if (fromEnv !== undefined && fromEnv.trim() !== "") {
      values[name] =
        o.type === "boolean"
          ? fromEnv !== "0" && fromEnv !== "false"
          : o.type === "strings"
            ? [readValue(o, fromEnv, o.env!)]
            : readValue(o, fromEnv, o.env!);
      continue;
    }
    values[name] = o.type === "boolean" ? false : o.type === "strings" ? [] : "default" in o ? o.default : undefined;
  }
  const p = spec.positionals;
  const max = p?.max ?? (p === undefined ? 0 : 1);
  if (positionals.length < (p?.min ?? 0)) throw new UsageError(p?.missing ?? `missing ${p?.name}`);
  if (positionals.length > max) {
    throw new UsageError(
      max === 1 ? `one ${p!.name} at a time (got ${positionals[0]} and ${positionals[1]})` : `unexpected argument '${positionals[max]!}'`,
    );
  }
  return { help: false, options: values as ParsedArgs<S>["options"], positionals, rest };
}

/** The widest the names column gets (longer names put their text on the next line), and the page width. */
const HELP_COLUMN = 22;
const ENV_COLUMN = 28;
const HELP_WIDTH = 100;
const HELP_ENTRY: readonly [string, string] = ["-h, --help", "this help"];

function defaultText(o: OptionSpec): string | undefined {
  if (o.defaultHelp !== undefined) return o.defaultHelp;
  if (!("default" in o) || o.default === undefined) return undefined;
  switch (o.type) {
    case "duration":
      return formatDuration(o.default);
    case "size":
      return formatSizeMb(o.default);
    default:
      return String(o.default);
  }
}

/** A line cut at spaces to `width`, its continuations indented as the line is (plus two under a list's first line). */
function wrap(line: string, width: number): string[] {
  const indent = /^ */.exec(line)![0];
  const out: string[] = [];
  let rest = line;
  while (rest.length > width) {
    const cut = rest.lastIndexOf(" ", width);
    if (cut <= indent.length) break;
    out.push(rest.slice(0, cut));
    rest = indent + rest.slice(cut + 1).trimStart();
  }
  out.push(rest);
  return out;
}

/** Two columns: the names, then their text (cut to the page), continuation lines indented under it. */
function columns(rows: ReadonlyArray<readonly [string, string]>, maxColumn = HELP_COLUMN): string[] {
  const width = Math.min(maxColumn, Math.max(...rows.map(([left]) => left.length)) + 2);
  const pad = " ".repeat(width);
  const out: string[] = [];
  for (const [left, text] of rows) {
    const lines = text.split("\n").flatMap((l) => wrap(l, HELP_WIDTH - 2 - width));
    if (left.length + 2 > width) out.push(`  ${left}`, ...lines.map((l) => `  ${pad}${l}`));
    else out.push(`  ${left.padEnd(width)}${lines[0]}`, ...lines.slice(1).map((l) => `  ${pad}${l}`));
  }
  return out;
}

/** The exit codes a command documents, with 2 (bad usage) when it does not say. */
function exitCodesOf(spec: CommandSpec): ReadonlyArray<readonly [number, string]> {
  const codes = [...spec.exitCodes];
  if (!codes.some(([code]) => code === EXIT_USAGE)) codes.push([EXIT_USAGE, "bad usage (an unknown option, a bad value)"]);
  return codes.sort(([a], [b]) => a - b);
}

/** The environment variables a command reads: its own list and its options' `env`. */
export function environmentOf(spec: CommandSpec): EnvironmentSpec[] {
  const vars: EnvironmentSpec[] = [];
  for (const [name, o] of Object.entries(spec.options))
    if (o.env !== undefined) vars.push({ name: o.env, help: `the default of --${name}` });
  for (const e of spec.environment) if (!vars.some((v) => v.name === e.name)) vars.push(e);
  return vars;
}

export function usageLine(spec: CommandSpec): string {
  return `Usage: flint ${spec.name} ${spec.usage}`;
}

/** The --help text, generated from the spec. */
export function helpText(spec: CommandSpec): string {
  const rows: Array<readonly [string, string]> = Object.entries(spec.options).map(([name, o]) => {
    const left = `${o.short !== undefined ? `-${o.short}, ` : ""}--${name}${o.type === "boolean" ? "" : ` ${o.value ?? defaultPlaceholder(o)}`}`;
    const extras = [
      o.type === "strings" ? "repeatable" : undefined,
      defaultText(o) !== undefined ? `default: ${defaultText(o)}` : undefined,
      o.env !== undefined ? `env ${o.env}` : undefined,
    ].filter((x) => x !== undefined);
    const choices = (o.type === "enum" || o.type === "strings") && o.choices !== undefined ? `\none of: ${o.choices.join(", ")}` : "";
    // On a help of several lines, the default goes on a line of its own rather than after the last.
    const extraText = extras.length === 0 ? "" : `${o.help.includes("\n") ? "\n" : " "}(${extras.join("; ")})`;
    return [left, `${o.help}${extraText}${choices}`];
  });
  rows.push(HELP_ENTRY);
  const lines = [usageLine(spec), "", spec.description, "", "Options:", ...columns(rows)];
  if (spec.footer !== undefined) lines.push("", spec.footer);
  lines.push("", "Exit codes:", ...columns(exitCodesOf(spec).map(([code, text]) => [String(code), text])));
  const env = environmentOf(spec);
  lines.push(
    "",
    "Environment:",
    ...(env.length === 0
      ? ["  none (this command reads no environment variable)"]
      : columns(
          env.map((e) => [e.name, e.help]),
          ENV_COLUMN,
        )),
  );
  return lines.join("\n");
}

function defaultPlaceholder(o: Exclude<OptionSpec, { type: "boolean" }>): string {
  switch (o.type) {
    case "int":
      return "N";
    case "duration":
      return "T";
    case "size":
      return "M";
    case "enum":
      return "MODE";
    case "string":
    case "strings":
      return "VALUE";
    default: {
      const unreachable: never = o;
      return String(unreachable);
    }
  }
}

/** How a command reports bad usage: the problem, the usage line, where the options are. */
export function usageErrorText(spec: CommandSpec, err: UsageError): string {
  return `flint ${spec.name}: ${err.message}\n${usageLine(spec)}\nRun \`flint ${spec.name} --help\` for every option.\n`;
}

/**
 * Runs a command: reads its command line (printing the help on -h/--help), then `body`. A
 * UsageError from either prints the problem and the usage line, and exits 2.
 */
/**
 * Parses `argv` by `spec` and runs `body`; a UsageError (from the parser, `expand` or `body`)
 * prints the message with the usage line and exits 2. `expand`: what the command line stands for
 * before it is parsed (e.g. a config file's options put in front of the flags, which override them).
 */
export async function runCommand<S extends CommandSpec>(
  spec: S,
  argv: readonly string[],
  body: (args: ParsedArgs<S>) => Promise<number>,
  expand?: (argv: readonly string[]) => readonly string[],
): Promise<number> {
  try {
    const wantsHelp = argv.includes("--help") || argv.includes("-h");
    const line = parseCommandLine(spec, expand === undefined || wantsHelp ? argv : expand(argv), process.env);
    if (line.help) {
      process.stdout.write(helpText(spec) + "\n");
      return 0;
    }
    return await body(line);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(usageErrorText(spec, err));
      return EXIT_USAGE;
    }
    throw err;
  }
}
