/**
 * The master's status channel, for `flint status`. It lives OUTSIDE the protocol: a second,
 * authenticated listener (the same handshake as the transport) where a client asks once and gets
 * one JSON snapshot of the master's state, read from the host outside the reducer. It is a
 * separate port because the transport's codec admits only protocol messages (Spark likewise
 * serves its status on the web UI port, not the RPC port). Default port: the master's port + 1.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { address, type Address } from "../../protocol/ids.js";
import { formatAddress } from "../address.js";
import { FrameDecoder, encodeFrame } from "../framing.js";
import { Handshake, MAX_HANDSHAKE_FRAME_BYTES, type HandshakeSide } from "../handshake.js";
import type { Logger } from "../log.js";
import { advertiseHostFor } from "./runtime.js";

/** Largest status reply accepted by the client. */
const MAX_STATUS_BYTES = 64 * 1024 * 1024;
const REQUEST = "status";
/** A client that has not asked within this time is cut off. */
const SERVER_IDLE_MS = 5_000;
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
  secret?: string;
  logger: Logger;
  snapshot(): unknown;
}

export function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    serve(socket, options);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      server.on("error", (err) => options.logger.log("error", "status-listener-error", { error: err.message }));
      const bound = server.address();
      const port = typeof bound === "object" && bound ? bound.port : options.port;
      const statusAddress = formatAddress(advertiseHostFor(options.host), port);
      resolve({
        address: statusAddress,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

function serve(socket: Socket, options: StatusServerOptions): void {
  const remote = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
  const handshake = new Handshake({ side: "server", ourAddress: options.nodeAddress, ...(options.secret !== undefined ? { secret: options.secret } : {}) });
  const decoder = new FrameDecoder(MAX_HANDSHAKE_FRAME_BYTES);
  const timer = setTimeout(() => drop("timeout"), SERVER_IDLE_MS);
  let authenticated = false;
  const drop = (why: string, detail = ""): void => {
    clearTimeout(timer);
    options.logger.log("warn", "status-request-rejected", { why, detail, remote });
    socket.destroy();
  };
  socket.on("error", () => clearTimeout(timer));
  socket.on("close", () => clearTimeout(timer));
  socket.write(encodeFrame(handshake.hello()));
  socket.on("data", (chunk: Buffer) => {
    decoder.feed(chunk);
    for (;;) {
      if (socket.destroyed) return;
      const item = decoder.next();
      if (item === undefined) return;
      if (!Buffer.isBuffer(item)) return drop("bad-frame", item.kind);
      if (!authenticated) {
        const progress = handshake.receive(item);
        for (const frame of progress.send) socket.write(encodeFrame(frame));
        if (progress.reject) return drop(progress.reject.reason, progress.reject.detail);
        if (progress.peerAddress) authenticated = true;
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
  });
}

export class StatusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StatusError";
  }
}

/** Asks a master's status channel for its snapshot. */
export function requestStatus(target: { host: string; port: number }, options: { secret?: string; timeoutMs?: number } = {}): Promise<unknown> {
  const side: HandshakeSide = "client";
  const handshake = new Handshake({ side, ourAddress: CLIENT_ADDRESS, ...(options.secret !== undefined ? { secret: options.secret } : {}) });
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
    const timer = setTimeout(() => finish(new StatusError(`no status from ${target.host}:${target.port} within ${options.timeoutMs ?? 5000} ms`)), options.timeoutMs ?? 5000);
    socket.on("error", (err) => finish(new StatusError(`cannot reach the status port ${target.host}:${target.port}: ${err.message}`)));
    socket.on("close", () => finish(new StatusError(`the master closed the status connection (wrong secret?)`)));
    socket.on("connect", () => socket.write(encodeFrame(handshake.hello())));
    socket.on("data", (chunk: Buffer) => {
      decoder.feed(chunk);
      for (;;) {
        const item = decoder.next();
        if (item === undefined) return;
        if (!Buffer.isBuffer(item)) return finish(new StatusError(`bad frame from the master: ${item.kind}`));
        if (!authenticated) {
          const progress = handshake.receive(item);
          for (const frame of progress.send) socket.write(encodeFrame(frame));
          if (progress.reject) return finish(new StatusError(`status handshake failed: ${progress.reject.reason}: ${progress.reject.detail}`));
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
