/**
 * The real transport: framed messages over TCP (node:net, Nagle off), one connection per peer at
 * a time, authenticated by the handshake (handshake.ts) before any message passes.
 *
 * - A frame after the handshake is one message: its id (framing.ts: the sender's pid, step and
 *   effect index, given by the host) and its JSON; the receiver hands both on (its journal records
 *   the id).
 * - `send(to, message)` queues the message in the peer's outbox and connects on demand. Messages
 *   queued in one task (an I/O callback, a timer, a step) go out as one write, flushed in a
 *   microtask right after it. The outbox is FIFO and
 *   bound to one connection until it closes, so messages to a peer arrive in the order they were
 *   sent, or are lost with the connection (the host contract, io.ts rule 2). A connection the peer
 *   opened to us also carries our messages to it when we have none of our own.
 * - Back-pressure: when `socket.write` returns false the outbox stops writing until 'drain'; the
 *   outbox itself is bounded (messages and bytes), and a message over the bound is dropped with a
 *   logged reason. Nothing here throws at a caller because of a peer.
 * - Bad input (a broken frame, a failed handshake, an undecodable message) closes THAT
 *   connection with a logged reason; the listener and every other connection carry on.
 * - An authenticated connection that closes is reported as `onDisconnected(peer)`: for a
 *   connection we dialed, the address we dialed (the handshake proved that peer answers there);
 *   for one the peer opened, the listening address it announced (and proved with the secret).
 * - Floods: unauthenticated inbound connections are capped per listener and per source IP (the
 *   oldest pending one of the heaviest source is cut for a newcomer, see admission.ts), must
 *   finish the handshake within `handshakeTimeoutMs`, and the total is capped below the process's
 *   file-descriptor limit. Refusals and pre-authentication rejections are logged as counts per
 *   interval, not one line each.
 * - A connection we dialed that ends before its handshake completed is reported once to
 *   `onDialFailed` listeners with its cause (dial-failure.ts: refused, unresolved, unreachable,
 *   auth, incompatible, closed). One that failed to authenticate (wrong or missing secret, a
 *   version apart, not the node we dialed: `isAuthFailure`) carries a typed `AuthFailure`, which
 *   `onAuthFailure` listeners get: retrying will not fix it.
 * - `close()` drains before it closes: what was sent before it (the last messages of a node, sent
 *   in the same step as its `exit`) is written out at once, each open connection is ended
 *   gracefully (FIN after the data, then the peer's FIN) and a connection still being dialed for
 *   queued messages may finish its handshake, all within a bounded time (`closeDrainMs`).
 */
import { readFileSync } from "node:fs";
import { createServer, connect, type Server, type Socket } from "node:net";
import type { Address } from "../protocol/ids.js";
import type { Message } from "../protocol/messages.js";
import { formatAddress, isLoopbackHost, parseAddress } from "./address.js";
import {
  DEFAULT_MAX_PENDING_CONNECTIONS,
  DEFAULT_MAX_PENDING_PER_IP,
  DEFAULT_REJECTION_DETAIL_LINES,
  PendingConnections,
  RefusalLog,
  sourceIp,
} from "./admission.js";
import { decodeMessageText, describeCodecError } from "./codec.js";
import {
  DEFAULT_MAX_FRAME_BYTES,
  FRAME_HEADER_BYTES,
  FrameDecoder,
  describeFrameError,
  messagePayload,
  splitMessagePayload,
  type MessageId,
} from "./framing.js";
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  Handshake,
  MAX_HANDSHAKE_FRAME_BYTES,
  encodeHandshakeFrame,
  weakSecretProblem,
  type HandshakeRejection,
  type HandshakeSide,
} from "./handshake.js";
import type { Logger } from "./log.js";
import { SelfNames, dialedOfHello } from "./selfNames.js";
import {
  closedFailure,
  rejectionFailure,
  socketFailure,
  type AuthFailure,
  type DialFailure,
  type TransportRejection,
} from "./dial-failure.js";

// The typed authentication failure lives with the other dial failures; re-exported for callers of the transport.
export { AuthenticationError, type AuthFailure, type DialFailure } from "./dial-failure.js";

export interface TransportHandlers {
  /**
   * `json` is the message's JSON as received (the flight recorder journals it without serializing
   * again); `id` the id its sender gave it (framing.ts), undefined when it has none.
   */
  onMessage(from: Address, message: Message, json?: string, id?: MessageId): void;
  onDisconnected(peer: Address): void;
}

