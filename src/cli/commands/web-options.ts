/**
 * The web UI options of `flint master`, `flint worker` and `flint submit`, in one place:
 *   --web-port P   the UI's port (default: Spark's, 8080 / 8081 / 4040; 0: any free port; off: no UI)
 *   --web-host H   the address it listens on (default 127.0.0.1; off loopback the secret guards it)
 */
import { isLoopbackHost } from "../../real/address.js";
import { UsageError, type Parsed } from "./cluster-options.js";

export const WEB_OPTION_NAMES = ["web-port", "web-host"] as const;

/** The help lines, aligned to a command's option column (`column`: where descriptions start). */
export function webOptionsHelp(defaultPort: number, column = 22): string {
  const pad = (flag: string): string => `  ${flag}`.padEnd(column);
  const more = " ".repeat(column);
  return [
    `${pad("--web-port P")}the web UI, JSON API and /metrics (default ${defaultPort}, or the next`,
    `${more}free of 16; 0: any free port; off: none)`,
    `${pad("--web-host H")}address of the web UI (default 127.0.0.1; off loopback it needs`,
    `${more}--secret-file, and a browser logs in with \`flint web-token\`)`,
  ].join("\n");
}

export function webOption(parsed: Parsed, defaultPort: number, hasSecret: boolean): { host: string; port: number } | undefined {
  const portText = parsed.values["web-port"];
  if (portText === "off") return undefined;
  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^[0-9]+$/.test(portText) || Number(portText) > 65535) throw new UsageError(`--web-port: '${portText}' is neither a port (0-65535) nor off`);
    port = Number(portText);
  }
  const host = parsed.values["web-host"] ?? "127.0.0.1";
  if (!isLoopbackHost(host) && !hasSecret) throw new UsageError(`--web-host ${host} is not a loopback address: give --secret-file (it guards the web UI off loopback)`);
  return { host, port };
}
