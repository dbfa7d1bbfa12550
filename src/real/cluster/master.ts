/**
 * The master process: the master role on a listening transport, its recovery store and leader
 * election (docs/protocol.md §3), and the status channel.
 *
 * The master starts as STANDBY (it answers MasterInStandby) and joins the election. Once elected
 * it reads the store, names every record it could not use, and feeds `leaderElected`; the reducer
 * then runs the recovery sequence. Each `persist`/`unpersist` is awaited before the next effect
 * (so an acknowledged registration is durable), and a failed write ends the process rather than
 * acknowledge what may be lost. Fencing: a leader whose leadership is revoked stops at once, and
 * before every step the host asks the election whether this master may still act, so a process
 * that was paused past its lease never schedules on resume.
 */
import { master, type MasterState } from "../../protocol/master/index.js";
import type { ProtocolConfig } from "../../protocol/config.js";
import type { Address } from "../../protocol/ids.js";
import { startHost, type Host, type StepObserver } from "../host.js";
import { journalDep } from "../journal/env.js";
import type { Logger } from "../log.js";
import { openRecovery, type OpenedRecovery, type RecoverySpec, type RecoveryTuning } from "../recovery/index.js";
import { retryTransient } from "../recovery/retry.js";
import { Transport } from "../transport.js";
import { advertiseHostFor, randomSeed, rejectionDetailLinesFromEnv } from "../runtime.js";
import { masterSnapshot } from "../snapshot.js";
import { startStatusServer, type StatusServer } from "./status.js";
import { masterMetrics, observeRole } from "../web/metrics.js";
import { masterSite } from "../web/masterSite.js";
import { startWebServer, type WebServer } from "../web/server.js";

/** Exit code of a master whose leadership was revoked (Spark exits 0; non-zero lets a supervisor restart it as a standby). */
export const EXIT_LEADERSHIP_LOST = 3;

/** The master's own port was free but its status port was not: says which listener failed. */
export class StatusPortError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    /** The port was derived (the master's port + 1), not given. */
    readonly derived: boolean,
    cause: Error,
  ) {
    super(`the status port ${host}:${port}${derived ? " (the master's port + 1)" : ""} is not available: ${cause.message}`, { cause });
    this.name = "StatusPortError";
  }
}

export interface MasterOptions {
  host: string;
  port: number;
  /** Port of the status channel; default port + 1 (0 when port is 0). */
  statusPort?: number;
  secret?: string;
  protocol: ProtocolConfig;
  logger: Logger;
  /** Where the state is kept and how leadership is won (default: none, in memory, elected at once). */
  recovery?: RecoverySpec;
  /** ZooKeeper session and grace (default: Spark's 60 s session). */
  tuning?: RecoveryTuning;
  /** The web UI, JSON API and /metrics (src/real/web); undefined: none. */
  web?: { host: string; port: number };
  /** The host name peers reach this master by, when not `host` (NAT, several interfaces). */
  advertisedHost?: string;
  /** `--validate`: called with the master's address, returns what checks every step (src/replay/validate.ts). */
  validate?: (address: Address) => StepObserver;
}

export interface MasterProcess {
  readonly address: Address;
  readonly statusAddress: Address;
  /** The web UI's URL, when it runs. */
  readonly webUrl: string | undefined;
  readonly host: Host<MasterState>;
  stop(): Promise<void>;
}

