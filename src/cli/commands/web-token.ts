/** `flint web-token --secret-file F`: prints the token that opens the web UI off loopback. */
import { webToken } from "../../real/web/auth.js";
import { defineCommand, runCommand, UsageError } from "../args.js";
import { secretOption } from "./cluster-options.js";

export const spec = defineCommand({
  name: "web-token",
  summary: "print the token that opens the web UI off loopback (derived from the secret)",
  usage: "--secret-file F",
  description: `Prints the web token of the cluster's secret: an HMAC of a fixed label under the secret, never
the secret itself. Paste it into the web UI's login form, or send it as
"Authorization: Bearer TOKEN" (a Prometheus scraper: authorization.credentials_file).`,
  options: {
    "secret-file": { type: "string", value: "F", help: "the cluster's shared secret (required)" },
  },
  exitCodes: [
    [0, "the token was printed"],
    [2, "bad usage (no --secret-file, or a secret file that cannot be used)"],
  ],
  environment: [],
});

export function run(argv: string[]): Promise<number> {
  return runCommand(spec, argv, async ({ options }) => {
    const secret = secretOption(options["secret-file"]);
    if (secret === undefined) throw new UsageError("--secret-file is required");
    process.stdout.write(webToken(secret) + "\n");
    return 0;
  });
}
