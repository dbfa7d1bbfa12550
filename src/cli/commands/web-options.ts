/**
 * The web UI options of `flint master`, `flint worker` and `flint submit`, in one place:
 *   --web-port P   the UI's port (default: Spark's, 8080 / 8081 / 4040; 0: any free port; off: no UI)
 *   --web-host H   the address it listens on (default 127.0.0.1; off loopback the secret guards it)
 */
import { isLoopbackHost } from "../../real/address.js";
import { UsageError } from "../args.js";

/** The two options, for a command whose UI defaults to `defaultPort`. */
export function webOptions(defaultPort: number) {
  return {
    "web-port": {
      type: "string",
      value: "P",
      default: String(defaultPort),
      help: "the web UI, JSON API and /metrics (or the next free of 16; 0: any free port;\noff: none)",
      check: (text: string): string | undefined =>
        text === "off" || (/^[0-9]+$/.test(text) && Number(text) <= 65535) ? undefined : "is neither a port (0-65535) nor off",
    },
    "web-host": {
      type: "string",
      value: "H",
      default: "127.0.0.1",
      help: "address of the web UI (off loopback it needs --secret-file, and a browser\nlogs in with `flint web-token`)",
    },
  } as const;
}

export function webOption(portText: string, host: string, hasSecret: boolean): { host: string; port: number } | undefined {
  if (portText === "off") return undefined;
  if (!isLoopbackHost(host) && !hasSecret)
    throw new UsageError(`--web-host ${host} is not a loopback address: give --secret-file (it guards the web UI off loopback)`);
  return { host, port: Number(portText) };
}
