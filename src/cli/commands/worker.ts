/** `flint worker flint://H:P`: runs a worker that offers its cores and memory to a master. */
import { holdCpuLatency, type CpuLatencyRequest } from "../../real/cluster/cpuLatency.js";
import { isCpuList } from "../../real/cluster/launcher.js";
import { startWorker } from "../../real/cluster/worker.js";
import { processLogger, protocolConfigFromEnv, stopOnSignals } from "../../real/cluster/runtime.js";
import { nodeValidator } from "../../replay/validate.js";
import { JOURNAL_FLAGS, JOURNAL_HELP, JOURNAL_VALUES, journalOption } from "./journal-option.js";
import { join } from "node:path";
import { defaultCores, defaultMemoryMb, integerOption, mastersOption, memoryOption, parseOptions, secretOption, UsageError, withUsage } from "./cluster-options.js";

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
  --secret-file F     the cluster's shared secret (a file of mode 0600)
  --log-file F        also write every event as JSON lines to F
${JOURNAL_HELP.replace("%DEFAULT%", "<work-dir>/journal")}
  --executor-cpus L   pin executors to these CPUs (a taskset list such as 2-3 or 0,4;
                      needs util-linux's taskset; default: FLINT_EXECUTOR_CPUS, else none)
  --low-latency       keep this machine's CPUs out of deep idle states while the worker runs
                      (Linux PM QoS, /dev/cpu_dma_latency; needs root): faster tiny tasks on
                      a VM, idle CPUs spin
  --validate          check the worker's own invariants after every step, in process; the first
                      violation is logged at ERROR (invariant-violated) with its step
  --exit-with-parent  stop when stdin closes (used by \`flint local\`)
  -h, --help          this help

SIGTERM or Ctrl-C kills the worker's executors and drivers, then stops it.`;

export async function run(argv: string[]): Promise<number> {
  return withUsage("worker", USAGE, async () => {
    const parsed = parseOptions(argv, { values: ["cores", "memory", "work-dir", "host", "port", "secret-file", "log-file", "executor-cpus", ...JOURNAL_VALUES], flags: ["exit-with-parent", "low-latency", "validate", ...JOURNAL_FLAGS] });
    if (parsed.help) {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    if (parsed.positionals.length > 1) throw new UsageError(`unexpected argument '${parsed.positionals[1]}'`);
    const masters = mastersOption(parsed.positionals[0], "the master URL");
    const cores = integerOption(parsed, "cores", defaultCores(), 1, 100_000);
    const memoryMb = memoryOption(parsed, "memory", defaultMemoryMb());
    const port = integerOption(parsed, "port", 0, 0, 65535);
    const host = parsed.values["host"] ?? "127.0.0.1";
    const secret = secretOption(parsed);
    const executorCpus = parsed.values["executor-cpus"];
    if (executorCpus !== undefined && !isCpuList(executorCpus)) throw new UsageError(`--executor-cpus: '${executorCpus}' is not a CPU list such as 0, 2-3 or 0-3,6`);
    let protocol;
    try {
      protocol = protocolConfigFromEnv();
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const workDir = parsed.values["work-dir"] ?? "work";
    journalOption(parsed, join(workDir, "journal"));
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
      w = await startWorker({ masters, host, port, cores, memoryMb, workDir, ...(executorCpus !== undefined ? { executorCpus } : {}), ...(secret !== undefined ? { secret } : {}), protocol, logger, ...(parsed.flags.has("validate") ? { validate: (address: string) => nodeValidator("worker", address, logger) } : {}) });
    } catch (err) {
      process.stderr.write(`flint worker: cannot start: ${(err as Error).message}\n`);
      cpuLatency?.release();
      await logger.close();
      return 1;
    }
    process.stdout.write(`flint worker ${w.workerId} listening on ${w.address}\n`);
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
