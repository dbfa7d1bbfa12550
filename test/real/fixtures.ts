/** Shared helpers for the real-transport tests: sample messages, transports, raw peers, waiting. */
import { connect, type Socket } from "node:net";
import { address, appId, driverId, executorId, workerId, type Address } from "../../src/protocol/ids.js";
import type { Message, MessageType } from "../../src/protocol/messages.js";
import { FrameDecoder, encodeFrame, messagePayload, type MessageId } from "../../src/real/framing.js";
import { Handshake, type HandshakeOptions } from "../../src/real/handshake.js";
import { createMemoryLogger, type LogEntry } from "../../src/real/log.js";
import { Transport, type TransportOptions } from "../../src/real/transport.js";

export const SECRET = "test-secret-0123456789abcdef";

const appDesc = { name: "pi", memoryPerExecutorMb: 512, coresPerExecutor: 1, command: { module: "pi.mjs" } };
const driverDesc = { cores: 1, memoryMb: 512, supervise: false, command: { module: "d.mjs" } };
const exec = { appId: appId("app-1"), execId: 0, cores: 1, memoryMb: 512, state: "RUNNING" as const };
const m = address("flint://127.0.0.1:7077");
const w = address("flint://127.0.0.1:7078");

/** One well-formed example of every message type (the Record type keeps it complete). */
export const SAMPLE_MESSAGES: Record<MessageType, Message> = {
  RegisterWorker: {
    type: "RegisterWorker",
    workerId: workerId("w-1"),
    host: "127.0.0.1",
    port: 7078,
    workerAddress: w,
    cores: 2,
    memoryMb: 1024,
    masterAddress: m,
  },
  RegisteredWorker: { type: "RegisteredWorker", masterAddress: m, configuredMasterAddress: m, duplicate: false },
  RegisterWorkerFailed: { type: "RegisterWorkerFailed", message: "Duplicate worker ID" },
  MasterInStandby: { type: "MasterInStandby" },
  Heartbeat: { type: "Heartbeat", workerId: workerId("w-1"), workerAddress: w },
  ReconnectWorker: { type: "ReconnectWorker", masterUrl: m },
  WorkerLatestState: { type: "WorkerLatestState", workerId: workerId("w-1"), executors: [exec], driverIds: [driverId("d-1")] },
  MasterChanged: { type: "MasterChanged", masterAddress: m },
  WorkerSchedulerStateResponse: { type: "WorkerSchedulerStateResponse", workerId: workerId("w-1"), executors: [], driverIds: [] },
  LaunchExecutor: {
    type: "LaunchExecutor",
    masterUrl: m,
    appId: appId("app-1"),
    execId: 0,
    appDesc,
    driverAddress: w,
    cores: 1,
    memoryMb: 512,
  },
  KillExecutor: { type: "KillExecutor", masterUrl: m, appId: appId("app-1"), execId: 0 },
  ExecutorStateChanged: { type: "ExecutorStateChanged", appId: appId("app-1"), execId: 0, state: "EXITED", message: "done", exitStatus: 0 },
  ExecutorStateChangedResponse: { type: "ExecutorStateChangedResponse", appId: appId("app-1"), execId: 0, state: "EXITED" },
  LaunchDriver: { type: "LaunchDriver", driverId: driverId("d-1"), desc: driverDesc },
  KillDriver: { type: "KillDriver", driverId: driverId("d-1") },
  DriverStateChanged: { type: "DriverStateChanged", driverId: driverId("d-1"), state: "FAILED", exception: "boom" },
  ApplicationFinished: { type: "ApplicationFinished", appId: appId("app-1") },
  RegisterApplication: { type: "RegisterApplication", appDesc, driverAddress: w },
  RegisteredApplication: { type: "RegisteredApplication", appId: appId("app-1"), masterAddress: m },
  UnregisterApplication: { type: "UnregisterApplication", appId: appId("app-1") },
  MasterChangeAcknowledged: { type: "MasterChangeAcknowledged", appId: appId("app-1") },
  ExecutorAdded: { type: "ExecutorAdded", execId: 0, workerId: workerId("w-1"), hostPort: "127.0.0.1:7078", cores: 1, memoryMb: 512 },
  ExecutorUpdated: { type: "ExecutorUpdated", execId: 0, state: "LOST", message: "worker lost", workerHost: "127.0.0.1" },
  ApplicationRemoved: { type: "ApplicationRemoved", message: "killed" },
  WorkerRemoved: { type: "WorkerRemoved", workerId: workerId("w-1"), host: "127.0.0.1", message: "lost" },
  RequestExecutors: { type: "RequestExecutors", appId: appId("app-1"), requestedTotal: 3 },
  RequestExecutorsResponse: { type: "RequestExecutorsResponse", appId: appId("app-1"), acknowledged: true },
  KillExecutors: { type: "KillExecutors", appId: appId("app-1"), executorIds: ["0", "1"] },
  KillExecutorsResponse: { type: "KillExecutorsResponse", appId: appId("app-1"), acknowledged: false },
  RequestSubmitDriver: { type: "RequestSubmitDriver", desc: driverDesc },
  SubmitDriverResponse: { type: "SubmitDriverResponse", masterAddress: m, success: true, driverId: driverId("d-1"), message: "ok" },
  RequestKillDriver: { type: "RequestKillDriver", driverId: driverId("d-1") },
  KillDriverResponse: { type: "KillDriverResponse", masterAddress: m, driverId: driverId("d-1"), success: true, message: "killed" },
  RequestDriverStatus: { type: "RequestDriverStatus", driverId: driverId("d-1") },
  DriverStatusResponse: {
    type: "DriverStatusResponse",
    found: true,
    state: "RUNNING",
    workerId: workerId("w-1"),
    workerHostPort: "127.0.0.1:7078",
  },
  RegisterExecutor: { type: "RegisterExecutor", executorId: executorId(0), executorAddress: w, hostname: "127.0.0.1", cores: 1 },
  RegisteredExecutor: { type: "RegisteredExecutor" },
  RegisterExecutorFailed: { type: "RegisterExecutorFailed", message: "Duplicate executor ID" },
  LaunchedExecutor: { type: "LaunchedExecutor", executorId: executorId(0) },
  StatusUpdate: {
    type: "StatusUpdate",
    executorId: executorId(0),
    taskId: 7,
    state: "FINISHED",
    data: { kind: "result", value: { pi: 3.14 }, sizeBytes: 12 },
    taskCpus: 1,
  },
  LaunchTask: {
    type: "LaunchTask",
    task: {
      taskId: 7,
      attemptNumber: 0,
      executorId: executorId(0),
      taskSetId: "job-1.0.0",
      index: 3,
      cpus: 1,
      payload: { data: [1, 2, 3], sizeBytes: 7 },
    },
  },
  KillTask: { type: "KillTask", taskId: 7, executorId: executorId(0), interruptThread: true, reason: "stage cancelled" },
  StopExecutor: { type: "StopExecutor" },
  RemoveExecutor: { type: "RemoveExecutor", executorId: executorId(0), reason: "driver lost" },
  ExecutorHeartbeat: { type: "ExecutorHeartbeat", executorId: executorId(0) },
  HeartbeatResponse: { type: "HeartbeatResponse", reregisterBlockManager: false },
};

