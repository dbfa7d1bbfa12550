/**
 * The worker process: the worker role on a listening transport, with the process launcher
 * carrying out its `launch`, `kill` and `cleanupApp` effects. Stopping it (SIGTERM) first lets the
 * role kill its executors and drivers (Spark's Worker.onStop), waits for them, then ends.
 */
import { worker, type WorkerState } from "../../protocol/worker/index.js";
import type { ProtocolConfig } from "../../protocol/config.js";
import type { Address, WorkerId } from "../../protocol/ids.js";
import { startHost, type Host, type StepObserver } from "../host.js";
import { journalDep } from "../journal/env.js";
import type { Logger } from "../log.js";
import { Transport } from "../transport.js";
import { isTransient, type DialFailure } from "../dial-failure.js";
import { makeWorkerId } from "./ids.js";
import { ProcessLauncher } from "./launcher.js";
import { advertiseHostFor, randomSeed, rejectionDetailLinesFromEnv } from "./runtime.js";

export interface WorkerOptions {
  masters: Address[];
  host: string;
  port: number;
  cores: number;
  memoryMb: number;
  workDir: string;
  secret?: string;
  /** CPUs to pin executors to (a `taskset -c` list); default: FLINT_EXECUTOR_CPUS, else none. */
  executorCpus?: string;
  protocol: ProtocolConfig;
  logger: Logger;
  /** `--validate`: called with the worker's address, returns what checks every step (src/replay/validate.ts). */
  validate?: (address: Address) => StepObserver;
}

export interface WorkerProcess {
  readonly address: Address;
  readonly workerId: WorkerId;
  readonly host: Host<WorkerState>;
  readonly launcher: ProcessLauncher;
  /** Kills the executors and drivers, waits for them, then ends the worker. */
  stop(): Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<WorkerProcess> {
  const { logger, protocol } = options;
  // On a wildcard address, peers reach us by this machine's name (executors listen there too).
  const advertisedHost = advertiseHostFor(options.host);
  let host: Host<WorkerState> | undefined;
  const transport = new Transport({
    logger,
    ...(options.secret !== undefined ? { secret: options.secret } : { allowUnauthenticated: true }),
    maxFrameBytes: protocol.maxMessageSizeBytes,
    advertiseHost: advertisedHost,
    ...rejectionDetailLinesFromEnv(),
  });
  transport.onDialFailed((failure) => {
    if (host !== undefined && options.masters.includes(failure.peer)) reportMasterDialFailure(host, failure, logger);
  });
  const address = await transport.listen(options.host, options.port);
  const port = Number(address.slice(address.lastIndexOf(":") + 1));
  const workerId = makeWorkerId(advertisedHost, port);
  const early: Parameters<Host<WorkerState>["input"]>[0][] = [];
  const launcher = new ProcessLauncher({
    workDir: options.workDir,
    host: advertisedHost,
    ...(options.secret !== undefined ? { secret: options.secret } : {}),
    ...(options.executorCpus !== undefined ? { executorCpus: options.executorCpus } : {}),
    logger,
    report: (input) => (host ? host.input(input) : early.push(input)),
  });
  host = startHost(
    worker,
    {
      workerId,
      host: advertisedHost,
      port,
      address,
      cores: options.cores,
      memoryMb: options.memoryMb,
      masterAddresses: options.masters,
      protocol,
      seed: randomSeed(),
    },
    {
      transport,
      logger,
      handlers: {
        launch: (e) => launcher.launch(e.spec),
        kill: (e) => launcher.kill(e.process, e.graceMs),
        cleanupApp: (e) => void launcher.cleanupApp(e.appId),
      },
      // The host contract (rule 6): every process a node launched dies with it.
      onExit: () => void launcher.killAll(protocol.executorKillGraceMs),
      ...journalDep("worker", address),
      ...(options.validate ? { afterStep: options.validate(address) } : {}),
    },
  );
  for (const input of early.splice(0)) host.input(input);
  const h = host;
  logger.log("info", "worker-ready", { workerId, address, cores: options.cores, memoryMb: options.memoryMb, workDir: options.workDir });
  return {
    address,
    workerId,
    host: h,
    launcher,
    async stop() {
      if (h.running) {
        h.input({ type: "command", command: { kind: "stop" } });
        const graceMs = Math.max(protocol.executorKillGraceMs, protocol.driverTerminateTimeoutMs);
        const timeout = new Promise<void>((resolve) => setTimeout(resolve, graceMs + 2_000).unref());
        await Promise.race([launcher.idle(), timeout]);
      }
      await h.stop(0, "stopped");
      await launcher.killAll(0);
    },
  };
}

/**
 * A master the worker dialed could not be reached. Transient causes (refused while it restarts, no
 * route) are retried on the protocol's schedule; each is said at WARN with the attempt's number.
 * A failed authentication, an unknown host or an incompatible peer will not heal by retrying:
 * before this worker ever registered, that is its own configuration (a wrong secret, a mistyped
 * master), so it stops at once, saying why. Once a master has accepted it, its secret and master
 * list are known good: a peer at a master's address that fails to authenticate is then the
 * peer's fault (another process took the port of a dead master, or a master came back with
 * another secret), and anyone who can bind that port or answer for it could otherwise stop every
 * worker with one reject frame. So it is said at ERROR, by name, and retried like an outage.
 */
function reportMasterDialFailure(host: Host<WorkerState>, failure: DialFailure, logger: Logger): void {
  if (!host.running) return;
  const master = failure.peer;
  const s = host.state;
  const everRegistered = s.activeMasterUrl !== null;
  if (!isTransient(failure) && !everRegistered) {
    logger.log("error", "master-unreachable", { master, kind: failure.kind, why: failure.detail });
    void host.stop(1, failure.detail);
    return;
  }
  const level = isTransient(failure) ? "warn" : "error";
  if (s.registered) {
    logger.log(level, "master-unreachable", { master, kind: failure.kind, why: failure.detail });
    return;
  }
  const retries = s.protocol.totalRegistrationRetries;
  const attempt = s.connectionAttemptCount === 0 ? `first attempt of ${retries + 1}` : `retry ${s.connectionAttemptCount} of ${retries}`;
  const seconds = s.registrationIntervalMs / 1000;
  const next = s.connectionAttemptCount < retries ? `, next in ${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s` : ", the last";
  logger.log(level, "master-unreachable", { master, kind: failure.kind, why: failure.detail, registration: `${attempt}${next}` });
}
