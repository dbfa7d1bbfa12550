/**
 * The user API of a flint driver (client deploy mode): the driver role hosted in this process.
 *
 *   const c = await connect({ master: "flint://127.0.0.1:7077", module: "./examples/pi.mjs" });
 *   const counts = await c.run("sample", inputs, { onProgress: (p) => ... });
 *   await c.close();
 *
 * Tasks are functions exported by the application's ES module. The module travels to the
 * executors by content hash inside the application description (`command`), so an executor on
 * another machine can run it. `run` submits one job of one task set, one task per input; its
 * results come back in input order, or it rejects with the job's failure reason.
 */
import { hostname } from "node:os";
import { driver } from "../../protocol/driver/index.js";
import { appRegistrationDeadlineMs } from "../../protocol/driver/appClient.js";
import type { ProtocolConfig } from "../../protocol/config.js";
import { jobId as toJobId, type Address, type AppId, type JobId } from "../../protocol/ids.js";
import type { Notification } from "../../protocol/io.js";
import type { ApplicationDescription, TaskPayload } from "../../protocol/messages.js";
import { isLoopbackHost, parseAddress, parseAddressList } from "../address.js";
import { readSecretFile } from "../handshake.js";
import { startHost, type Host, type StepObserver } from "../host.js";
import { journalDep } from "../journal/env.js";
import { JOURNAL_ENV } from "../journal/format.js";
import { Transport } from "../transport.js";
import { listenInRange, type PortRange } from "../portRange.js";
import { isTransient, type DialFailure } from "../dial-failure.js";
import { createLogger, type Logger } from "../log.js";
import { protocolConfigFromEnv, randomSeed } from "../runtime.js";
import { loadModule, type ShippedModule } from "../tasks/module.js";
import { notSerializable } from "../tasks/serializable.js";
import type { TaskData } from "../tasks/pool.js";
import { AppModel, appSite } from "../web/appSite.js";
import { driverMetrics, observeRole } from "../web/metrics.js";
import { startWebServer, type WebServer } from "../web/server.js";

export interface ConnectOptions {
  /** `flint://host:port` (several masters: `flint://m1:7077,m2:7077`). */
  master: string;
  /** The application module (a path): its exported functions are the tasks. */
  module: string;
  /** How errors name the module (default: `module`); stack traces of tasks point at it, not at an executor's cached copy. */
  moduleShownAs?: string;
  /** The application's name (default: the module's file name). */
  app?: string;
  /** The shared secret, or a file holding it (mode 0600). Without either, no authentication. */
  secret?: string;
  secretFile?: string;
  /** Journal the driver's steps into this directory (`flint replay` reads it); false: not at all. Default: FLINT_JOURNAL. */
  journal?: string | false;
  /**
   * Checks the driver's own invariants after every step, in process: pass
   * `(address) => nodeValidator("driver", address, logger)` from src/replay/validate.ts. The first
   * violation is logged at ERROR (event invariant-violated) with the step that caused it.
   */
  validate?: (address: Address) => StepObserver;
  /** Most cores the application takes over the cluster (spark.cores.max); default: all. */
  cores?: number;
  /** Cores per executor (spark.executor.cores); default: every free core of a worker. */
  executorCores?: number;
  /** Memory per executor, in MiB (default 1024). */
  executorMemoryMb?: number;
  /** The host this driver listens on for its executors (default: 127.0.0.1 for a loopback master). */
  host?: string;
  /** The host name executors and masters reach this driver by, when not `host` (NAT, several interfaces). */
  advertisedHost?: string;
  /** The ports this driver may listen on (a firewall's opening), e.g. { from: 40000, to: 40099 }; default: any free port. */
  ports?: PortRange;
  /** Protocol overrides on top of FLINT_PROTOCOL_CONFIG. */
  protocol?: Partial<ProtocolConfig>;
  logger?: Logger;
  /** How long to wait for the master to register the application (default: the protocol's whole registration window). */
  connectTimeoutMs?: number;
  /**
   * The application's web UI, JSON API and /metrics (Spark's port 4040; src/real/web): host
   * (default 127.0.0.1; off loopback the secret guards it) and port (0: any free one; a taken
   * port tries the next 16). Undefined: no UI.
   */
  webUi?: { host?: string; port: number };
}

