/**
 * The executor process (Spark's CoarseGrainedExecutorBackend), started by a worker as
 * `node executorMain.js <workDir>/launch.json` with the secret on file descriptor 3. It caches the
 * application's module in its work directory, listens on an ephemeral port of the worker's host,
 * and hosts the executor role, running tasks on a pool of worker threads. The end of stdin (the
 * pipe from its worker) is the WorkerWatcher's lost connection: reported as the worker's
 * disconnect, on which the role exits.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { executor } from "../../protocol/executor/index.js";
import { executorId } from "../../protocol/ids.js";
import { startHost } from "../host.js";
import { journalDep } from "../journal/env.js";
import { Transport } from "../transport.js";
import { listenInRange } from "../portRange.js";
import { cacheModule, shippedModuleOf } from "../tasks/module.js";
import { TaskPool } from "../tasks/pool.js";
import { readSecretFromFd, type LaunchFile } from "./launcher.js";
import { processLogger, protocolConfigFromEnv, randomSeed, stopOnSignals, watchStdin } from "../runtime.js";

async function main(): Promise<void> {
  const launchPath = process.argv[2];
  if (launchPath === undefined) throw new Error("usage: executorMain.js <launch.json>");
  const spec = JSON.parse(readFileSync(launchPath, "utf8")) as LaunchFile;
  if (spec.kind !== "executor") throw new Error(`${launchPath} does not launch an executor`);
  // On a pipe at fd 3, read and closed at once: never in our environment, where a task could find it.
  const secret = readSecretFromFd();
  const protocol = protocolConfigFromEnv();
  const logger = processLogger(`executor-${spec.appId}/${spec.execId}`, join(spec.workDir, "executor.log"));

  const shipped = shippedModuleOf(spec.appDesc.command);
  const moduleUrl = cacheModule(spec.workDir, shipped);
  const transport = new Transport({
    logger,
    ...(secret !== undefined ? { secret } : { allowUnauthenticated: true }),
    maxFrameBytes: protocol.maxMessageSizeBytes,
    // Listening elsewhere (NAT): announce the worker's advertised host.
    ...(spec.listenHost !== undefined && spec.listenHost !== spec.host ? { advertiseHost: spec.host } : {}),
  });
  const address = await listenInRange(transport, spec.listenHost ?? spec.host, spec.ports);
  let pool: TaskPool | undefined;
  const host = startHost(
    executor,
    {
      appId: spec.appId,
      execId: spec.execId,
      executorId: executorId(spec.execId),
      address,
      hostname: spec.host,
      cores: spec.cores,
      driverAddress: spec.driverAddress,
      workerAddress: spec.workerAddress,
      protocol,
      seed: randomSeed(),
    },
    {
      transport,
      logger,
      handlers: {
        runTask: (e) => pool!.run(e.task),
        killTask: (e) => pool!.kill(e.taskId, e.reason),
      },
      onExit: (code) => {
        void Promise.all([pool?.close(), logger.close()]).finally(() => process.exit(code));
      },
      ...journalDep("executor", address),
    },
  );
  pool = new TaskPool({
    threads: spec.cores,
    moduleUrl: (hash) => (hash === shipped.moduleHash ? moduleUrl : undefined),
    onFinished: (taskId, outcome) => host.input({ type: "taskFinished", taskId, outcome }),
  });
  watchStdin(() => host.input({ type: "peerDisconnected", peer: spec.workerAddress }));
  stopOnSignals((why) => void host.stop(143, `stopped by ${why}`));
}

main().catch((err: unknown) => {
  process.stderr.write(`executor failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
