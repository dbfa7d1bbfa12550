/**
 * The `flint` command: one entry point, one sub-command per module under src/cli/commands.
 * Each sub-command module exports `summary` (one line for the help) and `run(argv) -> exit code`.
 * Exit codes: 0 success, 1 the run failed (an expectation or a check), 2 bad usage or bad input.
 */
export interface SubCommand {
  summary: string;
  run(argv: string[]): Promise<number>;
}

type Loader = () => Promise<SubCommand>;

/** The sub-commands, in the order the help lists them. */
const COMMANDS: Record<string, Loader> = {
  sim: async () => (await import("./commands/sim.js")) as SubCommand,
  fuzz: async () => (await import("./commands/fuzz.js")) as SubCommand,
  shrink: async () => (await import("./commands/shrink.js")) as SubCommand,
  local: async () => (await import("./commands/local.js")) as SubCommand,
  master: async () => (await import("./commands/master.js")) as SubCommand,
  worker: async () => (await import("./commands/worker.js")) as SubCommand,
  submit: async () => (await import("./commands/submit.js")) as SubCommand,
  status: async () => (await import("./commands/status.js")) as SubCommand,
  replay: async () => (await import("./commands/replay.js")) as SubCommand,
};

export async function helpText(): Promise<string> {
  const lines = ["flint: a Spark-standalone-style cluster protocol as pure reducers", "", "Usage: flint <command> [options]", "", "Commands:"];
  for (const [name, load] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(8)} ${(await load()).summary}`);
  lines.push("", "Run `flint <command> --help` for a command's options.");
  return lines.join("\n");
}

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write((await helpText()) + "\n");
    return name === undefined ? 2 : 0;
  }
  const loader = COMMANDS[name];
  if (!loader) {
    process.stderr.write(`flint: unknown command '${name}'\n\n${await helpText()}\n`);
    return 2;
  }
  const command = await loader();
  return command.run(rest);
}
