/** `flint worker flint://H:P`: runs a worker that offers its cores and memory to a master. */
import { holdCpuLatency, type CpuLatencyRequest } from "../../real/cluster/cpuLatency.js";
import { EXECUTOR_CPUS_ENV, isCpuList } from "../../real/cluster/launcher.js";
import { startWorker } from "../../real/cluster/worker.js";
import { processLogger, protocolConfigFromEnv, stopOnSignals } from "../../real/runtime.js";
import { EXIT_STEP_THREW } from "../../real/host.js";
import { defineCommand, runCommand, UsageError } from "../args.js";
import { CHILD_NODE_OPTIONS, LOG_LEVEL, PROTOCOL_CONFIG, REJECTION_LOG_LINES } from "../environment.js";
import { defaultCores, defaultMemoryMb, mastersOption, secretOption } from "./cluster-options.js";
import { CONFIG_OPTION, configMasters, withConfigFile } from "./config-options.js";
import { webOption, webOptions } from "./web-options.js";
import { nodeValidator } from "../../replay/validate.js";
import { journalOption, journalOptions } from "./journal-option.js";
import { join } from "node:path";
import { parsePortRange, type PortRange } from "../../real/portRange.js";
import type { ConfigFile } from "../../real/configFile.js";

export const spec = defineCommand({
  name: "worker",
  summary: "run a worker that registers with a master and launches executors",
  usage: "<flint://host:port[,host:port...]> [options]",
  description: `Runs a worker: it registers with the master(s) and launches executors (child processes, each in
<work-dir>/<app>/<executor>/ with its stdout and stderr) and cluster-mode drivers.
SIGTERM or Ctrl-C kills the worker's executors and drivers, then stops it.`,
  positionals: { name: "master URL", max: 1 },
  options: {
    cores: { type: "int", min: 1, max: 100_000, value: "N", defaultHelp: "every core of this machine", help: "cores to offer" },
    memory: { type: "size", value: "M", defaultHelp: "all but 1g", help: "memory to offer, e.g. 8g or 512m" },
    "work-dir": { type: "string", value: "DIR", default: "work", help: "where executors run" },
    host: { type: "string", value: "H", default: "127.0.0.1", help: "address to listen on" },
    port: { type: "int", min: 0, max: 65535, value: "P", default: 0, help: "port to listen on (0: a free one)" },
    "advertised-host": {
      type: "string",
      value: "H",
      help: "the host name peers reach this worker and its executors by, when not\n--host (NAT, several interfaces)",
    },
    "executor-ports": {
      type: "string",
      value: "R",
      defaultHelp: "any free",
      check: portRangeProblem,
      help: "ports its executors listen on, e.g. 40100-40199",
    },
    "driver-ports": {
      type: "string",
      value: "R",
      defaultHelp: "any free",
      check: portRangeProblem,
      help: "ports its cluster-mode drivers listen on",
    },
    config: CONFIG_OPTION,
    ...journalOptions("<work-dir>/journal"),
    "secret-file": { type: "string", value: "F", help: "the cluster's shared secret (a file of mode 0600)" },
    "log-file": { type: "string", value: "F", help: "also write every event as JSON lines to F" },
    ...webOptions(8081),
    "executor-cpus": {
      type: "string",
      value: "L",
      env: EXECUTOR_CPUS_ENV,
      defaultHelp: "none",
      check: (text) => (isCpuList(text) ? undefined : "not a CPU list such as 0, 2-3 or 0-3,6"),
      help: "pin executors to these CPUs (a taskset list such as 2-3 or 0,4;\nneeds util-linux's taskset)",
    },
    "low-latency": {
      type: "boolean",
      help: "keep this machine's CPUs out of deep idle states while the worker runs\n(Linux PM QoS, /dev/cpu_dma_latency; needs root): faster tiny tasks on\na VM, idle CPUs spin",
    },
    "exit-with-parent": { type: "boolean", help: "stop when stdin closes (used by `flint local`)" },
  },
  exitCodes: [
    [0, "stopped (SIGTERM or Ctrl-C)"],
    [1, "could not start, gave up registering, or a master refused it (--low-latency without root)"],
    [2, "bad usage (an unknown option, a bad value, no master URL)"],
    [EXIT_STEP_THREW, "internal error (the protocol code threw)"],
  ],
  environment: [PROTOCOL_CONFIG, LOG_LEVEL, REJECTION_LOG_LINES, CHILD_NODE_OPTIONS],
});

