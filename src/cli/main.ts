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
};

export function helpText(): string {
  const lines = ["flint: a Spark-standalone-style cluster protocol as pure reducers", "", "Usage: flint <command> [options]", "", "Commands:"];
  for (const name of Object.keys(COMMANDS)) lines.push(`  ${name}`);
  lines.push("", "Run `flint <command> --help` for a command's options.");
  return lines.join("\n");
}

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(helpText() + "\n");
    return name === undefined ? 2 : 0;
  }
  const loader = COMMANDS[name];
  if (!loader) {
    process.stderr.write(`flint: unknown command '${name}'\n\n${helpText()}\n`);
    return 2;
  }
  const command = await loader();
  return command.run(rest);
}
