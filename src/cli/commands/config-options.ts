/**
 * `--config FILE` for master, worker, submit and status (src/real/configFile.ts): the file's
 * section fills in every option the flags left out, so flags override the file; its `protocol`
 * goes under FLINT_PROTOCOL_CONFIG (which overrides it) for this process and its children.
 */
import { ConfigFileError, loadConfigFile, type ConfigFile, type Section } from "../../real/configFile.js";
import { PROTOCOL_ENV } from "../../real/cluster/runtime.js";
import { UsageError, type Parsed } from "./cluster-options.js";

export const CONFIG_HELP = `  --config F          a config file (JSON; default /etc/flint/flint.json when it exists);
                      flags override it`;

export function applyConfigFile(parsed: Parsed, section: Section, env: NodeJS.ProcessEnv = process.env): ConfigFile | undefined {
  let file: ConfigFile | undefined;
  try {
    file = loadConfigFile(parsed.values["config"]);
  } catch (err) {
    if (err instanceof ConfigFileError) throw new UsageError(`--config: ${err.message}`);
    throw err;
  }
  if (file === undefined) return undefined;
  for (const [flag, value] of Object.entries(file.flags[section])) if (parsed.values[flag] === undefined) parsed.values[flag] = value;
  for (const flag of file.switches[section]) parsed.flags.add(flag);
  if (file.secretFile !== undefined && parsed.values["secret-file"] === undefined) parsed.values["secret-file"] = file.secretFile;
  if (Object.keys(file.protocol).length > 0) {
    let fromEnv: Record<string, unknown> = {};
    const text = env[PROTOCOL_ENV];
    if (text !== undefined && text.trim() !== "") {
      try {
        fromEnv = JSON.parse(text) as Record<string, unknown>;
      } catch {
        fromEnv = {}; // protocolConfigFromEnv reports it by name below
        return file;
      }
    }
    env[PROTOCOL_ENV] = JSON.stringify({ ...file.protocol, ...fromEnv });
  }
  return file;
}