export interface TransportOptions {
  logger: Logger;
  /** The shared secret. Without one the transport refuses to start unless `allowUnauthenticated`. */
  secret?: string;
  /** Run without authentication (loopback only). Off by default. */
  allowUnauthenticated?: boolean;
  /** Largest payload accepted or sent (default docs/protocol.md §2.5, 128 MiB). */
  maxFrameBytes?: number;
  handshakeTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Messages an outbox holds before it drops new ones. */
  outboxLimitMessages?: number;
  /** Payload bytes an outbox holds before it drops new ones. */
  outboxLimitBytes?: number;
  /** Open connections (both directions) before new inbound ones are refused (also capped below the fd limit). */
  maxConnections?: number;
  /** Inbound connections still in their handshake, at most (authenticated ones do not count). */
  maxPendingConnections?: number;
  /** Inbound connections still in their handshake from one source IP, at most. */
  maxPendingPerIp?: number;
  /** Refused or rejected unauthenticated connections logged one by one per interval; the rest are counted. */
  rejectionDetailLines?: number;
  /** How long `close()` may wait for queued messages to leave and peers to hang up (default 1 s). */
  closeDrainMs?: number;
  /** Our address when this transport never listens (announced in the handshake). */
  nodeAddress?: Address;
  /** The host to announce when listening on a wildcard address (0.0.0.0). */
  advertiseHost?: string;
  /** The process id the ids of our sends carry (default: this process's; tests may pose as others). */
  pid?: number;
}

export const DEFAULT_OUTBOX_LIMIT_MESSAGES = 100_000;
export const DEFAULT_OUTBOX_LIMIT_BYTES = 256 * 1024 * 1024;
export const DEFAULT_MAX_CONNECTIONS = 4_096;
/** File descriptors kept free for everything else a process opens (logs, recovery files, children). */
const FD_RESERVE = 128;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_CLOSE_DRAIN_MS = 1_000;
/** Small frames are copied into batches of about this size; larger ones are written as they are. */
const BATCH_BYTES = 64 * 1024;
/** How long a rejected peer gets to read our reject frame before we cut the socket. */
const REJECT_LINGER_MS = 500;
/**
 * Rejected sockets lingering at once, at most: each holds a file descriptor, and a flood of bad
 * handshakes must not pile them up. Past this, a rejected peer is cut without the reason.
 */
const MAX_LINGERING = 64;

type ConnectionState = "handshaking" | "open" | "closed";

interface Connection {
  readonly id: number;
  readonly socket: Socket;
  readonly side: HandshakeSide;
  /** For connections we dialed: the address we dialed (the outbox's key). */
  readonly dialed: Address | undefined;
  /** The peer's announced listening address, once the handshake is done. */
  peer: Address | undefined;
  state: ConnectionState;
  /** True while the connection was open (authenticated), so its loss is reported. */
  wasOpen: boolean;
  readonly decoder: FrameDecoder;
  readonly handshake: Handshake;
  timer: NodeJS.Timeout | undefined;
  /** Waiting for 'drain' after write() returned false. */
  blocked: boolean;
  /** Remote ip:port, for logs. */
  readonly remote: string;
  /** Source IP (inbound), for the per-IP share. */
  readonly ip: string;
  /** Inbound: whether the hello's dialed address was looked at (and a DNS name resolved if needed). */
  namesChecked: boolean;
  /** Inbound: waiting for a DNS lookup before the hello is handed to the handshake. */
  resolving: boolean;
  /** Why a connection we dialed failed before it opened (its first socket error or rejection). */
  failure: DialFailure | undefined;
}

interface Outbox {
  readonly peer: Address;
  /** Payloads waiting, FIFO from `head`. */
  queue: Buffer[];
  head: number;
  queuedBytes: number;
  /** The connection this outbox writes to; unbound while dialing or after a loss. */
  conn: Connection | undefined;
  /** The connection being dialed for this outbox, before its handshake completes. */
  dialing: Connection | undefined;
  /** Messages dropped since the outbox was last below its limit. */
  dropped: number;
}

export interface TransportStats {
  connections: number;
  openConnections: number;
  /** Rejected sockets left open for a moment so that the peer can read why. */
  lingering: number;
  outboxes: Record<string, { queued: number; queuedBytes: number; bound: boolean; blocked: boolean }>;
}

