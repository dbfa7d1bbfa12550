/**
 * The `flint` command: one entry point, one sub-command per module under src/cli/commands.
 * Each sub-command module exports `spec` (its command line, src/cli/args.ts) and
 * `run(argv) -> exit code`. Exit codes: 0 success, 1 the run failed (an expectation or a check),
 * 2 bad usage or bad input; each command's --help lists its own.
 */
import { readFileSync } from "node:fs";
import { closest, EXIT_USAGE, type CommandSpec } from "./args.js";

export interface SubCommand {
  spec: CommandSpec;
  run(argv: string[]): Promise<number>;
}

type Loader = () => Promise<SubCommand>;

/** The sub-commands, in the order the help lists them. */
export const COMMANDS: Record<string, Loader> = {
  sim: async () => (await import("./commands/sim.js")) as SubCommand,
  fuzz: async () => (await import("./commands/fuzz.js")) as SubCommand,
  shrink: async () => (await import("./commands/shrink.js")) as SubCommand,
  local: async () => (await import("./commands/local.js")) as SubCommand,
  master: async () => (await import("./commands/master.js")) as SubCommand,
  worker: async () => (await import("./commands/worker.js")) as SubCommand,
  submit: async () => (await import("./commands/submit.js")) as SubCommand,
  status: async () => (await import("./commands/status.js")) as SubCommand,
  view: async () => (await import("./commands/view.js")) as SubCommand,
  replay: async () => (await import("./commands/replay.js")) as SubCommand,
  chaos: async () => (await import("./commands/chaos.js")) as SubCommand,
  "web-token": async () => (await import("./commands/web-token.js")) as SubCommand,
};

/** The package's version, read from package.json beside dist/ (or src/) at run time. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "unknown";
}

export async function helpText(): Promise<string> {
  const lines = [
    "flint: a Spark-standalone-style cluster protocol as pure reducers",
    "",
    "Usage: flint <command> [options]",
    "       flint --help | --version",
    "",
    "Commands:",
  ];
  for (const [name, load] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(9)} ${(await load()).spec.summary}`);
  lines.push(
    "",
    "Options:",
    "  -h, --help     this help (`flint <command> --help` for a command's options)",
    "  -V, --version  print flint's version",
    "",
    "Every command takes --name value or --name=value; durations need a unit (500ms, 90s, 5m, 1h).",
    "",
    "Exit codes:",
    "  0  success",
    "  1  the run failed (an expectation, a check, the application)",
    "  2  bad usage (no or an unknown command, an unknown option, a bad value)",
    "  (each command's --help lists its own)",
    "",
    "Environment:",
    "  each command's --help lists the variables it reads (flint itself reads none)",
  );
  return lines.join("\n");
}

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-V") {
    process.stdout.write(`flint ${version()}\n`);
    return 0;
  }
  if (name === "help" && rest[0] !== undefined && Object.hasOwn(COMMANDS, rest[0])) return (await COMMANDS[rest[0]]!()).run(["--help"]);
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write((await helpText()) + "\n");
    return name === undefined ? EXIT_USAGE : 0;
  }
  const loader = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (loader === undefined) {
    const near = closest(name, Object.keys(COMMANDS));
    const nearOption = closest(name.replace(/^-+/, ""), ["help", "version"]);
    const what = name.startsWith("-")
      ? `unknown option ${name} (${nearOption !== undefined ? `did you mean --${nearOption}? ` : ""}a command's options go after it: flint <command> ${name})`
      : `unknown command '${name}'${near !== undefined ? ` (did you mean ${near}?)` : ""}`;
    process.stderr.write(`flint: ${what}\n\n${await helpText()}\n`);
    return EXIT_USAGE;
  }
  const command = await loader();
  return command.run(rest);
}
