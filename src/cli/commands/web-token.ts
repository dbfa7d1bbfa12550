/** `flint web-token --secret-file F`: prints the token that opens the web UI off loopback. */
import { webToken } from "../../real/web/auth.js";
import { parseOptions, secretOption, UsageError, withUsage } from "./cluster-options.js";

export const summary = "print the token that opens the web UI off loopback (derived from the secret)";

const USAGE = `Usage: flint web-token --secret-file F

Prints the web token of the cluster's secret: an HMAC of a fixed label under the secret, never
the secret itself. Paste it into the web UI's login form, or send it as
"Authorization: Bearer TOKEN" (a Prometheus scraper: authorization.credentials_file).

Options:
  --secret-file F     the cluster's shared secret (required)
  -h, --help          this help`;

export async function run(argv: string[]): Promise<number> {
  return withUsage("web-token", USAGE, async () => {
    const parsed = parseOptions(argv, { values: ["secret-file"], flags: [] });
    if (parsed.help) {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument '${parsed.positionals[0]}'`);
    const secret = secretOption(parsed);
    if (secret === undefined) throw new UsageError("--secret-file is required");
    process.stdout.write(webToken(secret) + "\n");
    return 0;
  });
}