export class Transport {
  private readonly options: Required<Omit<TransportOptions, "secret" | "nodeAddress" | "advertiseHost">> & TransportOptions;
  /** The pid the ids of our sends carry (with our address it names our journal). */
  readonly pid: number;
  /** Inbound connections still in their handshake. */
  private readonly pending: PendingConnections<Connection>;
  private readonly refusals: RefusalLog;
  private readonly dialFailureListeners = new Set<(failure: DialFailure) => void>();
  /** The host and port we listen on (for which dialed addresses name us). */
  private listenHost: string | undefined;
  private listenPort: number | undefined;
  private readonly selfNames = new SelfNames(
    () => [this.ownAddress !== undefined ? parseAddress(this.ownAddress).host : undefined, this.listenHost],
    () => this.listenPort,
  );
  private readonly logger: Logger;
  private handlers: TransportHandlers | undefined;
  /** Inputs that arrived before `attach`, bounded by the outbox limit. */
  private early: Array<
    { kind: "message"; from: Address; message: Message; json: string; id: MessageId | undefined } | { kind: "disconnected"; peer: Address }
  > = [];
  private server: Server | undefined;
  private ownAddress: Address | undefined;
  private readonly connections = new Set<Connection>();
  /** Open connections by the peer's announced address. */
  private readonly byPeer = new Map<string, Set<Connection>>();
  private readonly outboxes = new Map<string, Outbox>();
  private readonly dirty = new Set<Outbox>();
  private flushScheduled = false;
  /** Set by `close()`: no more sends, deliveries or disconnect reports; connections drain and end. */
  private closed = false;
  private closing: Promise<void> | undefined;
  /** The drain time of the running `close()`, for logs. */
  private closeDrainMs = 0;
  /** Called when the last connection is gone while closing. */
  private onAllClosed: (() => void) | undefined;
  private nextConnectionId = 1;
  /** Rejected sockets still open so that the peer can read why (bounded by MAX_LINGERING). */
  private lingering = 0;

  constructor(options: TransportOptions) {
    if (options.secret === undefined && !options.allowUnauthenticated)
      throw new Error("authentication is on by default: give the transport a secret (or allowUnauthenticated, loopback only)");
    if (options.secret !== undefined) {
      const weak = weakSecretProblem(options.secret);
      if (weak !== undefined) throw new Error(weak);
    }
    this.options = {
      allowUnauthenticated: false,
      maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
      handshakeTimeoutMs: DEFAULT_HANDSHAKE_TIMEOUT_MS,
      connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
      outboxLimitMessages: DEFAULT_OUTBOX_LIMIT_MESSAGES,
      outboxLimitBytes: DEFAULT_OUTBOX_LIMIT_BYTES,
      maxConnections: DEFAULT_MAX_CONNECTIONS,
      maxPendingConnections: DEFAULT_MAX_PENDING_CONNECTIONS,
      maxPendingPerIp: DEFAULT_MAX_PENDING_PER_IP,
      rejectionDetailLines: DEFAULT_REJECTION_DETAIL_LINES,
      closeDrainMs: DEFAULT_CLOSE_DRAIN_MS,
      pid: process.pid,
      ...options,
    };
    this.pid = this.options.pid;
    this.options.maxConnections = Math.min(this.options.maxConnections, connectionCapBelowFdLimit());
    this.pending = new PendingConnections({
      maxPending: this.options.maxPendingConnections,
      maxPendingPerIp: this.options.maxPendingPerIp,
    });
    this.refusals = new RefusalLog(options.logger, "transport", this.options.rejectionDetailLines);
    this.logger = options.logger;
    this.ownAddress = options.nodeAddress;
    new FrameDecoder(this.options.maxFrameBytes); // validates the limit early
  }

  /** Our listening address (after `listen`), or the configured node address. */
  get address(): Address | undefined {
    return this.ownAddress;
  }

  /**
   * Calls `listener` once for each connection we dialed that ends before its handshake completed,
   * with why (dial-failure.ts): callers decide what is transient (a refused connection while a
   * master restarts) and what is not (a failed authentication). Not while closing. Returns an
   * unsubscribe.
   */
  onDialFailed(listener: (failure: DialFailure) => void): () => void {
    this.dialFailureListeners.add(listener);
    return () => this.dialFailureListeners.delete(listener);
  }

  /**
   * The dial failures that are authentication failures (a wrong or missing secret, a protocol
   * version apart, the peer is not the node we dialed): `listener` gets their `AuthFailure`.
   * Returns an unsubscribe.
   */
  onAuthFailure(listener: (failure: AuthFailure) => void): () => void {
    return this.onDialFailed((failure) => {
      if (failure.auth !== undefined) listener(failure.auth);
    });
  }

  /** Sets the receiver of messages and disconnects; what arrived before is delivered now. */
  attach(handlers: TransportHandlers): void {
    this.handlers = handlers;
    const early = this.early;
    this.early = [];
    for (const item of early) {
      if (item.kind === "message") this.deliver(item.from, item.message, item.json, item.id);
      else this.reportDisconnected(item.peer);
    }
  }

