/**
 * ZOOKEEPER recovery (Spark's ZooKeeperPersistenceEngine, docs/protocol.md §3.2): each record is a
 * PERSISTENT znode `<root>/master_status/<key>` holding the same JSON as a recovery file.
 *
 * A znode that cannot be decoded is reported by name in `problems` and skipped, but NOT deleted
 * (Spark 3.x deletes it): deleting destroys the evidence an operator needs, a record written by a
 * newer flint would be lost to a rolling downgrade, and a master that may be about to lose
 * leadership should not make destructive writes it was not asked for (§3.5 item 1). Spark 4.0 skips
 * without deleting for the records its filter rejects, for the same reasons.
 */
import type { PersistedRecord } from "../../protocol/records.js";
import { addRecord, checkKey, decodeRecord, emptyRecords, encodeRecord, isRecordKey } from "./codec.js";
import type { DurableRecoveryStore, RecoveryReadResult } from "./types.js";
import { zk, ZkClient, ZkError } from "./zkClient.js";

export const DEFAULT_ZK_ROOT = "/flint";
/** Spark's default `spark.deploy.zookeeper` session timeout. */
export const DEFAULT_ZK_SESSION_TIMEOUT_MS = 60_000;
export const DEFAULT_ZK_REQUEST_TIMEOUT_MS = 10_000;

export interface ZooKeeperStoreOptions {
  /** `host:port[,host:port...]`. */
  connectString: string;
  /** Folder for flint's znodes (default `/flint`). */
  root?: string;
  sessionTimeoutMs?: number;
  /** Deadline of one request; a persist that misses it rejects (the host then stops leading). */
  requestTimeoutMs?: number;
}

export class ZooKeeperRecoveryStore implements DurableRecoveryStore {
  private constructor(
    private readonly client: ZkClient,
    /** `<root>/master_status`. */
    readonly statusPath: string,
  ) {}

  static async open(options: ZooKeeperStoreOptions): Promise<ZooKeeperRecoveryStore> {
    const root = normalizeRoot(options.root ?? DEFAULT_ZK_ROOT);
    const client = await ZkClient.connect(options.connectString, {
      sessionTimeoutMs: options.sessionTimeoutMs ?? DEFAULT_ZK_SESSION_TIMEOUT_MS,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_ZK_REQUEST_TIMEOUT_MS,
    });
    const statusPath = joinZk(root, "master_status");
    try {
      await client.mkdirp(statusPath);
    } catch (error) {
      client.close();
      throw error;
    }
    return new ZooKeeperRecoveryStore(client, statusPath);
  }

  async read(): Promise<RecoveryReadResult> {
    const records = emptyRecords();
    const problems: string[] = [];
    const names = (await this.client.getChildren(this.statusPath)).sort();
    for (const name of names) {
      if (!isRecordKey(name)) {
        problems.push(`recovery znode ${name}: not a record name (app_/driver_/worker_<id>), ignored`);
        continue;
      }
      let data: Buffer;
      try {
        data = await this.client.getData(joinZk(this.statusPath, name));
      } catch (error) {
        // Removed between the listing and the read: an unpersist raced with us, nothing lost.
        if (error instanceof ZkError && error.code === zk.Exception.NO_NODE) continue;
        throw error;
      }
      const decoded = decodeRecord(name, data.toString("utf8"));
      if (decoded.ok) addRecord(records, decoded.record);
      else problems.push(`recovery znode ${name}: ${decoded.why}`);
    }
    return { records, problems };
  }

  async persist(key: string, record: PersistedRecord): Promise<void> {
    checkKey(key, record);
    const path = joinZk(this.statusPath, key);
    const data = Buffer.from(encodeRecord(key, record), "utf8");
    // A znode write is atomic and acknowledged only once a quorum logged it: durable on return.
    try {
      await this.client.create(path, data, zk.CreateMode.PERSISTENT);
    } catch (error) {
      if (!(error instanceof ZkError && error.code === zk.Exception.NODE_EXISTS)) throw error;
      await this.client.setData(path, data);
    }
  }

  async unpersist(key: string): Promise<void> {
    if (!isRecordKey(key)) throw new Error(`recovery key ${JSON.stringify(key)} is not app_/driver_/worker_<id>`);
    try {
      await this.client.remove(joinZk(this.statusPath, key));
    } catch (error) {
      if (error instanceof ZkError && error.code === zk.Exception.NO_NODE) return;
      throw error;
    }
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

/** `/a/b/` -> `/a/b`; `` or `/` -> `` (the tree's root); throws on a relative or malformed path. */
export function normalizeRoot(root: string): string {
  if (!root.startsWith("/")) throw new Error(`ZooKeeper root ${JSON.stringify(root)} must start with /`);
  const trimmed = root.replace(/\/+$/, "");
  if (
    trimmed
      .split("/")
      .slice(1)
      .some((part) => part === "" || part === "." || part === "..")
  ) {
    throw new Error(`ZooKeeper root ${JSON.stringify(root)} is not a valid path`);
  }
  return trimmed;
}

export function joinZk(parent: string, child: string): string {
  return `${parent}/${child}`;
}