/** A numbered message for ordering tests. */
/** A message carrying `n` in its executor id (a negative `n` as `m<-n>`: an id starts with a letter or digit). */
export const numbered = (n: number): Message => ({ type: "RemoveExecutor", executorId: executorId(n < 0 ? `m${-n}` : n), reason: `#${n}` });
export const numberOf = (message: Message): number => {
  const id = (message as { executorId: string }).executorId;
  return id.startsWith("m") ? -Number(id.slice(1)) : Number(id);
};

// ---- Transports that are closed after each test ----------------------------------------------

export interface Received {
  from: Address;
  message: Message;
}

export interface TestNode {
  transport: Transport;
  address: Address;
  received: Received[];
  /** The id each received message came with (undefined: none), in the order of `received`. */
  receivedIds: Array<MessageId | undefined>;
  disconnected: Address[];
  log: LogEntry[];
}

const open: Array<{ close(): unknown }> = [];

export function track<T extends { close(): unknown }>(thing: T): T {
  open.push(thing);
  return thing;
}

export async function closeAll(): Promise<void> {
  const things = open.splice(0);
  await Promise.all(things.map((t) => Promise.resolve(t.close())));
}

export async function startNode(name: string, options: Partial<TransportOptions> = {}): Promise<TestNode> {
  const logger = createMemoryLogger(name);
  const transport = track(new Transport({ logger, secret: SECRET, ...options }));
  const received: Received[] = [];
  const receivedIds: Array<MessageId | undefined> = [];
  const disconnected: Address[] = [];
  transport.attach({
    onMessage: (from, message, _json, id) => {
      received.push({ from, message });
      receivedIds.push(id);
    },
    onDisconnected: (peer) => disconnected.push(peer),
  });
  const addr = await transport.listen("127.0.0.1", 0);
  return { transport, address: addr, received, receivedIds, disconnected, log: logger.entries };
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const rejections = (log: LogEntry[]): LogEntry[] => log.filter((e) => e.event === "connection-rejected");

// ---- A raw peer: a socket we drive by hand ---------------------------------------------------

export class RawPeer {
  readonly socket: Socket;
  readonly frames: Buffer[] = [];
  closed = false;
  private readonly decoder = new FrameDecoder(1 << 30);
  readonly connected: Promise<void>;

  readonly target: Address;

  constructor(target: Address) {
    this.target = target;
    const port = Number(target.slice(target.lastIndexOf(":") + 1));
    this.socket = connect({ host: "127.0.0.1", port });
    this.socket.on("data", (chunk: Buffer) => this.frames.push(...this.decoder.push(chunk).frames));
    this.socket.on("error", () => undefined);
    this.socket.on("close", () => (this.closed = true));
    this.connected = new Promise((resolve) => this.socket.once("connect", () => resolve()));
    track({ close: () => this.socket.destroy() });
  }

  write(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  frame(payload: Buffer | string): void {
    this.write(encodeFrame(typeof payload === "string" ? Buffer.from(payload) : payload));
  }

  /** Sends a message frame after the handshake: the id (none: the zero id), then `json`. */
  message(json: string, id?: MessageId): void {
    this.frame(messagePayload(json, id));
  }

  /** Completes the handshake as a client announcing `ourAddress`. */
  async handshake(ourAddress: Address, options: Partial<HandshakeOptions> = {}): Promise<void> {
    await this.connected;
    const hs = new Handshake({ side: "client", ourAddress, dialed: this.target, secret: SECRET, ...options });
    for (const f of hs.start()) this.frame(f);
    let used = 0;
    while (!hs.done) {
      await waitFor(() => this.frames.length > used || this.closed, "a handshake frame", 5_000);
      if (this.frames.length <= used) throw new Error("raw peer: closed during the handshake");
      const progress = hs.receive(this.frames[used++]!);
      for (const f of progress.send) this.frame(f);
      if (progress.reject) throw new Error(`raw peer: rejected: ${progress.reject.detail}`);
    }
    this.frames.splice(0, used);
  }

  async waitClosed(timeoutMs = 5_000): Promise<void> {
    await waitFor(() => this.closed, "the raw peer's socket to close", timeoutMs);
  }
}
