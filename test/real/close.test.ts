/**
 * Transport.close() drains before it closes: the last messages a node sends (in the same step as
 * its `exit`, or just before `close()`) reach the peer, in order, within a bounded wait.
 */
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { address, executorId, type Address } from "../../src/protocol/ids.js";
import { exit, send, type Effect, type Role } from "../../src/protocol/io.js";
import type { Message } from "../../src/protocol/messages.js";
import { encodeFrame } from "../../src/real/framing.js";
import { Handshake } from "../../src/real/handshake.js";
import { startHost } from "../../src/real/host.js";
import { createMemoryLogger } from "../../src/real/log.js";
import { Transport } from "../../src/real/transport.js";
import { SECRET, closeAll, numberOf, numbered, startNode, track, waitFor } from "./fixtures.js";

const big = (n: number, bytes: number): Message => ({ type: "RemoveExecutor", executorId: executorId(n), reason: "x".repeat(bytes) });
const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** A role that, on any command, sends `count` numbered messages to `peer` and exits in the same step. */
interface BurstConfig {
  peer: Address;
  count: number;
  bytes: number;
}
const burst: Role<BurstConfig, BurstConfig> = {
  name: "burst",
  init: (config) => ({ state: { ...config }, effects: [] }),
  step(state, input) {
    if (input.type !== "command") return [];
    const effects: Effect[] = [];
    for (let i = 0; i < state.count; i++) effects.push(send(state.peer, state.bytes > 0 ? big(i, state.bytes) : numbered(i)));
    effects.push(exit(0, "burst sent"));
    return effects;
  },
};

/** A server that completes the handshake and then never reads again (its kernel buffers fill up). */
async function deafServer(): Promise<{ address: Address; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  let addr!: Address;
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    socket.on("error", () => undefined);
    const hs = new Handshake({ side: "server", ourAddress: addr, secret: SECRET });
    for (const f of hs.start()) socket.write(encodeFrame(f));
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
        const frame = buffered.subarray(4, 4 + buffered.readUInt32BE(0));
        buffered = buffered.subarray(4 + frame.length);
        if (hs.done) continue;
        const p = hs.receive(frame);
        for (const f of p.send) socket.write(encodeFrame(f));
        if (hs.done) {
          socket.off("data", onData);
          socket.pause();
          return;
        }
      }
    };
    socket.on("data", onData);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  addr = address(`flint://127.0.0.1:${(server.address() as { port: number }).port}`);
  track({
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  });
  return { address: addr, sockets };
}

describe("transport: close() drains before it closes", () => {
  afterEach(closeAll);

  it("close: messages sent in the same turn as close() all reach the peer, in order, before it sees the disconnect", async () => {
    const a = await startNode("a");
    const b = await startNode("b");
    a.transport.send(b.address, numbered(-1)); // an open connection first
    await waitFor(() => b.received.length === 1, "the first message");
    b.received.length = 0;
    for (let i = 0; i < 5_000; i++) a.transport.send(b.address, numbered(i));
    let seenAtDisconnect = -1;
    const closed = a.transport.close();
    await waitFor(() => b.disconnected.length === 1, "b to see a go");
    seenAtDisconnect = b.received.length;
    await closed;
    expect(seenAtDisconnect).toBe(5_000);
    expect(b.received.map((r) => numberOf(r.message))).toEqual(upTo(5_000));
    expect(b.disconnected).toEqual([a.address]);
    expect(a.log.filter((e) => e.event === "send-dropped")).toEqual([]);
  });

  it("close: a backlog larger than the socket buffers (back-pressure) is still written out before the socket closes", async () => {
    const a = await startNode("a");
    const b = await startNode("b");
    for (let i = 0; i < 40; i++) a.transport.send(b.address, big(i, 500_000)); // 20 MB, dialed on demand
    await a.transport.close();
    await waitFor(() => b.received.length === 40, "40 large messages");
    expect(b.received.map((r) => numberOf(r.message))).toEqual(upTo(40));
    expect((b.received[39]!.message as { reason: string }).reason.length).toBe(500_000);
  });

  it("close: a peer still being dialed when close() is called gets the queued messages once its handshake completes", async () => {
    const a = await startNode("a");
    const b = await startNode("b");
    for (let i = 0; i < 100; i++) a.transport.send(b.address, numbered(i)); // no connection yet
    expect(a.transport.stats().outboxes[b.address]).toMatchObject({ queued: 100, bound: false });
    await a.transport.close();
    await waitFor(() => b.received.length === 100, "100 messages");
    expect(b.received.map((r) => numberOf(r.message))).toEqual(upTo(100));
  });

  it("close: the wait is bounded: a peer that stops reading costs at most closeDrainMs, and the rest is dropped with a logged reason", async () => {
    const deaf = await deafServer();
    const a = await startNode("a", { closeDrainMs: 300 });
    a.transport.send(deaf.address, numbered(0));
    await waitFor(() => a.transport.stats().openConnections === 1, "the connection to open");
    for (let i = 0; i < 200; i++) a.transport.send(deaf.address, big(i, 100_000)); // 20 MB, far beyond the kernel buffers
    const started = Date.now();
    await a.transport.close();
    const tookMs = Date.now() - started;
    expect(tookMs).toBeGreaterThanOrEqual(250);
    expect(tookMs).toBeLessThan(2_000);
    expect(a.log.find((e) => e.event === "send-dropped")!.fields).toMatchObject({ why: "closing", to: deaf.address, drainMs: 300 });
    expect(a.transport.stats()).toMatchObject({ connections: 0, outboxes: {} });
  });

  it("close: drainMs 0 cuts at once; sends after close are ignored; close is idempotent; nothing is delivered or reported after it", async () => {
    const a = await startNode("a");
    const b = await startNode("b");
    b.transport.send(a.address, numbered(0));
    await waitFor(() => a.received.length === 1, "the first message");
    const first = a.transport.close({ drainMs: 0 });
    expect(a.transport.close()).toBe(first);
    await first;
    a.transport.send(b.address, numbered(1));
    b.transport.send(a.address, numbered(2));
    await waitFor(() => b.disconnected.length === 1, "b to see a go");
    await new Promise((r) => setTimeout(r, 50));
    expect(a.received).toHaveLength(1);
    expect(a.disconnected).toEqual([]);
    expect(b.received).toEqual([]);
  });

  it("close through the host: every message a role sends in the same step as its exit reaches the peer", async () => {
    const b = await startNode("b");
    const logger = createMemoryLogger("burst");
    const transport = track(new Transport({ logger, secret: SECRET }));
    await transport.listen("127.0.0.1", 0);
    const host = startHost(burst, { peer: b.address, count: 2_000, bytes: 0 }, { transport, logger });
    host.input({ type: "command", command: { kind: "stop" } });
    expect(await host.exited).toEqual({ code: 0, reason: "burst sent" });
    // The host's exit settles after the transport closed, i.e. after the drain.
    await waitFor(() => b.received.length === 2_000, "the whole burst", 5_000);
    expect(b.received.map((r) => numberOf(r.message))).toEqual(upTo(2_000));
    expect(logger.entries.filter((e) => e.event === "send-dropped")).toEqual([]);
  });
});