export interface Progress {
  jobId: string;
  tasksFinished: number;
  tasksTotal: number;
}

export interface RunOptions {
  onProgress?(progress: Progress): void;
  /** Aborting cancels the job: its running tasks are killed and `run` rejects. */
  signal?: AbortSignal;
}

export interface Cluster {
  /** The application's id; a new one when the driver had to register again (its master had lost the app). */
  readonly appId: AppId;
  /** The driver's listening address. */
  readonly address: Address;
  /** Runs `fn` of the module once per input on the cluster; results in input order. */
  run<T = unknown>(fn: string, inputs: readonly unknown[], options?: RunOptions): Promise<T[]>;
  /** Stops the application: executors stop, the master forgets it. */
  close(): Promise<void>;
  /** Notifications as the driver role emits them (executors added and removed, ...). */
  onNotification(listener: (notification: Notification) => void): void;
  /** Settles when the driver has ended (closed, or the application died). */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The application's web UI (http://host:port/), when asked for and started. */
  readonly webUrl: string | undefined;
}

export class JobFailedError extends Error {
  constructor(
    readonly jobId: string,
    reason: string,
  ) {
    super(reason);
    this.name = "JobFailedError";
  }
}

interface PendingJob {
  resolve(results: unknown[]): void;
  reject(error: Error): void;
  onProgress: ((progress: Progress) => void) | undefined;
}

/**
 * One payload per input, each with the byte size of its JSON. The JSON of `{ module, fn, input }`
 * is a fixed frame around the input's own JSON, so only the input is serialized per task (a job's
 * submission was ~1 µs per task, most of it stringifying the module hash again and again).
 */
export function taskPayloads(moduleHash: string, fn: string, inputs: readonly unknown[]): TaskPayload[] {
  const frameBytes = Buffer.byteLength(JSON.stringify({ module: moduleHash, fn, input: null } satisfies TaskData)) - "null".length;
  return inputs.map((raw) => {
    const input = raw === undefined ? null : raw;
    const data: TaskData = { module: moduleHash, fn, input };
    // toJSON may depend on its key, and a function input has no JSON: measure those whole.
    const json =
      typeof input === "object" && input !== null && typeof (input as { toJSON?: unknown }).toJSON === "function"
        ? undefined
        : (JSON.stringify(input) as string | undefined);
    return { data, sizeBytes: json === undefined ? Buffer.byteLength(JSON.stringify(data)) : frameBytes + Buffer.byteLength(json) };
  });
}

/**
 * Executors import the module from their cache (`.../modules/<hash>.mjs`, module.ts), so a task's
 * stack trace names that copy; the user knows the module as `shownAs`.
 */
export function renameCachedModule(text: string, moduleHash: string, shownAs: string): string {
  if (!text.includes(moduleHash)) return text;
  const cached = new RegExp(`(?:file://)?[^\\s()]*/modules/${moduleHash}\\.mjs`, "g");
  return text.replace(cached, () => shownAs);
}

/** The driver's log with task failures (their reasons carry stacks) naming the user's module. */
function renamingCachedModule(logger: Logger, moduleHash: string, shownAs: string): Logger {
  return {
    log(level, event, fields) {
      if (fields === undefined) return logger.log(level, event);
      const renamed: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(fields))
        renamed[key] = typeof value === "string" ? renameCachedModule(value, moduleHash, shownAs) : value;
      logger.log(level, event, renamed);
    },
    close: () => logger.close(),
  };
}

/** Builds the application description that ships the module (exported for `flint submit`). */
export function applicationDescription(
  shipped: ShippedModule,
  options: Pick<ConnectOptions, "app" | "cores" | "executorCores" | "executorMemoryMb">,
  protocol: ProtocolConfig,
): ApplicationDescription {
  const desc: ApplicationDescription = {
    name: options.app ?? shipped.moduleName.replace(/\.[cm]?js$/, ""),
    memoryPerExecutorMb: options.executorMemoryMb ?? protocol.executorMemoryMb,
    command: { moduleHash: shipped.moduleHash, moduleName: shipped.moduleName, moduleSource: shipped.moduleSource },
  };
  if (options.cores !== undefined) desc.maxCores = options.cores;
  if (options.executorCores !== undefined) desc.coresPerExecutor = options.executorCores;
  return desc;
}

