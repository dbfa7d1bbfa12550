/**
 * A small promise wrapper over node-zookeeper-client (pure JavaScript, no native build), typed
 * locally for the calls flint makes. Every request carries a deadline: the library queues requests
 * while disconnected and would otherwise leave a caller waiting for ever.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** The parts of node-zookeeper-client's API used here. */
interface ZkLibrary {
  createClient(connectionString: string, options: { sessionTimeout: number; spinDelay: number; retries: number }): RawClient;
  CreateMode: { PERSISTENT: number; EPHEMERAL: number; PERSISTENT_SEQUENTIAL: number; EPHEMERAL_SEQUENTIAL: number };
  State: Record<"SYNC_CONNECTED" | "DISCONNECTED" | "EXPIRED" | "AUTH_FAILED" | "CONNECTED_READ_ONLY", { name: string; code: number }>;
  Exception: { NO_NODE: number; NODE_EXISTS: number; NOT_EMPTY: number };
}

type Callback<T> = (error: (Error & { getCode?: () => number }) | null, result: T) => void;
type Watcher = (event: { getType(): number; getPath(): string; getName(): string }) => void;

interface RawClient {
  /** Internal; touched only by the reconnect watchdog (see ZkClient). */
  connectionManager?: { socket?: { destroy(): void; connecting?: boolean; destroyed?: boolean } };
  connect(): void;
  close(): void;
  on(event: "state", listener: (state: { name: string; code: number }) => void): void;
  once(event: "connected", listener: () => void): void;
  getSessionTimeout(): number;
  getSessionId(): Buffer;
  create(path: string, data: Buffer | null, mode: number, callback: Callback<string>): void;
  remove(path: string, version: number, callback: Callback<void>): void;
  setData(path: string, data: Buffer, version: number, callback: Callback<unknown>): void;
  getData(path: string, watcher: Watcher | undefined, callback: (error: Error | null, data: Buffer | undefined) => void): void;
  exists(path: string, watcher: Watcher | undefined, callback: Callback<unknown>): void;
  getChildren(path: string, watcher: Watcher | undefined, callback: Callback<string[]>): void;
  mkdirp(path: string, callback: Callback<string>): void;
}

export const zk = require("node-zookeeper-client") as ZkLibrary;

const RECONNECT_WATCHDOG_MS = 1000;

export type ZkState = "connected" | "disconnected" | "expired" | "auth-failed" | "read-only";

export interface ZkOptions {
  /** Requested session timeout; the server clamps it to [2, 20] x its tickTime. */
  sessionTimeoutMs: number;
  /** Deadline for one request (and for the first connection). */
  requestTimeoutMs: number;
}

export class ZkError extends Error {
  constructor(
    message: string,
    readonly code: number | "timeout" | "closed",
  ) {
    super(message);
  }
}

/** One client session. Not reusable after `close` or expiry: make a new one. */
export class ZkClient {
  private readonly raw: RawClient;
  private closed = false;
  private readonly stateListeners: ((state: ZkState) => void)[] = [];
  private connected = false;
  private watchdog: NodeJS.Timeout | undefined;

  private constructor(
    readonly connectionString: string,
    readonly options: ZkOptions,
  ) {
    // retries 0: flint decides what to retry; spinDelay small so a restarted server is found fast.
    this.raw = zk.createClient(connectionString, { sessionTimeout: options.sessionTimeoutMs, spinDelay: 100, retries: 0 });
    this.raw.on("state", (state) => {
      const mapped = mapState(state.name);
      if (!mapped) return;
      this.connected = mapped === "connected" || mapped === "read-only";
      if (mapped === "disconnected") this.armWatchdog();
      for (const listener of this.stateListeners) listener(mapped);
    });
  }