export function run(argv: string[]): Promise<number> {
  let file: ConfigFile | undefined;
  const expand = (a: readonly string[]): readonly string[] => {
    const expanded = withConfigFile(a, "worker");
    file = expanded.file;
    return expanded.argv;
  };
  return runCommand(
    spec,
    argv,
    async ({ options, positionals }) => {
      const masters = mastersOption(positionals[0] ?? configMasters(file), "the master URL");
      const advertisedHost = options["advertised-host"];
      const executorPorts = portRange(options["executor-ports"]);
      const driverPorts = portRange(options["driver-ports"]);
      const cores = options.cores ?? defaultCores();
      const memoryMb = options.memory ?? defaultMemoryMb();
      const { port, host } = options;
      const secret = secretOption(options["secret-file"]);
      const executorCpus = options["executor-cpus"];
      const web = webOption(options["web-port"], options["web-host"], secret !== undefined);
      journalOption(options.journal, options["no-journal"], join(options["work-dir"], "journal"));
      let protocol;
      try {
        protocol = protocolConfigFromEnv();
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      let cpuLatency: CpuLatencyRequest | undefined;
      if (options["low-latency"]) {
        const held = holdCpuLatency(0);
        if (!held.ok) {
          process.stderr.write(`flint worker: --low-latency: ${held.why}\n`);
          return 1;
        }
        cpuLatency = held.request;
      }
      const logger = processLogger("worker", options["log-file"]);
      let w;
      try {
        w = await startWorker({
          masters,
          host,
          port,
          cores,
          memoryMb,
          workDir: options["work-dir"],
          ...(executorCpus !== undefined ? { executorCpus } : {}),
          ...(secret !== undefined ? { secret } : {}),
          ...(web !== undefined ? { web } : {}),
          ...(advertisedHost !== undefined ? { advertisedHost } : {}),
          ...(executorPorts !== undefined ? { executorPorts } : {}),
          ...(driverPorts !== undefined ? { driverPorts } : {}),
          ...(file?.cleanup !== undefined ? { cleanup: file.cleanup } : {}),
          protocol,
          logger,
          ...(options.validate ? { validate: (address: string) => nodeValidator("worker", address, logger) } : {}),
        });
      } catch (err) {
        process.stderr.write(`flint worker: cannot start: ${(err as Error).message}\n`);
        cpuLatency?.release();
        await logger.close();
        return 1;
      }
      process.stdout.write(`flint worker ${w.workerId} listening on ${w.address}${w.webUrl !== undefined ? ` web UI ${w.webUrl}` : ""}\n`);
      const worker = w;
      stopOnSignals(
        (why) => {
          logger.log("info", "worker-stopping", { why });
          void worker.stop();
        },
        { withStdin: options["exit-with-parent"] },
      );
      const { code, reason } = await worker.host.exited;
      if (code !== 0) process.stderr.write(`flint worker: stopped: ${reason}\n`);
      await worker.launcher.idle();
      cpuLatency?.release();
      await logger.close();
      // The stdin watch (--exit-with-parent) would keep the event loop alive.
      process.stdin.destroy();
      return code;
    },
    expand,
  );
}

function portRangeProblem(text: string): string | undefined {
  try {
    parsePortRange(text);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

const portRange = (text: string | undefined): PortRange | undefined => (text === undefined ? undefined : parsePortRange(text));
