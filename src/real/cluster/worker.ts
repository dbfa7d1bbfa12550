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
import type { PortRange } from "../portRange.js";
import { isTransient, type DialFailure } from "../dial-failure.js";
import { makeWorkerId } from "./ids.js";
import { ProcessLauncher } from "./launcher.js";
import { advertiseHostFor, randomSeed, rejectionDetailLinesFromEnv } from "../runtime.js";
import { observeRole, workerMetrics } from "../web/metrics.js";
import { startWebServer, type WebServer } from "../web/server.js";
import { workerSite } from "../web/workerSite.js";
import { DEFAULT_CLEANUP_POLICY, WorkDirCleaner, type WorkDirCleanupPolicy } from "./workDirCleanup.js";

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
  /** When finished apps' and drivers' directories go (default: DEFAULT_CLEANUP_POLICY). */
  cleanup?: WorkDirCleanupPolicy;
  /** The web UI, JSON API and /metrics (src/real/web); undefined: none. */
  web?: { host: string; port: number };
  /** The host name peers reach this worker (and its executors) by, when not `host` (NAT, several interfaces). */
  advertisedHost?: string;
  /** Port ranges for its executors and cluster-mode drivers (a firewall's opening); default: any free port. */
  executorPorts?: PortRange;
  driverPorts?: PortRange;
  /** `--validate`: called with the worker's address, returns what checks every step (src/replay/validate.ts). */
  validate?: (address: Address) => StepObserver;
}

export interface WorkerProcess {
  readonly address: Address;
  readonly workerId: WorkerId;
  readonly host: Host<WorkerState>;
  readonly launcher: ProcessLauncher;
  readonly cleaner: WorkDirCleaner;
  /** The web UI's URL, when it runs. */
  readonly webUrl: string | undefined;
  /** Kills the executors and drivers, waits for them, then ends the worker. */
  stop(): Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<WorkerProcess> {
  const { logger, protocol } = options;
  // On a wildcard address, peers reach us by this machine's name (executors listen there too).
  const advertisedHost = options.advertisedHost ?? advertiseHostFor(options.host);
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
    ...(options.advertisedHost !== undefined ? { listenHost: options.host } : {}),
    ...(options.executorPorts !== undefined ? { executorPorts: options.executorPorts } : {}),
    ...(options.driverPorts !== undefined ? { driverPorts: options.driverPorts } : {}),
    ...(options.secret !== undefined ? { secret: options.secret } : {}),
    ...(options.executorCpus !== undefined ? { executorCpus: options.executorCpus } : {}),
    logger,
    report: (input) => (host ? host.input(input) : early.push(input)),
  });
  const cleaner = new WorkDirCleaner({
    workDir: launcher.workDir,
    policy: options.cleanup ?? DEFAULT_CLEANUP_POLICY,
    logger,
    inUse: () => {
      const s = host?.state;
      if (s === undefined) return new Set();
      return new Set([...Object.values(s.executors).map((e) => String(e.appId)), ...Object.keys(s.drivers)]);
    },
    remove: (name) => launcher.cleanupApp(name),
  });
  const metrics = workerMetrics(() => host!.state);
  host = startHost(
    observeRole(worker, metrics.observe, metrics.before),
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
        // Logs that stay: the directory waits for the sweep's time to live (workDirCleanup.ts).
        cleanupApp: (e) => cleaner.appFinished(e.appId),
      },
      // The host contract (rule 6): every process a node launched dies with it.
      onExit: () => {
        cleaner.stop();
        void launcher.killAll(protocol.executorKillGraceMs);
      },
      ...journalDep("worker", address),
      ...(options.validate ? { afterStep: options.validate(address) } : {}),
    },
  );
  for (const input of early.splice(0)) host.input(input);
  cleaner.start();
  const h = host;
  let web: WebServer | undefined;
  if (options.web !== undefined) {
    try {
      web = await startWebServer({
        ...options.web,
        ...(options.secret !== undefined ? { secret: options.secret } : {}),
        logger,
        site: workerSite(() => h.state, launcher.workDir, metrics.registry),
      });
    } catch (err) {
      // The UI is for people: a taken port costs the UI, never the worker.
      logger.log("error", "web-ui-unavailable", { error: (err as Error).message });
    }
  }
  void h.exited.then(() => web?.close());
  logger.log("info", "worker-ready", {
    workerId,
    address,
    cores: options.cores,
    memoryMb: options.memoryMb,
    workDir: options.workDir,
    ...(web ? { web: web.url } : {}),
  });
  return {
    address,
    workerId,
    host: h,
    launcher,
    cleaner,
    webUrl: web?.url,
    async stop() {
      cleaner.stop();
      await web?.close();
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