export async function connect(options: ConnectOptions): Promise<Cluster> {
  const masters = parseAddressList(options.master);
  const secret = options.secret ?? (options.secretFile !== undefined ? readSecretFile(options.secretFile) : undefined);
  const protocol = protocolConfigFromEnv(process.env, options.protocol ?? {});
  const shipped = loadModule(options.module);
  const appDesc = applicationDescription(shipped, options, protocol);
  const shownAs = options.moduleShownAs ?? options.module;
  const logger = renamingCachedModule(
    options.logger ?? createLogger({ node: "driver", consoleLevel: "warn" }),
    shipped.moduleHash,
    shownAs,
  );
  const masterHost = parseAddress(masters[0]!).host;
  const listenHost = options.host ?? (isLoopbackHost(masterHost) ? "127.0.0.1" : "0.0.0.0");
  let onDialFailed: (failure: DialFailure) => void = () => {};
  const transport = new Transport({
    logger,
    ...(secret !== undefined ? { secret } : { allowUnauthenticated: true }),
    maxFrameBytes: protocol.maxMessageSizeBytes,
    ...(options.advertisedHost !== undefined
      ? { advertiseHost: options.advertisedHost }
      : listenHost === "0.0.0.0"
        ? { advertiseHost: hostname() }
        : {}),
  });
  transport.onDialFailed((failure) => onDialFailed(failure));
  const address = await listenInRange(transport, listenHost, options.ports);
  const advertisedHost = parseAddress(address).host;

  const pending = new Map<string, PendingJob>();
  const listeners: Array<(n: Notification) => void> = [];
  let appId: AppId | undefined;
  let deadReason: string | undefined;
  let nextJob = 0;
  let registered!: (id: AppId) => void;
  let failed!: (err: Error) => void;
  const ready = new Promise<AppId>((resolve, reject) => {
    registered = resolve;
    failed = reject;
  });
  ready.catch(() => {});

  const failAll = (rawReason: string): void => {
    const reason = renameCachedModule(rawReason, shipped.moduleHash, shownAs);
    deadReason ??= reason;
    for (const [id, job] of pending) job.reject(new JobFailedError(id, reason));
    pending.clear();
    failed(new Error(`the application could not start: ${reason}`));
  };

  // Before the application is registered, a failure that never heals by itself (a failed
  // authentication, an unknown host, an incompatible peer) is said at once. A transient one (a
  // refused connection, a master that does not answer in time: it may be starting, restarting or
  // paused) is a RegisterApplication lost on the way, as the protocol's app client expects: its
  // registration rounds (appRegistrationRetries rounds, appRegistrationTimeoutMs apart, each to
  // every master) go on, and when the last one ends unanswered the role gives up ("All masters are
  // unresponsive! Giving up."), to which the last failure per master is added. After registration
  // the protocol's own timeouts and retries apply.
  const unreachable = new Map<Address, string>();
  onDialFailed = (failure) => {
    const peer = failure.peer;
    if (appId !== undefined || deadReason !== undefined || !masters.includes(peer)) return;
    if (!isTransient(failure)) {
      failAll(failure.detail);
      return;
    }
    unreachable.set(peer, failure.detail);
    logger.log("warn", "master-unreachable", { master: peer, kind: failure.kind, why: failure.detail });
  };
  /** The role's reason for giving up, with why each master could not be reached (if a dial failed). */
  const withDialFailures = (reason: string): string =>
    appId === undefined && unreachable.size > 0 ? `${reason} (${[...unreachable.values()].join("; ")})` : reason;

  const appModel = new AppModel(appDesc.name);
  const metrics = driverMetrics(() => appModel.snapshot());
  const onNotify = (n: Notification): void => {
    appModel.onNotification(n);
    switch (n.kind) {
      case "appRegistered":
        appId = n.appId;
        registered(n.appId);
        break;
      case "appDead":
        failAll(withDialFailures(n.reason));
        break;
      case "jobProgress":
        pending.get(n.jobId)?.onProgress?.({ jobId: n.jobId, tasksFinished: n.tasksFinished, tasksTotal: n.tasksTotal });
        break;
      case "jobSucceeded": {
        const job = pending.get(n.jobId);
        pending.delete(n.jobId);
        job?.resolve(n.results);
        break;
      }
      case "jobFailed": {
        const job = pending.get(n.jobId);
        pending.delete(n.jobId);
        job?.reject(new JobFailedError(n.jobId, renameCachedModule(n.reason, shipped.moduleHash, shownAs)));
        break;
      }
      case "executorAdded":
      case "executorRemoved":
      case "taskEnded":
        break;
    }
    for (const listener of listeners) listener(n);
  };

  const host: Host<unknown> = startHost(
    observeRole(driver, metrics.observe),
    { address, host: advertisedHost, masterAddresses: masters, appDesc, protocol, seed: randomSeed() },
    {
      transport,
      logger,
      onNotify,
      onExit: (code, reason) => failAll(code === 0 ? `driver stopped: ${reason}` : reason),
      ...(options.validate ? { afterStep: options.validate(address) } : {}),
      ...journalDep(
        "driver",
        address,
        options.journal === undefined ? process.env : { [JOURNAL_ENV]: options.journal === false ? "off" : options.journal },
      ),
    },
  ) as Host<unknown>;

  const registrationWindowMs = options.connectTimeoutMs ?? appRegistrationDeadlineMs(protocol);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ready,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no master registered the application within ${registrationWindowMs} ms (${masters.join(", ")})`)),
          registrationWindowMs,
        );
      }),
    ]);
  } catch (err) {
    await host.stop(1, "registration failed");
    if (!options.logger) await logger.close();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  let web: WebServer | undefined;
  if (options.webUi !== undefined) {
    try {
      web = await startWebServer({
        host: options.webUi.host ?? "127.0.0.1",
        port: options.webUi.port,
        ...(secret !== undefined ? { secret } : {}),
        logger,
        site: appSite(appModel, metrics.registry),
      });
    } catch (err) {
      // The UI is for people: a taken port costs the UI, never the application.
      logger.log("error", "web-ui-unavailable", { error: (err as Error).message });
    }
  }
  void host.exited.then(() => web?.close());

  return {
    // A getter: a driver that registers again after losing its master may be given a new id.
    get appId(): AppId {
      return appId!;
    },
    address,
    webUrl: web?.url,
    closed: host.exited,
    onNotification: (listener) => void listeners.push(listener),
    run<T>(fn: string, inputs: readonly unknown[], runOptions: RunOptions = {}): Promise<T[]> {
      if (!host.running || deadReason !== undefined)
        return Promise.reject(new Error(`the application has ended: ${deadReason ?? "closed"}`));
      if (inputs.length === 0) return Promise.resolve([]);
      // Refused here, by path, rather than changed silently on the way (serializable.ts).
      const bad = notSerializable(inputs, "inputs");
      if (bad !== undefined) return Promise.reject(new TypeError(`cannot run ${fn}: ${bad}`));
      const id: JobId = toJobId(`job-${nextJob++}`);
      const tasks: TaskPayload[] = taskPayloads(shipped.moduleHash, fn, inputs);
      const { signal } = runOptions;
      if (signal?.aborted) return Promise.reject(new JobFailedError(id, "cancelled before it started"));
      const onAbort = (): void =>
        host.input({ type: "command", command: { kind: "cancelJob", jobId: id, reason: "cancelled by the user" } });
      signal?.addEventListener("abort", onAbort, { once: true });
      return new Promise<T[]>((resolve, reject) => {
        const done = (): void => signal?.removeEventListener("abort", onAbort);
        pending.set(id, {
          resolve: (results) => {
            done();
            resolve(results as T[]);
          },
          reject: (err) => {
            done();
            reject(err);
          },
          onProgress: runOptions.onProgress,
        });
        appModel.jobSubmitted(id, tasks.length);
        host.input({ type: "command", command: { kind: "submitJob", jobId: id, taskSets: [{ tasks }] } });
      });
    },
    async close() {
      if (host.running) host.input({ type: "command", command: { kind: "stopApplication" } });
      const stopped = await Promise.race([host.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 3_000).unref())]);
      if (stopped === undefined) await host.stop(0, "closed");
      await web?.close();
      if (!options.logger) await logger.close();
    },
  };
}