  listen(host: string, port: number): Promise<Address> {
    if (this.server) return Promise.reject(new Error("transport is already listening"));
    if (this.closed) return Promise.reject(new Error("transport is closed"));
    if (this.options.secret === undefined && !isLoopbackHost(host))
      return Promise.reject(
        new Error(`refusing to listen on non-loopback host ${host} without a secret (authentication is required off loopback)`),
      );
    const server = createServer({ noDelay: true, pauseOnConnect: false });
    this.server = server;
    server.on("connection", (socket) => this.onInbound(socket));
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        this.server = undefined;
        reject(err);
      };
      server.once("error", onError);
      server.listen(port, host, () => {
        server.off("error", onError);
        server.on("error", (err) => this.logger.log("error", "listener-error", { error: err.message }));
        const bound = server.address();
        const actualPort = typeof bound === "object" && bound ? bound.port : port;
        const shownHost = this.options.advertiseHost ?? (host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host);
        this.ownAddress = formatAddress(shownHost, actualPort);
        this.listenHost = host;
        this.listenPort = actualPort;
        this.logger.log("info", "listening", { address: this.ownAddress, auth: this.options.secret !== undefined });
        resolve(this.ownAddress);
      });
    });
  }

  /**
   * Queues `message` for `to`; never throws because of the peer. `id` is the send's id (framing.ts:
   * a host gives its step and effect index, with `this.pid`); without one the message carries none.
   */
  send(to: Address, message: Message, id?: MessageId): void {
    this.sendEncoded(to, message.type, messagePayload(JSON.stringify(message), id));
  }

  /** `send` of a message its caller already serialized (`json` is JSON.stringify of a Message of type `type`). */
  sendJson(to: Address, type: string, json: string, id?: MessageId): void {
    this.sendEncoded(to, type, messagePayload(json, id));
  }

  private sendEncoded(to: Address, type: string, payload: Buffer): void {
    if (this.closed) return;
    if (this.ownAddress === undefined) throw new Error("transport has no address: listen first (or give nodeAddress)");
    if (payload.length > this.options.maxFrameBytes) {
      this.logger.log("warn", "send-dropped", {
        why: "message-too-large",
        to,
        type,
        sizeBytes: payload.length,
        limitBytes: this.options.maxFrameBytes,
      });
      return;
    }
    let outbox = this.outboxes.get(to);
    if (!outbox) {
      outbox = { peer: to, queue: [], head: 0, queuedBytes: 0, conn: undefined, dialing: undefined, dropped: 0 };
      this.outboxes.set(to, outbox);
    }
    const queued = outbox.queue.length - outbox.head;
    if (queued >= this.options.outboxLimitMessages || outbox.queuedBytes + payload.length > this.options.outboxLimitBytes) {
      if (outbox.dropped === 0)
        this.logger.log("warn", "send-dropped", { why: "outbox-full", to, type, queued, queuedBytes: outbox.queuedBytes });
      outbox.dropped++;
      return;
    }
    outbox.queue.push(payload);
    outbox.queuedBytes += payload.length;
    if (!outbox.conn) {
      const existing = this.openConnectionTo(to);
      if (existing) outbox.conn = existing;
      else if (!outbox.dialing) this.dial(outbox);
    }
    this.markDirty(outbox);
  }

  stats(): TransportStats {
    const outboxes: TransportStats["outboxes"] = {};
    for (const [peer, o] of this.outboxes)
      outboxes[peer] = {
        queued: o.queue.length - o.head,
        queuedBytes: o.queuedBytes,
        bound: o.conn !== undefined,
        blocked: o.conn?.blocked ?? false,
      };
    let open = 0;
    for (const c of this.connections) if (c.state === "open") open++;
    return { connections: this.connections.size, openConnections: open, lingering: this.lingering, outboxes };
  }

  /**
   * Stops listening and closes every connection, after a bounded drain (`closeDrainMs`, or
   * `drainMs` here; 0 cuts at once): queued messages are written now, in order, and each open
   * connection is ended once its queue is out; a connection being dialed for queued messages may
   * still open and deliver them. What is left when the time is up is dropped with a logged reason.
   * From the first call on nothing is sent, delivered or reported (no disconnects). Idempotent.
   */
  close(options: { drainMs?: number } = {}): Promise<void> {
    this.closing ??= this.shutDown(Math.max(0, options.drainMs ?? this.options.closeDrainMs));
    return this.closing;
  }

  private async shutDown(drainMs: number): Promise<void> {
    this.closed = true;
    this.closeDrainMs = drainMs;
    const server = this.server;
    // Stop accepting now; the callback fires once the inbound connections are gone too.
    const serverClosed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const conn of [...this.connections]) {
      if (drainMs > 0 && conn.state === "open") this.endWhenFlushed(conn);
      else if (drainMs > 0 && conn.state === "handshaking" && this.hasQueuedFor(conn))
        continue; // open() ends it
      else this.destroy(conn);
    }
    if (this.connections.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.onAllClosed = resolve;
        timer = setTimeout(resolve, drainMs);
      });
      clearTimeout(timer);
      this.onAllClosed = undefined;
    }
    for (const conn of [...this.connections]) this.destroy(conn);
    this.refusals.close();
    this.connections.clear();
    this.byPeer.clear();
    this.outboxes.clear();
    this.dirty.clear();
    await serverClosed;
  }

  /** While closing: writes what the connection's outboxes hold, then ends it (again on 'drain' when blocked). */
  private endWhenFlushed(conn: Connection): void {
    if (conn.state !== "open" || conn.socket.writableEnded) return;
    for (const outbox of this.outboxesOf(conn)) this.flushOutbox(outbox);
    if (this.queuedFor(conn) === 0) conn.socket.end();
  }

  /** Messages still queued in the outboxes bound to (or dialing on) `conn`. */
  private queuedFor(conn: Connection): number {
    let queued = 0;
    for (const outbox of this.outboxes.values())
      if (outbox.conn === conn || outbox.dialing === conn) queued += outbox.queue.length - outbox.head;
    return queued;
  }

  private hasQueuedFor(conn: Connection): boolean {
    return this.queuedFor(conn) > 0;
  }

  private destroy(conn: Connection): void {
    clearTimeout(conn.timer);
    this.closeConnection(conn);
    conn.socket.destroy();
  }

  // ---- Connections -------------------------------------------------------------------------

  private onInbound(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const ip = sourceIp(socket.remoteAddress);
    // Make room: cut the oldest pending handshake of the heaviest source rather than refuse the newcomer.
    let victim = this.pending.victimFor(ip);
    if (victim === undefined && this.connections.size >= this.options.maxConnections) victim = this.pending.oldestOfHeaviest();
    if (victim !== undefined)
      this.refuse(
        victim,
        "evicted-for-newer",
        `unauthenticated connection cut to admit a newer one (limits: ${this.options.maxPendingConnections} pending, ${this.options.maxPendingPerIp} per IP)`,
      );
    if (this.connections.size >= this.options.maxConnections) {
      // Every slot holds an authenticated peer: the newcomer has to wait.
      this.refusals.count("over-connection-cap", {
        event: "connection-refused",
        fields: { why: "too-many-connections", remote: remoteOf(socket), limit: this.options.maxConnections },
      });
      socket.destroy();
      return;
    }
    const conn = this.setUp(socket, "server", undefined);
    this.pending.add(conn, ip);
  }

  /** Cuts a pending inbound connection, counting it rather than logging it. */
  private refuse(conn: Connection, reason: string, detail: string): void {
    this.refusals.count(reason, {
      event: "connection-rejected",
      fields: { why: reason, detail, id: conn.id, side: conn.side, remote: conn.remote, peer: null },
    });
    this.destroy(conn);
  }

  /** Whether `dialed` (the address a client says it dialed) names this node (selfNames.ts). */
  private isOwnAddress(socket: Socket, dialed: string): boolean {
    return dialed === this.ownAddress || this.selfNames.isOwn(dialed, socket.localAddress);
  }

  private dial(outbox: Outbox): void {
    let target: { host: string; port: number };
    try {
      target = parseAddress(outbox.peer);
    } catch (err) {
      this.logger.log("warn", "send-dropped", {
        why: "bad-address",
        to: outbox.peer,
        detail: (err as Error).message,
        dropped: outbox.queue.length - outbox.head,
      });
      this.outboxes.delete(outbox.peer);
      return;
    }
    const socket = connect({ host: target.host, port: target.port, noDelay: true });
    const conn = this.setUp(socket, "client", outbox.peer);
    outbox.dialing = conn;
    conn.timer = setTimeout(
      () => this.reject(conn, { reason: "timeout", detail: `no connection to ${outbox.peer} within ${this.options.connectTimeoutMs} ms` }),
      this.options.connectTimeoutMs,
    );
    socket.once("connect", () => {
      if (conn.state === "closed") return;
      clearTimeout(conn.timer);
      this.armHandshakeTimer(conn);
      for (const frame of conn.handshake.start()) this.sendRaw(conn, frame);
    });
  }

  private setUp(socket: Socket, side: HandshakeSide, dialed: Address | undefined): Connection {
    socket.setNoDelay(true);
    const conn: Connection = {
      id: this.nextConnectionId++,
      socket,
      side,
      dialed,
      peer: undefined,
      state: "handshaking",
      wasOpen: false,
      // Until the peer has proven itself, only handshake-sized frames are buffered.
      decoder: new FrameDecoder(MAX_HANDSHAKE_FRAME_BYTES),
      handshake: new Handshake({
        side,
        ourAddress: this.ownAddress!,
        ...(dialed !== undefined ? { dialed } : { isOwnAddress: (a: string) => this.isOwnAddress(socket, a) }),
        ...(this.options.secret !== undefined ? { secret: this.options.secret } : {}),
      }),
      timer: undefined,
      blocked: false,
      remote: remoteOf(socket),
      ip: sourceIp(socket.remoteAddress),
      namesChecked: false,
      resolving: false,
      failure: undefined,
    };
    this.connections.add(conn);
    if (side === "server") this.armHandshakeTimer(conn);
    socket.on("data", (chunk: Buffer) => this.onData(conn, chunk));
    socket.on("error", (err) => {
      if (conn.state === "handshaking" && conn.dialed !== undefined) conn.failure ??= socketFailure(conn.dialed, err);
      if (conn.state === "closed") return;
      const fields = { id: conn.id, remote: conn.remote, peer: conn.peer ?? conn.dialed, error: err.message };
      // An inbound connection that never authenticated is anyone's: counted, not logged one by one.
      if (side === "server" && !conn.wasOpen) this.refusals.count("socket-error", { event: "connection-error", fields });
      else this.logger.log(conn.state === "open" ? "warn" : "info", "connection-error", fields);
    });
    socket.on("close", () => this.onClose(conn));
    socket.on("drain", () => {
      conn.blocked = false;
      if (this.closed) this.endWhenFlushed(conn);
      else for (const outbox of this.outboxesOf(conn)) this.flushOutbox(outbox);
    });
    return conn;
  }

  private armHandshakeTimer(conn: Connection): void {
    conn.timer = setTimeout(
      () => this.reject(conn, { reason: "timeout", detail: `handshake not completed within ${this.options.handshakeTimeoutMs} ms` }),
      this.options.handshakeTimeoutMs,
    );
  }

  private onData(conn: Connection, chunk: Buffer): void {
    if (conn.state === "closed") return;
    conn.decoder.feed(chunk);
    for (;;) {
      // A handler may have closed this connection (or the whole transport) meanwhile.
      if ((conn.state as ConnectionState) === "closed" || conn.resolving) return;
      const item = conn.decoder.next();
      if (item === undefined) return;
      if (!Buffer.isBuffer(item)) {
        this.reject(conn, { reason: "bad-frame", detail: describeFrameError(item) });
        return;
      }
      if (conn.state === "handshaking") this.onHandshakeFrame(conn, item);
      else if (!this.closed) this.onMessageFrame(conn, item);
    }
  }

  private onHandshakeFrame(conn: Connection, payload: Buffer): void {
    if (conn.side === "server" && !conn.namesChecked && this.options.secret !== undefined) {
      // A client that dialed us by a DNS name we do not know yet: resolve it before the hello is read.
      conn.namesChecked = true;
      const dialed = dialedOfHello(payload);
      const name = dialed !== undefined ? this.selfNames.nameToLookUp(dialed, conn.socket.localAddress, Date.now()) : undefined;
      if (name !== undefined) {
        conn.resolving = true;
        void this.selfNames.lookup(name).then(() => {
          conn.resolving = false;
          if (conn.state !== "handshaking" || this.closed) return;
          this.onHandshakeFrame(conn, payload);
          this.onData(conn, Buffer.alloc(0));
        });
        return;
      }
    }
    const progress = conn.handshake.receive(payload);
    for (const frame of progress.send) this.sendRaw(conn, frame);
    if (progress.reject) {
      this.reject(conn, progress.reject);
      return;
    }
    if (progress.peerAddress) this.open(conn, progress.peerAddress);
  }

  private onMessageFrame(conn: Connection, payload: Buffer): void {
    const split = splitMessagePayload(payload);
    if ("kind" in split) {
      this.reject(conn, { reason: "bad-frame", detail: describeFrameError(split) });
      return;
    }
    const decoded = decodeMessageText(split.json);
    if (!decoded.ok) {
      this.reject(conn, { reason: "bad-message", detail: describeCodecError(decoded.error) });
      return;
    }
    this.deliver(conn.peer!, decoded.message, split.json, split.id);
  }

  private open(conn: Connection, peer: Address): void {
    this.pending.remove(conn);
    clearTimeout(conn.timer);
    conn.timer = undefined;
    conn.state = "open";
    conn.wasOpen = true;
    conn.peer = peer;
    conn.decoder.setLimit(this.options.maxFrameBytes);
    let set = this.byPeer.get(peer);
    if (!set) this.byPeer.set(peer, (set = new Set()));
    set.add(conn);
    this.logger.log("debug", "connection-open", { id: conn.id, side: conn.side, remote: conn.remote, peer });
    if (conn.dialed !== undefined) {
      const outbox = this.outboxes.get(conn.dialed);
      if (outbox && outbox.dialing === conn) {
        outbox.dialing = undefined;
        outbox.conn = conn;
        if (!this.closed) this.markDirty(outbox);
      }
    }
    if (this.closed) this.endWhenFlushed(conn);
  }

  /** Closes a connection because of what the peer did (or failed to do), saying why. */
  private reject(conn: Connection, rejection: HandshakeRejection | TransportRejection): void {
    if (conn.state === "closed") return;
    const wasHandshaking = conn.state === "handshaking";
    const fields = {
      why: rejection.reason,
      detail: rejection.detail,
      id: conn.id,
      side: conn.side,
      remote: conn.remote,
      peer: conn.peer ?? conn.dialed ?? null,
    };
    // Inbound connections that never authenticated are anyone's: counted per interval (a flood must
    // not flood the log). Our own dials and authenticated peers are logged one by one.
    if (conn.side === "server" && wasHandshaking) this.refusals.count(rejection.reason, { event: "connection-rejected", fields });
    else this.logger.log("warn", "connection-rejected", fields);
    if (wasHandshaking && conn.dialed !== undefined) conn.failure ??= rejectionFailure(conn.dialed, rejection);
    this.closeConnection(conn);
    const tellPeer = wasHandshaking && rejection.reason !== "rejected-by-peer" && !conn.socket.connecting && conn.socket.writable;
    if (tellPeer && this.lingering < MAX_LINGERING) {
      this.lingering++;
      conn.socket.end(
        frameOf(encodeHandshakeFrame({ hs: "reject", reason: rejection.reason as HandshakeRejection["reason"], detail: rejection.detail })),
      );
      const timer = setTimeout(() => conn.socket.destroy(), REJECT_LINGER_MS);
      timer.unref();
      conn.socket.once("close", () => {
        clearTimeout(timer);
        this.lingering--;
      });
    } else {
      conn.socket.destroy();
    }
  }

  private onClose(conn: Connection): void {
    this.closeConnection(conn);
  }

  /** Forgets a connection (idempotent): unbinds its outboxes and reports the loss once. */
  private closeConnection(conn: Connection): void {
    this.pending.remove(conn);
    if (!this.connections.has(conn)) return;
    this.connections.delete(conn);
    clearTimeout(conn.timer);
    conn.state = "closed";
    if (conn.peer !== undefined) {
      const set = this.byPeer.get(conn.peer);
      set?.delete(conn);
      if (set && set.size === 0) this.byPeer.delete(conn.peer);
    }
    if (this.closed) {
      // While closing, outboxes stay until the end: what a closed connection still held is lost.
      const unsent = this.queuedFor(conn);
      if (unsent > 0)
        this.logger.log("warn", "send-dropped", {
          why: "closing",
          to: conn.peer ?? conn.dialed ?? null,
          dropped: unsent,
          drainMs: this.closeDrainMs,
        });
      if (this.connections.size === 0) this.onAllClosed?.();
      return;
    }
    for (const outbox of [...this.outboxes.values()]) {
      if (outbox.conn !== conn && outbox.dialing !== conn) continue;
      const lost = outbox.queue.length - outbox.head;
      if (lost > 0)
        this.logger.log("warn", "send-dropped", {
          why: outbox.conn === conn ? "connection-lost" : conn.failure?.auth !== undefined ? "auth-failed" : "connect-failed",
          to: outbox.peer,
          dropped: lost,
        });
      this.outboxes.delete(outbox.peer);
      this.dirty.delete(outbox);
    }
    if (!conn.wasOpen && conn.dialed !== undefined) this.reportDialFailure(conn.failure ?? closedFailure(conn.dialed));
    if (conn.wasOpen) {
      this.logger.log("info", "peer-disconnected", { id: conn.id, peer: conn.peer, remote: conn.remote });
      this.reportDisconnected(conn.peer!);
      if (conn.dialed !== undefined && conn.dialed !== conn.peer) this.reportDisconnected(conn.dialed);
    }
  }

  private openConnectionTo(peer: Address): Connection | undefined {
    const set = this.byPeer.get(peer);
    if (!set) return undefined;
    for (const conn of set) if (conn.state === "open") return conn;
    return undefined;
  }

  private outboxesOf(conn: Connection): Outbox[] {
    const out: Outbox[] = [];
    for (const outbox of this.outboxes.values()) if (outbox.conn === conn) out.push(outbox);
    return out;
  }

  private deliver(from: Address, message: Message, json: string, id: MessageId | undefined): void {
    if (!this.handlers) {
      if (this.early.length < this.options.outboxLimitMessages) this.early.push({ kind: "message", from, message, json, id });
      else this.logger.log("warn", "receive-dropped", { why: "not-attached", from, type: message.type });
      return;
    }
    try {
      this.handlers.onMessage(from, message, json, id);
    } catch (err) {
      this.logger.log("error", "handler-threw", {
        handler: "onMessage",
        from,
        type: message.type,
        error: (err as Error).stack ?? String(err),
      });
    }
  }

  private reportDialFailure(failure: DialFailure): void {
    for (const listener of [...this.dialFailureListeners]) {
      try {
        listener(failure);
      } catch (err) {
        this.logger.log("error", "handler-threw", {
          handler: "onDialFailed",
          peer: failure.peer,
          error: (err as Error).stack ?? String(err),
        });
      }
    }
  }

  private reportDisconnected(peer: Address): void {
    if (!this.handlers) {
      this.early.push({ kind: "disconnected", peer });
      return;
    }
    try {
      this.handlers.onDisconnected(peer);
    } catch (err) {
      this.logger.log("error", "handler-threw", { handler: "onDisconnected", peer, error: (err as Error).stack ?? String(err) });
    }
  }

  // ---- Writing -----------------------------------------------------------------------------

  private sendRaw(conn: Connection, payload: Buffer): void {
    if (conn.state === "closed" || conn.socket.writableEnded) return;
    conn.socket.write(frameOf(payload));
  }

  /**
   * Schedules a flush at the end of the current task (a microtask): every message sent while the
   * current I/O callback, timer or step runs goes out in one write, and none waits for another
   * turn of the event loop (setImmediate would add one to every hop of a task's round trip).
   */
  private markDirty(outbox: Outbox): void {
    this.dirty.add(outbox);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(this.flushDirty);
  }

  private readonly flushDirty = (): void => {
    this.flushScheduled = false;
    for (const o of this.dirty) this.flushOutbox(o);
    this.dirty.clear();
  };

  /** Writes what the outbox holds until it is empty or the socket asks us to wait. */
  private flushOutbox(outbox: Outbox): void {
    const conn = outbox.conn;
    if (conn?.state !== "open" || conn.blocked || conn.socket.writableEnded) return;
    const socket = conn.socket;
    const queue = outbox.queue;
    socket.cork();
    while (outbox.head < queue.length) {
      const first = queue[outbox.head]!;
      let ok: boolean;
      if (first.length + FRAME_HEADER_BYTES >= BATCH_BYTES) {
        outbox.head++;
        outbox.queuedBytes -= first.length;
        socket.write(header(first.length));
        ok = socket.write(first);
      } else {
        let end = outbox.head;
        let total = 0;
        while (end < queue.length && total + queue[end]!.length + FRAME_HEADER_BYTES <= BATCH_BYTES) {
          total += queue[end]!.length + FRAME_HEADER_BYTES;
          end++;
        }
        const batch = Buffer.allocUnsafe(total);
        let at = 0;
        for (let i = outbox.head; i < end; i++) {
          const payload = queue[i]!;
          batch.writeUInt32BE(payload.length, at);
          payload.copy(batch, at + FRAME_HEADER_BYTES);
          at += payload.length + FRAME_HEADER_BYTES;
          outbox.queuedBytes -= payload.length;
        }
        outbox.head = end;
        ok = socket.write(batch);
      }
      if (!ok) {
        conn.blocked = true;
        break;
      }
    }
    socket.uncork();
    if (outbox.head === queue.length) {
      outbox.queue = [];
      outbox.head = 0;
    } else if (outbox.head > 1024 && outbox.head * 2 > queue.length) {
      outbox.queue = queue.slice(outbox.head);
      outbox.head = 0;
    }
    const roomy =
      outbox.queue.length - outbox.head < this.options.outboxLimitMessages / 2 && outbox.queuedBytes < this.options.outboxLimitBytes / 2;
    if (outbox.dropped > 0 && roomy) {
      this.logger.log("warn", "outbox-recovered", { to: outbox.peer, dropped: outbox.dropped });
      outbox.dropped = 0;
    }
  }
}

function header(length: number): Buffer {
  const h = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  h.writeUInt32BE(length, 0);
  return h;
}

function frameOf(payload: Buffer): Buffer {
  return Buffer.concat([header(payload.length), payload]);
}

function remoteOf(socket: Socket): string {
  return `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
}

/**
 * The most connections one listener may hold: below this process's soft file-descriptor limit
 * (read from /proc/self/limits on Linux), keeping `FD_RESERVE` for everything else. Elsewhere, or
 * when unreadable, no extra cap.
 */
export function connectionCapBelowFdLimit(limitsText?: string): number {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/self/limits", "utf8");
    } catch {
      return Number.MAX_SAFE_INTEGER;
    }
  }
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(text);
  if (!m || m[1] === "unlimited") return Number.MAX_SAFE_INTEGER;
  // Several listeners share the limit (a master has the transport and the status port): take half.
  return Math.max(16, Math.floor((Number(m[1]) - FD_RESERVE) / 2));
}

/** Creates a transport and, when `listen` is given, starts listening. */
export async function startTransport(options: TransportOptions & { listen?: { host: string; port: number } }): Promise<Transport> {
  const transport = new Transport(options);
  if (options.listen) await transport.listen(options.listen.host, options.listen.port);
  return transport;
}
