/** `flint worker flint://H:P`: runs a worker that offers its cores and memory to a master. */
import { holdCpuLatency, type CpuLatencyRequest } from "../../real/cluster/cpuLatency.js";
import { isCpuList } from "../../real/cluster/launcher.js";
import { startWorker } from "../../real/cluster/worker.js";
import { processLogger, protocolConfigFromEnv, stopOnSignals } from "../../real/cluster/runtime.js";
import { applyConfigFile, CONFIG_HELP } from "./config-options.js";
import { parsePortRange, type PortRange } from "../../real/portRange.js";
import { WEB_OPTION_NAMES, webOption, webOptionsHelp } from "./web-options.js";
import { defaultCores, defaultMemoryMb, integerOption, mastersOption, memoryOption, parseOptions, secretOption, UsageError, withUsage, type Parsed } from "./cluster-options.js";

export const summary = "run a worker that registers with a master and launches executors";

const USAGE = `Usage: flint worker <flint://host:port[,host:port...]> [options]

Runs a worker: it registers with the master(s) and launches executors (child processes, each in
<work-dir>/<app>/<executor>/ with its stdout and stderr) and cluster-mode drivers.

Options:
  --cores N           cores to offer (default: every core of this machine)
  --memory M          memory to offer, e.g. 8g or 512m (default: all but 1g)
  --work-dir DIR      where executors run (default ./work)
  --host H            address to listen on (default 127.0.0.1)
  --port P            port to listen on (default 0: a free one)
  --advertised-host H the host name peers reach this worker and its executors by, when not
                      --host (NAT, several interfaces)
  --executor-ports R  ports its executors listen on, e.g. 40100-40199 (default: any free)
  --driver-ports R    ports its cluster-mode drivers listen on (default: any free)
${CONFIG_HELP}
  --secret-file F     the cluster's shared secret (a file of mode 0600)
  --log-file F        also write every event as JSON lines to F
${webOptionsHelp(8081)}
  --executor-cpus L   pin executors to these CPUs (a taskset list such as 2-3 or 0,4;
                      needs util-linux's taskset; default: FLINT_EXECUTOR_CPUS, else none)
  --low-latency       keep this machine's CPUs out of deep idle states while the worker runs
                      (Linux PM QoS, /dev/cpu_dma_latency; needs root): faster tiny tasks on
                      a VM, idle CPUs spin
  --exit-with-parent  stop when stdin closes (used by \`flint local\`)
  -h, --help          this help

SIGTERM or Ctrl-C kills the worker's executors and drivers, then stops it.`;

export async function run(argv: string[]): Promise<number> {
  return withUsage("worker", USAGE, async () => {
    const parsed = parseOptions(argv, { values: ["cores", "memory", "work-dir", "host", "port", "secret-file", "log-file", "executor-cpus", "config", "advertised-host", "executor-ports", "driver-ports", ...WEB_OPTION_NAMES], flags: ["exit-with-parent", "low-latency"] });
    if (parsed.help) {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    if (parsed.positionals.length > 1) throw new UsageError(`unexpected argument '${parsed.positionals[1]}'`);
    const file = applyConfigFile(parsed, "worker");
    const masters = mastersOption(parsed.positionals[0] ?? parsed.values["masters"], "the master URL");
    const advertisedHost = parsed.values["advertised-host"];
    const executorPorts = portRangeOption(parsed, "executor-ports");
    const driverPorts = portRangeOption(parsed, "driver-ports");
    const cores = integerOption(parsed, "cores", defaultCores(), 1, 100_000);
    const memoryMb = memoryOption(parsed, "memory", defaultMemoryMb());
    const port = integerOption(parsed, "port", 0, 0, 65535);
    const host = parsed.values["host"] ?? "127.0.0.1";
    const secret = secretOption(parsed);
    const web = webOption(parsed, 8081, secret !== undefined);
    const executorCpus = parsed.values["executor-cpus"];
    if (executorCpus !== undefined && !isCpuList(executorCpus)) throw new UsageError(`--executor-cpus: '${executorCpus}' is not a CPU list such as 0, 2-3 or 0-3,6`);
    let protocol;
    try {
      protocol = protocolConfigFromEnv();
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    let cpuLatency: CpuLatencyRequest | undefined;
    if (parsed.flags.has("low-latency")) {
      const held = holdCpuLatency(0);
      if (!held.ok) {
        process.stderr.write(`flint worker: --low-latency: ${held.why}\n`);
        return 1;
      }
      cpuLatency = held.request;
    }
    const logger = processLogger("worker", parsed.values["log-file"]);
    let w;
    try {
      w = await startWorker({ masters, host, port, cores, memoryMb, workDir: parsed.values["work-dir"] ?? "work", ...(executorCpus !== undefined ? { executorCpus } : {}), ...(secret !== undefined ? { secret } : {}), ...(web !== undefined ? { web } : {}), ...(advertisedHost !== undefined ? { advertisedHost } : {}), ...(executorPorts !== undefined ? { executorPorts } : {}), ...(driverPorts !== undefined ? { driverPorts } : {}), ...(file?.cleanup !== undefined ? { cleanup: file.cleanup } : {}), protocol, logger });
    } catch (err) {
      process.stderr.write(`flint worker: cannot start: ${(err as Error).message}\n`);
      cpuLatency?.release();
      await logger.close();
      return 1;
    }
    process.stdout.write(`flint worker ${w.workerId} listening on ${w.address}${w.webUrl !== undefined ? ` web UI ${w.webUrl}` : ""}\n`);
    const worker = w;
    stopOnSignals((why) => {
      logger.log("info", "worker-stopping", { why });
      void worker.stop();
    }, { withStdin: parsed.flags.has("exit-with-parent") });
    const { code, reason } = await worker.host.exited;
    if (code !== 0) process.stderr.write(`flint worker: stopped: ${reason}\n`);
    await worker.launcher.idle();
    cpuLatency?.release();
    await logger.close();
    // The stdin watch (--exit-with-parent) would keep the event loop alive.
    process.stdin.destroy();
    return code;
  });
}

function portRangeOption(parsed: Parsed, name: string): PortRange | undefined {
  const text = parsed.values[name];
  if (text === undefined) return undefined;
  try {
    return parsePortRange(text);
  } catch (err) {
    throw new UsageError(`--${name}: ${(err as Error).message}`);
  }
}
