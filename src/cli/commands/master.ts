/** `flint master`: runs a master (the master role over TCP) until SIGTERM or Ctrl-C. */
import { isLoopbackHost } from "../../real/address.js";
import { startMaster, StatusPortError } from "../../real/cluster/master.js";
import { DEFAULT_ZK_SESSION_TIMEOUT_MS } from "../../real/recovery/zookeeper.js";
import { parseRecoverySpec, RecoverySpecError, type RecoverySpec } from "../../real/recovery/index.js";
import { processLogger, protocolConfigFromEnv, stopOnSignals } from "../../real/runtime.js";
import { EXIT_EFFECT_FAILED, EXIT_STEP_THREW } from "../../real/host.js";
import { defineCommand, runCommand, UsageError } from "../args.js";
import { LOG_LEVEL, PROTOCOL_CONFIG, REJECTION_LOG_LINES } from "../environment.js";
import { secretOption } from "./cluster-options.js";
import { CONFIG_OPTION, withConfigFile } from "./config-options.js";
import { webOption, webOptions } from "./web-options.js";
import { nodeValidator } from "../../replay/validate.js";
import { journalOption, journalOptions, LOCAL_JOURNAL_DIR, masterJournalDefault } from "./journal-option.js";

export const DEFAULT_RECOVERY = "filesystem:flint-recovery";

export const spec = defineCommand({
  name: "master",
  summary: "run a cluster master (flint://host:7077)",
  usage: "[options]",
  description: `Runs a master: workers register with it, drivers submit applications to it.
Prints "flint master listening on <url> (status: <url>)" once ready, and runs until SIGTERM or
Ctrl-C. Give workers and drivers every master: flint://m1:7077,m2:7077.`,
  options: {
    host: { type: "string", value: "H", default: "127.0.0.1", help: "address to listen on" },
    port: { type: "int", min: 0, max: 65535, value: "P", default: 7077, help: "port to listen on (0 picks a free one)" },
    "advertised-host": {
      type: "string",
      value: "H",
      help: "the host name peers reach this master by, when not --host (NAT, several\ninterfaces; default: --host, or this machine's name on 0.0.0.0)",
    },
    "status-port": {
      type: "int",
      min: 0,
      max: 65535,
      value: "P",
      defaultHelp: "port + 1",
      help: "port of the status channel that `flint status` reads",
    },
    recovery: {
      type: "string",
      value: "SPEC",
      default: DEFAULT_RECOVERY,
      help: `where the master keeps its state, and how it becomes leader:
  filesystem:DIR   one master; restarted, it reads its state back
                   (one master per directory)
  zookeeper:HOST:PORT[,HOST:PORT...][/root]
                   several masters; ZooKeeper elects the leader, the
                   others wait as standbys (default root /flint)
  none             nothing survives a restart`,
    },
    "zk-session-timeout": {
      type: "duration",
      min: 1_000,
      max: 3_600_000,
      value: "T",
      default: DEFAULT_ZK_SESSION_TIMEOUT_MS,
      help: "ZooKeeper session timeout (Spark's default); a dead leader is replaced\nafter about this long (the server may clamp it)",
    },
    "secret-file": { type: "string", value: "F", help: "shared secret (a file of mode 0600); required off loopback" },
    ...webOptions(8080),
    config: CONFIG_OPTION,
    ...journalOptions(`<recovery DIR>/journal with filesystem recovery, else ./${LOCAL_JOURNAL_DIR}`),
    "log-file": { type: "string", value: "F", help: "also write every event as JSON lines to F" },
    "exit-with-parent": { type: "boolean", help: "stop when stdin closes (used by `flint local`)" },
  },
  exitCodes: [
    [0, "stopped (SIGTERM, Ctrl-C, or its leadership revoked)"],
    [1, "could not start (the port or status port taken, the recovery store locked, ...)"],
    [2, "bad usage (an unknown option, a bad value, no --secret-file off loopback)"],
    [EXIT_STEP_THREW, "internal error (the protocol code threw)"],
    [EXIT_EFFECT_FAILED, "a durable write to the recovery store failed"],
  ],
  environment: [PROTOCOL_CONFIG, LOG_LEVEL, REJECTION_LOG_LINES],
});

export function run(argv: string[]): Promise<number> {
  return runCommand(
    spec,
    argv,
    async ({ options }) => {
      const { host, port } = options;
      const advertisedHost = options["advertised-host"];
      const statusPort = options["status-port"];
      const secret = secretOption(options["secret-file"]);
      let recovery: RecoverySpec;
      try {
        recovery = parseRecoverySpec(options.recovery);
      } catch (err) {
        if (err instanceof RecoverySpecError) throw new UsageError(`--${err.message}`);
        throw err;
      }
      const web = webOption(options["web-port"], options["web-host"], secret !== undefined);
      journalOption(options.journal, options["no-journal"], masterJournalDefault(recovery));
      const sessionTimeoutMs = options["zk-session-timeout"];
      if (secret === undefined && !isLoopbackHost(host))
        throw new UsageError(`--host ${host} is not a loopback address: give --secret-file (authentication is required off loopback)`);
      let protocol;
      try {
        protocol = protocolConfigFromEnv();
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const logger = processLogger("master", options["log-file"]);
      if (secret === undefined)
        logger.log("warn", "no-secret", { why: "no --secret-file: anyone on this machine can join the cluster and run code" });
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
          ...(options.validate ? { validate: (address: string) => nodeValidator("master", address, logger) } : {}),
          tuning: { sessionTimeoutMs },
          ...(web !== undefined ? { web } : {}),
          ...(advertisedHost !== undefined ? { advertisedHost } : {}),
        });
      } catch (err) {
        const hint = err instanceof StatusPortError ? " (choose another with --status-port P)" : "";
        process.stderr.write(`flint master: cannot start: ${(err as Error).message}${hint}\n`);
        await logger.close();
        return 1;
      }
      process.stdout.write(
        `flint master listening on ${m.address} (status: ${m.statusAddress})${m.webUrl !== undefined ? ` web UI ${m.webUrl}` : ""}\n`,
      );
      const master = m;
      stopOnSignals(
        (why) => {
          logger.log("info", "master-stopping", { why });
          void master.stop();
        },
        { withStdin: options["exit-with-parent"] },
      );
      const { code } = await master.host.exited;
      await logger.close();
      // The stdin watch (--exit-with-parent) would keep the event loop alive.
      process.stdin.destroy();
      return code;
    },
    (a) => withConfigFile(a, "master").argv,
  );
}