  /** Connects, or rejects after `requestTimeoutMs` (closing the half-made client). */
  static async connect(connectionString: string, options: ZkOptions): Promise<ZkClient> {
    const client = new ZkClient(connectionString, options);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.close();
        reject(new ZkError(`could not connect to ZooKeeper at ${connectionString} within ${options.requestTimeoutMs} ms`, "timeout"));
      }, options.requestTimeoutMs);
      client.raw.once("connected", () => {
        clearTimeout(timer);
        resolve();
      });
      client.raw.connect();
    });
    return client;
  }

  onState(listener: (state: ZkState) => void): void {
    this.stateListeners.push(listener);
  }

  /** The timeout the server granted (valid once connected). */
  get sessionTimeoutMs(): number {
    return this.raw.getSessionTimeout();
  }

  get sessionId(): string {
    return this.raw.getSessionId().toString("hex");
  }

  /** Closes the session: the server deletes its ephemeral nodes at once (if it can be reached). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.watchdog);
    this.raw.close();
  }

  /**
   * node-zookeeper-client clears its connect timeout once TCP connects and has no read timeout
   * while it waits for the session handshake: a server that accepts the connection while it is
   * still starting (seen after a ZooKeeper restart under load) leaves the client waiting for ever.
   * While disconnected, drop the pending socket every `RECONNECT_WATCHDOG_MS` so the library makes
   * a fresh attempt with the same session.
   */
  private armWatchdog(): void {
    if (this.watchdog || this.closed) return;
    this.watchdog = setInterval(
      () => {
        if (this.connected || this.closed) {
          clearInterval(this.watchdog);
          this.watchdog = undefined;
          return;
        }
        const socket = this.raw.connectionManager?.socket;
        if (socket && !socket.destroyed && !socket.connecting) socket.destroy();
      },
      Math.min(RECONNECT_WATCHDOG_MS, Math.floor(this.options.sessionTimeoutMs / 3)),
    );
  }

  create(path: string, data: Buffer | null, mode: number): Promise<string> {
    return this.call<string>(`create ${path}`, (cb) => this.raw.create(path, data, mode, cb));
  }

  remove(path: string): Promise<void> {
    return this.call<void>(`remove ${path}`, (cb) => this.raw.remove(path, -1, cb));
  }

  setData(path: string, data: Buffer): Promise<void> {
    return this.call<unknown>(`setData ${path}`, (cb) => this.raw.setData(path, data, -1, cb)).then(() => undefined);
  }

  getData(path: string): Promise<Buffer> {
    return this.call<Buffer>(`getData ${path}`, (cb) =>
      this.raw.getData(path, undefined, (error, data) => cb(error, data ?? Buffer.alloc(0))),
    );
  }

  /** True when the node exists; the watcher (if any) fires once on its creation, change or deletion. */
  exists(path: string, watcher?: () => void): Promise<boolean> {
    return this.call<unknown>(`exists ${path}`, (cb) => this.raw.exists(path, watcher && (() => watcher()), cb)).then(
      (stat) => stat != null,
    );
  }

  getChildren(path: string, watcher?: () => void): Promise<string[]> {
    return this.call<string[]>(`getChildren ${path}`, (cb) => this.raw.getChildren(path, watcher && (() => watcher()), cb));
  }

  mkdirp(path: string): Promise<void> {
    return this.call<string>(`mkdirp ${path}`, (cb) => this.raw.mkdirp(path, cb)).then(() => undefined);
  }

  private call<T>(what: string, start: (cb: Callback<T>) => void): Promise<T> {
    if (this.closed) return Promise.reject(new ZkError(`ZooKeeper ${what}: client closed`, "closed"));
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const timer = setTimeout(() => {
        done = true;
        reject(new ZkError(`ZooKeeper ${what}: no answer within ${this.options.requestTimeoutMs} ms`, "timeout"));
      }, this.options.requestTimeoutMs);
      start((error, result) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (error) reject(new ZkError(`ZooKeeper ${what}: ${error.message}`, error.getCode ? error.getCode() : -1));
        else resolve(result);
      });
    });
  }
}

function mapState(name: string): ZkState | undefined {
  switch (name) {
    case "SYNC_CONNECTED":
      return "connected";
    case "DISCONNECTED":
      return "disconnected";
    case "EXPIRED":
      return "expired";
    case "AUTH_FAILED":
      return "auth-failed";
    case "CONNECTED_READ_ONLY":
      return "read-only";
    default:
      return undefined;
  }
}
