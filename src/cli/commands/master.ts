/** `flint master`: runs a master (the master role over TCP) until SIGTERM or Ctrl-C. */
import { isLoopbackHost } from "../../real/address.js";
import { startMaster, StatusPortError } from "../../real/cluster/master.js";
import { DEFAULT_ZK_SESSION_TIMEOUT_MS } from "../../real/recovery/zookeeper.js";
import { parseRecoverySpec, RecoverySpecError, type RecoverySpec } from "../../real/recovery/index.js";
import { processLogger, protocolConfigFromEnv, stopOnSignals } from "../../real/cluster/runtime.js";
import { integerOption, parseOptions, secretOption, UsageError, withUsage } from "./cluster-options.js";
import { nodeValidator } from "../../replay/validate.js";
import { JOURNAL_FLAGS, JOURNAL_HELP, JOURNAL_VALUES, journalOption, masterJournalDefault } from "./journal-option.js";

export const summary = "run a cluster master (flint://host:7077)";

const USAGE = `Usage: flint master [options]

Runs a master: workers register with it, drivers submit applications to it.

Options:
  --host H            address to listen on (default 127.0.0.1)
  --port P            port to listen on (default 7077; 0 picks a free one)
  --status-port P     port of the status channel that \`flint status\` reads (default port + 1)
  --recovery SPEC     where the master keeps its state, and how it becomes leader:
                        filesystem:DIR   one master; restarted, it reads its state back (default:
                                         filesystem:./flint-recovery; one master per directory)
                        zookeeper:HOST:PORT[,HOST:PORT...][/root]
                                         several masters; ZooKeeper elects the leader, the others
                                         wait as standbys (default root /flint)
                        none             nothing survives a restart
  --zk-session-timeout MS
                      ZooKeeper session timeout in ms (default ${DEFAULT_ZK_SESSION_TIMEOUT_MS}, Spark's); a dead
                      leader is replaced after about this long (the server may clamp it)
  --secret-file F     shared secret (a file of mode 0600); required off loopback
  --log-file F        also write every event as JSON lines to F
${JOURNAL_HELP.replace("%DEFAULT%", "<recovery DIR>/journal with filesystem\n                      recovery, none otherwise")}
  --validate          check the master's own invariants after every step, in process; the first
                      violation is logged at ERROR (invariant-violated) with its step
  --exit-with-parent  stop when stdin closes (used by \`flint local\`)
  -h, --help          this help

Environment: FLINT_PROTOCOL_CONFIG (JSON of protocol overrides, e.g. {"workerTimeoutMs":5000}),
FLINT_LOG_LEVEL (debug|info|warn|error).
Prints "flint master listening on <url> (status: <url>)" once ready. Give workers and drivers
every master: flint://m1:7077,m2:7077.`;

export const DEFAULT_RECOVERY = "filesystem:flint-recovery";

export async function run(argv: string[]): Promise<number> {
  return withUsage("master", USAGE, async () => {
    const parsed = parseOptions(argv, { values: ["host", "port", "status-port", "secret-file", "log-file", "recovery", "zk-session-timeout", ...JOURNAL_VALUES], flags: ["exit-with-parent", "validate", ...JOURNAL_FLAGS] });
    if (parsed.help) {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument '${parsed.positionals[0]}'`);
    const host = parsed.values["host"] ?? "127.0.0.1";
    const port = integerOption(parsed, "port", 7077, 0, 65535);
    const statusPort = parsed.values["status-port"] === undefined ? undefined : integerOption(parsed, "status-port", 0, 0, 65535);
    const secret = secretOption(parsed);
    let recovery: RecoverySpec;
    try {
      recovery = parseRecoverySpec(parsed.values["recovery"] ?? DEFAULT_RECOVERY);
    } catch (err) {
      if (err instanceof RecoverySpecError) throw new UsageError(`--${err.message}`);
      throw err;
    }
    journalOption(parsed, masterJournalDefault(recovery));
    const sessionTimeoutMs = integerOption(parsed, "zk-session-timeout", DEFAULT_ZK_SESSION_TIMEOUT_MS, 1_000, 3_600_000);
    if (secret === undefined && !isLoopbackHost(host)) throw new UsageError(`--host ${host} is not a loopback address: give --secret-file (authentication is required off loopback)`);
    let protocol;
    try {
      protocol = protocolConfigFromEnv();
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const logger = processLogger("master", parsed.values["log-file"]);
    if (secret === undefined) logger.log("warn", "no-secret", { why: "no --secret-file: anyone on this machine can join the cluster and run code" });
    let m;
    try {
      m = await startMaster({
        host,
        port,
        ...(statusPort !== undefined ? { statusPort } : {}),
        ...(secret !== undefined ? { secret } : {}),
        protocol,
        logger,
        recovery,
        tuning: { sessionTimeoutMs },
        ...(parsed.flags.has("validate") ? { validate: (address: string) => nodeValidator("master", address, logger) } : {}),
      });
    } catch (err) {
      const hint = err instanceof StatusPortError ? " (choose another with --status-port P)" : "";
      process.stderr.write(`flint master: cannot start: ${(err as Error).message}${hint}\n`);
      await logger.close();
      return 1;
    }
    process.stdout.write(`flint master listening on ${m.address} (status: ${m.statusAddress})\n`);
    const master = m;
    stopOnSignals((why) => {
      logger.log("info", "master-stopping", { why });
      void master.stop();
    }, { withStdin: parsed.flags.has("exit-with-parent") });
    const { code } = await master.host.exited;
    await logger.close();
    // The stdin watch (--exit-with-parent) would keep the event loop alive.
    process.stdin.destroy();
    return code;
  });
}
