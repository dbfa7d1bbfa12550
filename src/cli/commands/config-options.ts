/**
 * `--config FILE` for master, worker, submit and status (src/real/configFile.ts). The file's section
 * becomes options placed before the command line's own, so that every flag given overrides it (a
 * later value wins) and every value goes through the same parser and checks as a typed flag; its
 * `secretFile` is `--secret-file`, and its `protocol` goes under FLINT_PROTOCOL_CONFIG (which
 * overrides it) for this process and its children.
 */
import { ConfigFileError, DEFAULT_CONFIG_FILE, loadConfigFile, type ConfigFile, type Section } from "../../real/configFile.js";
import { PROTOCOL_ENV } from "../../real/runtime.js";
import { UsageError } from "../args.js";

export const CONFIG_OPTION = {
  type: "string",
  value: "F",
  help: `a config file (JSON; default ${DEFAULT_CONFIG_FILE} when it exists); flags override it`,
} as const;

/** The `--config` a command line names, if any (before it is parsed: the file's options go in front of it). */
function configPath(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") return undefined;
    if (a === "--config") return argv[i + 1];
    if (a.startsWith("--config=")) return a.slice("--config=".length);
  }
  return undefined;
}

/**
 * The command line with the config file's options in front, and the file (undefined when there is
 * none). A file that cannot be read or checked is a usage error naming the file and the key.
 */
export function withConfigFile(
  argv: readonly string[],
  section: Section,
  env: NodeJS.ProcessEnv = process.env,
): { argv: string[]; file: ConfigFile | undefined } {
  let file: ConfigFile | undefined;
  try {
    file = loadConfigFile(configPath(argv));
  } catch (err) {
    if (err instanceof ConfigFileError) throw new UsageError(`--config: ${err.message}`);
    throw err;
  }
  if (file === undefined) return { argv: [...argv], file };
  const front: string[] = [];
  if (file.secretFile !== undefined) front.push(`--secret-file=${file.secretFile}`);
  for (const [flag, value] of Object.entries(file.flags[section])) {
    if (section === "worker" && flag === "masters") continue; // the worker's positional: see `configMasters`
    front.push(`--${flag}=${value}`);
  }
  for (const flag of file.switches[section]) front.push(`--${flag}`);
  if (Object.keys(file.protocol).length > 0) {
    const text = env[PROTOCOL_ENV];
    let fromEnv: Record<string, unknown> = {};
    if (text !== undefined && text.trim() !== "") {
      try {
        fromEnv = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return { argv: [...front, ...argv], file }; // protocolConfigFromEnv names the bad variable
      }
    }
    env[PROTOCOL_ENV] = JSON.stringify({ ...file.protocol, ...fromEnv });
  }
  return { argv: [...front, ...argv], file };
}

/** The worker's master URL from its config file (`worker.masters`), used when the command line gives none. */
export function configMasters(file: ConfigFile | undefined): string | undefined {
  return file?.flags.worker["masters"];
}
