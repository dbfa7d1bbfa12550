/**
 * The master's status channel, for `flint status`. It lives OUTSIDE the protocol: a second,
 * authenticated listener (the same handshake as the transport) where a client asks once and gets
 * one JSON snapshot of the master's state, read from the host outside the reducer. It is a
 * separate port because the transport's codec admits only protocol messages (Spark likewise
 * serves its status on the web UI port, not the RPC port). Default port: the master's port + 1.
 * Unauthenticated connections are capped as on the transport (admission.ts): a flood of idle
 * connections costs a bounded number of file descriptors, is counted in one log line per interval,
 * and does not keep a client with the secret out.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { address, type Address } from "../../protocol/ids.js";
import { formatAddress } from "../address.js";
import { PendingConnections, RefusalLog, sourceIp } from "../admission.js";
import { FrameDecoder, encodeFrame } from "../framing.js";
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, Handshake, MAX_HANDSHAKE_FRAME_BYTES, type HandshakeSide } from "../handshake.js";
import type { Logger } from "../log.js";
import { SelfNames, dialedOfHello } from "../selfNames.js";
import { advertiseHostFor } from "../runtime.js";

/** Largest status reply accepted by the client. */
const MAX_STATUS_BYTES = 64 * 1024 * 1024;
const REQUEST = "status";
/** A client that has not authenticated and asked within this time is cut off. */
const SERVER_IDLE_MS = DEFAULT_HANDSHAKE_TIMEOUT_MS;
/** Status clients ask once and leave: a few pending at a time is plenty. */
export const STATUS_MAX_PENDING = 64;
export const STATUS_MAX_PENDING_PER_IP = 16;
/** Open status connections at most (each answered one is closed at once). */
const STATUS_MAX_CONNECTIONS = 256;
const CLIENT_ADDRESS = address("flint://status-client:1");

export interface StatusServer {
  readonly address: Address;
  close(): Promise<void>;
}

export interface StatusServerOptions {
  host: string;
  port: number;
  /** The master's own address (announced in the handshake). */
  nodeAddress: Address;
  /** The host name clients reach it by, when not `host`. */
  advertisedHost?: string;
  secret?: string;
  logger: Logger;
  snapshot(): unknown;
  /** Overrides of the connection limits (tests). */
  maxPending?: number;
  maxPendingPerIp?: number;
}

export function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const sockets = new Set<Socket>();
  const pending = new PendingConnections<Socket>({
    maxPending: options.maxPending ?? STATUS_MAX_PENDING,
    maxPendingPerIp: options.maxPendingPerIp ?? STATUS_MAX_PENDING_PER_IP,
  });
  const refusals = new RefusalLog(options.logger, "status");
  let listenPort = options.port;
  const advertisedHost = options.advertisedHost ?? advertiseHostFor(options.host);
  const selfNames = new SelfNames(
    () => [advertisedHost, options.host],
    () => listenPort,
  );
  const server: Server = createServer({ noDelay: true }, (socket) => {
    const ip = sourceIp(socket.remoteAddress);
    const victim = pending.victimFor(ip);
    if (victim !== undefined) {
      refusals.count("evicted-for-newer", {
        event: "status-request-rejected",
        fields: { why: "evicted-for-newer", remote: `${victim.remoteAddress ?? "?"}:${victim.remotePort ?? "?"}` },
      });
      pending.remove(victim);
      victim.destroy();
    }
    if (sockets.size >= STATUS_MAX_CONNECTIONS) {
      refusals.count("over-connection-cap", {
        event: "status-request-rejected",
        fields: { why: "too-many-connections", remote: `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}` },
      });
      socket.destroy();
      return;
    }
    sockets.add(socket);
    pending.add(socket, ip);
    socket.on("close", () => {
      sockets.delete(socket);
      pending.remove(socket);
    });
    serve(socket, options, listenPort, selfNames, refusals, () => pending.remove(socket));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      server.on("error", (err) => options.logger.log("error", "status-listener-error", { error: err.message }));
      const bound = server.address();
      const port = typeof bound === "object" && bound ? bound.port : options.port;
      listenPort = port;
      const statusAddress = formatAddress(advertisedHost, port);
      resolve({
        address: statusAddress,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            refusals.close();
            server.close(() => done());
          }),
      });
    });
  });
}

