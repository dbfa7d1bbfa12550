/**
 * `flint local [APP]`: a real cluster on this machine for one application. Starts a master (or
 * several, with a private ZooKeeper electing the leader) and N workers on 127.0.0.1 (child processes sharing a fresh secret file of mode 0600), runs the app
 * (default: the Monte Carlo pi example) with a progress bar, prints its result, and stops every
 * process it started, also on Ctrl-C.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startLocalCluster, type LocalCluster } from "../../real/cluster/local.js";
import { appMainOf, formatResult, runApp } from "../../real/driver/app.js";
import { importAppModule } from "../../real/driver/load.js";
import { defineCommand, runCommand, UsageError } from "../args.js";
import { CHILD_NODE_OPTIONS, PIN_EXECUTORS, PROTOCOL_CONFIG, REJECTION_LOG_LINES } from "../environment.js";
import { progressBar } from "./progress-bar.js";
import { parseRecoverySpec, RecoverySpecError } from "../../real/recovery/index.js";
import { EmbeddedZooKeeper, zooKeeperMissing } from "../../real/recovery/zkServer.js";

export const DEFAULT_APP = fileURLToPath(new URL("../../../examples/pi.mjs", import.meta.url));

export const spec = defineCommand({
  name: "local",
  summary: "start a master and workers on 127.0.0.1, run an app (default: pi), stop them",
  usage: "[app.mjs] [options] [-- app arguments]",
  description: `Starts a master and N workers on 127.0.0.1 as child processes (authenticated with a fresh secret
file, mode 0600, in a temporary directory), runs the application (default: examples/pi.mjs),
prints its result, then stops every process it started, also on Ctrl-C. Arguments after the
module (or after --) are the application's own.`,
  positionals: { name: "app.mjs", max: Number.POSITIVE_INFINITY },
  passThrough: "app arguments",
  options: {
    workers: { type: "int", min: 1, max: 64, value: "N", default: 2, help: "workers to start" },
    masters: {
      type: "int",
      min: 1,
      max: 9,
      value: "N",
      default: 1,
      help: "masters to start; with 2 or more, ZooKeeper elects the leader and the\nothers wait as standbys. Without --recovery, flint starts a private ZooKeeper\n(Debian's zookeeper package and java must be installed)",
    },
    recovery: {
      type: "string",
      value: "SPEC",
      defaultHelp: "filesystem:<tmpdir>/recovery with one master",
      help: "the masters' recovery (zookeeper:HOST:PORT[/root] for an existing ZooKeeper)",
    },
    cores: { type: "int", min: 1, max: 1024, value: "C", default: 1, help: "cores per worker" },
    memory: { type: "size", value: "M", default: 2048, help: "memory per worker, e.g. 2g" },
    keep: {
      type: "boolean",
      help: "keep the temporary directory (logs, work directories) after a successful run;\nafter a failure it is always kept (without the secret file) and its path printed",
    },
    "low-latency": {
      type: "boolean",
      help: "keep the CPUs out of deep idle states while the cluster runs (Linux PM QoS,\n/dev/cpu_dma_latency; needs root): faster tiny tasks on a VM, idle CPUs spin",
    },
    quiet: { type: "boolean", help: "no progress bar or cluster messages" },
  },
  exitCodes: [
    [0, "the application succeeded (its result printed)"],
    [1, "the application failed or does not load, or the cluster (or ZooKeeper) did not start"],
    [2, "bad usage (an unknown option, a bad value, no such module)"],
    [130, "stopped by SIGTERM or Ctrl-C (every process it started is stopped)"],
  ],
  environment: [PROTOCOL_CONFIG, PIN_EXECUTORS, CHILD_NODE_OPTIONS, REJECTION_LOG_LINES],
});

export function run(argv: string[]): Promise<number> {
  return runCommand(spec, argv, async ({ options, positionals, rest }) => {
    const app = positionals[0] ?? DEFAULT_APP;
    if (!existsSync(app)) throw new UsageError(`the application module '${app}' does not exist`);
    const appArgs = [...positionals.slice(1), ...rest];
    const { workers, masters, cores } = options;
    let recovery = options.recovery;
    if (recovery !== undefined) {
      try {
        const recoverySpec = parseRecoverySpec(recovery);
        if (masters > 1 && recoverySpec.mode !== "zookeeper")
          throw new UsageError(
            `--masters ${masters} needs --recovery zookeeper:HOST:PORT (or no --recovery, for a private ZooKeeper), not ${recovery}`,
          );
      } catch (err) {
        if (err instanceof RecoverySpecError) throw new UsageError(`--${err.message}`);
        throw err;
      }
    }
    const memoryMb = options.memory;
    const quiet = options.quiet;
    const say = (message: string): void => {
      if (!quiet) process.stderr.write(message + "\n");
    };

    // Load and check the module before anything starts: a syntax error, or no main(), is reported
    // at once with its file and line, not after a cluster has been started for nothing.
    let exports: Record<string, unknown>;
    try {
      exports = await importAppModule(app);
      appMainOf(exports, app);
    } catch (err) {
      process.stderr.write(`flint local: ${(err as Error).message}\n`);
      return 1;
    }

    let cluster: LocalCluster | undefined;
    let zooKeeper: EmbeddedZooKeeper | undefined;
    let stopping: Promise<void> | undefined;
    let failed = false;
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        if (cluster) {
          const keep = options.keep || failed;
          await cluster.stop({ keepDir: keep });
          // A failure already said where its logs are.
          if (!failed) say(keep ? `logs kept in ${cluster.logDir}` : "logs deleted (use --keep to keep them)");
        }
        if (zooKeeper) await zooKeeper.destroy();
      })());
    const onSignal = (signal: NodeJS.Signals): void => {
      say(`\n${signal}: stopping the local cluster`);
      void stop().finally(() => process.exit(130));
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
      const startedMs = Date.now();
      if (masters > 1 && recovery === undefined) {
        const missing = zooKeeperMissing();
        if (missing !== undefined) {
          process.stderr.write(`flint local: --masters ${masters} needs ZooKeeper: ${missing}; or give --recovery zookeeper:HOST:PORT\n`);
          return 1;
        }
        try {
          zooKeeper = await EmbeddedZooKeeper.start();
        } catch (err) {
          process.stderr.write(`flint local: could not start ZooKeeper: ${(err as Error).message}\n`);
          return 1;
        }
        recovery = `zookeeper:${zooKeeper.connectString}/flint`;
        say(`ZooKeeper on ${zooKeeper.connectString} (data in ${zooKeeper.dir})`);
      }
      try {
        cluster = await startLocalCluster({
          workers,
          masters,
          ...(recovery !== undefined ? { recovery } : {}),
          coresPerWorker: cores,
          memoryPerWorkerMb: memoryMb,
          logLevel: "info",
          lowLatency: options["low-latency"],
        });
      } catch (err) {
        process.stderr.write(`flint local: the cluster did not start: ${(err as Error).message}\n`);
        const logDir = (err as { logDir?: string }).logDir;
        if (logDir) process.stderr.write(`(logs kept in ${logDir})\n`);
        return 1;
      }
      say(
        `cluster ready in ${Date.now() - startedMs} ms: ${masters > 1 ? "masters" : "master"} ${cluster.masterUrl}, ${workers} worker(s) x ${cores} core(s); logs in ${cluster.logDir}${cluster.master.webUrl !== undefined ? `; web UI ${cluster.master.webUrl}` : ""}`,
      );
      const bar = quiet ? undefined : progressBar();
      try {
        const result = await runApp({
          master: cluster.masterUrl,
          module: app,
          exports,
          secret: cluster.secret,
          // The driver journals with the cluster (flint replay <dir>/journal).
          journal: cluster.journalDir ?? false,
          argv: appArgs,
          // The app's page, on a free port (several `flint local` runs may share a machine).
          webUi: { port: 0 },
          ...(bar ? { onProgress: (p) => bar.update(p) } : {}),
        });
        bar?.done();
        const shown = formatResult(result);
        if (shown !== undefined) process.stdout.write(shown + "\n");
        return 0;
      } catch (err) {
        bar?.done();
        failed = true;
        process.stderr.write(`flint local: the application failed: ${(err as Error).message}\n(logs kept in ${cluster.logDir})\n`);
        return 1;
      }
    } finally {
      await stop();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  });
}