export async function startMaster(options: MasterOptions): Promise<MasterProcess> {
  const { logger } = options;
  logger.log("info", "master-starting", { pid: process.pid, recovery: describe(options.recovery ?? { mode: "none" }) });
  const transport = new Transport({
    logger,
    ...(options.secret !== undefined ? { secret: options.secret } : { allowUnauthenticated: true }),
    maxFrameBytes: options.protocol.maxMessageSizeBytes,
    advertiseHost: options.advertisedHost ?? advertiseHostFor(options.host),
    ...rejectionDetailLinesFromEnv(),
  });
  let address: Address;
  try {
    address = await transport.listen(options.host, options.port);
  } catch (err) {
    throw new Error(`the master's port ${options.host}:${options.port} is not available: ${(err as Error).message}`, { cause: err });
  }
  const spec = options.recovery ?? { mode: "none" };
  let recovery: OpenedRecovery;
  try {
    recovery = await openRecovery(spec, {
      ...options.tuning,
      candidateId: address,
      log: (event, fields) => logger.log(event === "revoked" ? "warn" : "info", `election-${event}`, fields),
    });
  } catch (err) {
    await transport.close();
    throw new Error(`recovery ${describe(spec)}: ${(err as Error).message}`);
  }
  const { store, election } = recovery;
  /** Set once `leaderElected` is fed: from then on every step needs a valid leadership. */
  let leading = false;
  let hostRef: Host<MasterState> | undefined;
  const metrics = masterMetrics(() => hostRef!.state);
  const host = startHost(
    observeRole(master, metrics.observe),
    { address, protocol: options.protocol, seed: randomSeed() },
    {
      transport,
      logger,
      handlers: {
        // A transient failure (EMFILE under a connection flood) is retried for a while before the master gives up.
        persist: (e) =>
          retryTransient(() => metrics.timeStoreWrite(() => store.persist(e.key, e.record)), { onRetry: persistRetryLog(logger, e.key) }),
        unpersist: (e) =>
          retryTransient(() => metrics.timeStoreWrite(() => store.unpersist(e.key)), { onRetry: persistRetryLog(logger, e.key) }),
      },
      mayAct: () => (leading && !election.holdsLeadership() ? "leadership lost: this master may no longer act" : undefined),
      ...journalDep("master", address),
      ...(options.validate ? { afterStep: options.validate(address) } : {}),
    },
  );
  hostRef = host;
  const cleanedUp = host.exited.then(async () => {
    await election.stop().catch((err: unknown) => logger.log("warn", "election-stop-failed", { error: String(err) }));
    await store.close().catch((err: unknown) => logger.log("warn", "store-close-failed", { error: String(err) }));
  });

  const becomeLeader = async (): Promise<void> => {
    const startedMs = Date.now();
    let read;
    try {
      read = await store.read();
    } catch (err) {
      logger.log("error", "recovery-read-failed", { recovery: describe(spec), error: (err as Error).message });
      await host.stop(1, `cannot read the recovery store: ${(err as Error).message}`);
      return;
    }
    for (const problem of read.problems) logger.log("warn", "recovery-problem", { problem });
    const { apps, drivers, workers } = read.records;
    logger.log("info", "elected-leader", {
      recovery: describe(spec),
      apps: apps.length,
      drivers: drivers.length,
      workers: workers.length,
      unreadable: read.problems.length,
      readMs: Date.now() - startedMs,
    });
    leading = true;
    host.input({ type: "leaderElected", stored: read.records });
  };

  try {
    await election.start({
      elected: () => void becomeLeader(),
      revoked: (reason) => {
        logger.log("error", "leadership-revoked", { reason });
        void host.stop(EXIT_LEADERSHIP_LOST, `Leadership has been revoked (${reason}) -- master shutting down.`);
      },
    });
  } catch (err) {
    await host.stop(1, "election unavailable");
    await cleanedUp;
    throw new Error(`recovery ${describe(spec)}: cannot join the election: ${(err as Error).message}`);
  }

  let status: StatusServer;
  const statusPort = options.statusPort ?? (options.port === 0 ? 0 : options.port + 1);
  try {
    status = await startStatusServer({
      host: options.host,
      port: statusPort,
      nodeAddress: address,
      ...(options.advertisedHost !== undefined ? { advertisedHost: options.advertisedHost } : {}),
      ...(options.secret !== undefined ? { secret: options.secret } : {}),
      logger,
      snapshot: () => masterSnapshot(host.state, Date.now()),
    });
  } catch (err) {
    await host.stop(1, "status port unavailable");
    await cleanedUp;
    throw new StatusPortError(options.host, statusPort, options.statusPort === undefined, err as Error);
  }
  let web: WebServer | undefined;
  if (options.web !== undefined) {
    try {
      web = await startWebServer({
        ...options.web,
        ...(options.secret !== undefined ? { secret: options.secret } : {}),
        logger,
        site: masterSite(() => host.state, metrics.registry),
      });
    } catch (err) {
      // The UI is for people: a taken port costs the UI, never the master.
      logger.log("error", "web-ui-unavailable", { error: (err as Error).message });
    }
  }
  void host.exited.then(() => Promise.all([status.close(), web?.close()]));
  logger.log("info", "master-ready", { address, status: status.address, recovery: describe(spec), ...(web ? { web: web.url } : {}) });
  return {
    address,
    statusAddress: status.address,
    webUrl: web?.url,
    host,
    async stop() {
      await web?.close();
      await status.close();
      await host.stop(0, "stopped");
      await cleanedUp;
    },
  };
}

function describe(spec: RecoverySpec): string {
  switch (spec.mode) {
    case "none":
      return "none";
    case "filesystem":
      return `filesystem:${spec.dir}`;
    case "zookeeper":
      return `zookeeper:${spec.connectString}${spec.root}`;
  }
}

function persistRetryLog(logger: Logger, key: string): (error: NodeJS.ErrnoException, attempt: number, delayMs: number) => void {
  return (error, attempt, delayMs) =>
    logger.log("warn", "persist-retry", { key, code: error.code, error: error.message, attempt, delayMs });
}