function serve(
  socket: Socket,
  options: StatusServerOptions,
  port: number,
  selfNames: SelfNames,
  refusals: RefusalLog,
  authenticatedNow: () => void,
): void {
  const remote = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
  const advertised = options.advertisedHost ?? advertiseHostFor(options.host);
  let namesChecked = false;
  let resolving = false;
  /** The hello, kept while its dialed name is looked up. */
  let held: Buffer | undefined;
  const handshake = new Handshake({
    side: "server",
    ourAddress: formatAddress(advertised, port),
    isOwnAddress: (dialed) => selfNames.isOwn(dialed, socket.localAddress),
    ...(options.secret !== undefined ? { secret: options.secret } : {}),
  });
  const decoder = new FrameDecoder(MAX_HANDSHAKE_FRAME_BYTES);
  const timer = setTimeout(() => drop("timeout"), SERVER_IDLE_MS);
  let authenticated = false;
  const drop = (why: string, detail = ""): void => {
    clearTimeout(timer);
    const fields = { why, detail, remote };
    // Before authentication a connection is anyone's: counted per interval, not logged one by one.
    if (authenticated) options.logger.log("warn", "status-request-rejected", fields);
    else refusals.count(why, { event: "status-request-rejected", fields });
    socket.destroy();
  };
  socket.on("error", () => clearTimeout(timer));
  socket.on("close", () => clearTimeout(timer));
  const onData = (chunk: Buffer): void => {
    decoder.feed(chunk);
    for (;;) {
      if (socket.destroyed || resolving) return;
      const item = held ?? decoder.next();
      held = undefined;
      if (item === undefined) return;
      if (!Buffer.isBuffer(item)) return drop("bad-frame", item.kind);
      if (!authenticated && !namesChecked && options.secret !== undefined) {
        // Dialed by a DNS name we do not know yet: resolve it, then read the hello.
        namesChecked = true;
        const dialed = dialedOfHello(item);
        const name = dialed !== undefined ? selfNames.nameToLookUp(dialed, socket.localAddress, Date.now()) : undefined;
        if (name !== undefined) {
          resolving = true;
          void selfNames.lookup(name).then(() => {
            resolving = false;
            if (socket.destroyed) return;
            held = item;
            onData(Buffer.alloc(0));
          });
          return;
        }
      }
      if (!authenticated) {
        const progress = handshake.receive(item);
        for (const frame of progress.send) socket.write(encodeFrame(frame));
        if (progress.reject) return drop(progress.reject.reason, progress.reject.detail);
        if (progress.peerAddress) {
          authenticated = true;
          authenticatedNow();
        }
        continue;
      }
      if (item.toString("utf8") !== JSON.stringify({ request: REQUEST })) return drop("bad-request");
      clearTimeout(timer);
      let body: string;
      try {
        body = JSON.stringify(options.snapshot());
      } catch (err) {
        body = JSON.stringify({ error: (err as Error).message });
      }
      socket.end(encodeFrame(Buffer.from(body, "utf8")));
      return;
    }
  };
  socket.on("data", onData);
}

export class StatusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StatusError";
  }
}

/** Asks a master's status channel for its snapshot. */
export function requestStatus(
  target: { host: string; port: number },
  options: { secret?: string; timeoutMs?: number } = {},
): Promise<unknown> {
  const side: HandshakeSide = "client";
  const handshake = new Handshake({
    side,
    ourAddress: CLIENT_ADDRESS,
    dialed: formatAddress(target.host, target.port),
    ...(options.secret !== undefined ? { secret: options.secret } : {}),
  });
  const decoder = new FrameDecoder(MAX_HANDSHAKE_FRAME_BYTES);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port, noDelay: true });
    let settled = false;
    let authenticated = false;
    const finish = (err: Error | undefined, value?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(
      () => finish(new StatusError(`no status from ${target.host}:${target.port} within ${options.timeoutMs ?? 5000} ms`)),
      options.timeoutMs ?? 5000,
    );
    socket.on("error", (err) => finish(new StatusError(`cannot reach the status port ${target.host}:${target.port}: ${err.message}`)));
    socket.on("close", () => finish(new StatusError(`the master closed the status connection (wrong secret?)`)));
    socket.on("connect", () => {
      for (const frame of handshake.start()) socket.write(encodeFrame(frame));
    });
    socket.on("data", (chunk: Buffer) => {
      decoder.feed(chunk);
      for (;;) {
        const item = decoder.next();
        if (item === undefined) return;
        if (!Buffer.isBuffer(item)) return finish(new StatusError(`bad frame from the master: ${item.kind}`));
        if (!authenticated) {
          const progress = handshake.receive(item);
          for (const frame of progress.send) socket.write(encodeFrame(frame));
          if (progress.reject)
            return finish(new StatusError(`status handshake failed: ${progress.reject.reason}: ${progress.reject.detail}`));
          if (progress.peerAddress) {
            authenticated = true;
            decoder.setLimit(MAX_STATUS_BYTES);
            socket.write(encodeFrame(Buffer.from(JSON.stringify({ request: REQUEST }), "utf8")));
          }
          continue;
        }
        try {
          finish(undefined, JSON.parse(item.toString("utf8")));
        } catch (err) {
          finish(new StatusError(`bad status reply: ${(err as Error).message}`));
        }
        return;
      }
    });
  });
}
