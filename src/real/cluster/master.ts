/**
 * The master process: the master role on a listening transport, an in-memory recovery store,
 * and the status channel. Elected at start (Spark's MonarchyLeaderAgent): the host delivers
 * `leaderElected` with what the store holds.
 */
import { master, type MasterState } from "../../protocol/master/index.js";
import type { ProtocolConfig } from "../../protocol/config.js";
import type { Address } from "../../protocol/ids.js";
import { startHost, type Host } from "../host.js";
import type { Logger } from "../log.js";
import { InMemoryRecoveryStore, type RecoveryStore } from "../store.js";
import { FlushingTransport as Transport } from "./flushing.js";
import { advertiseHostFor, randomSeed } from "./runtime.js";
import { masterSnapshot } from "./snapshot.js";
import { startStatusServer, type StatusServer } from "./status.js";

export interface MasterOptions {
  host: string;
  port: number;
  /** Port of the status channel; default port + 1 (0 when port is 0). */
  statusPort?: number;
  secret?: string;
  protocol: ProtocolConfig;
  logger: Logger;
  store?: RecoveryStore;
}

export interface MasterProcess {
  readonly address: Address;
  readonly statusAddress: Address;
  readonly host: Host<MasterState>;
  stop(): Promise<void>;
}

export async function startMaster(options: MasterOptions): Promise<MasterProcess> {
  const { logger } = options;
  const store = options.store ?? new InMemoryRecoveryStore();
  const transport = new Transport({
    logger,
    ...(options.secret !== undefined ? { secret: options.secret } : { allowUnauthenticated: true }),
    maxFrameBytes: options.protocol.maxMessageSizeBytes,
    advertiseHost: advertiseHostFor(options.host),
  });
  const address = await transport.listen(options.host, options.port);
  const host = startHost(master, { address, protocol: options.protocol, seed: randomSeed() }, {
    transport,
    logger,
    handlers: {
      persist: (e) => store.persist(e.key, e.record),
      unpersist: (e) => store.unpersist(e.key),
    },
  });
  host.input({ type: "leaderElected", stored: store.read() });
  let status: StatusServer;
  try {
    status = await startStatusServer({
      host: options.host,
      port: options.statusPort ?? (options.port === 0 ? 0 : options.port + 1),
      nodeAddress: address,
      ...(options.secret !== undefined ? { secret: options.secret } : {}),
      logger,
      snapshot: () => masterSnapshot(host.state, Date.now()),
    });
  } catch (err) {
    await host.stop(1, "status port unavailable");
    throw err;
  }
  logger.log("info", "master-ready", { address, status: status.address });
  return {
    address,
    statusAddress: status.address,
    host,
    async stop() {
      await status.close();
      await host.stop(0, "stopped");
    },
  };
}
