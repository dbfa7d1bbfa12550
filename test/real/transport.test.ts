import { lookup } from "node:dns/promises";
import { hostname } from "node:os";
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { address, executorId, type Address } from "../../src/protocol/ids.js";
import type { Message } from "../../src/protocol/messages.js";
import { decodeMessageText } from "../../src/real/codec.js";
import { FrameDecoder, encodeFrame, splitMessagePayload } from "../../src/real/framing.js";
import { Handshake } from "../../src/real/handshake.js";
import { createMemoryLogger } from "../../src/real/log.js";
import { Transport } from "../../src/real/transport.js";
import { SAMPLE_MESSAGES, SECRET, closeAll, numberOf, numbered, startNode, track, waitFor } from "./fixtures.js";

/** Whether this machine's host name resolves to 127.0.0.1 (and is not `localhost`): the DNS alias test needs one. */
const HOST_NAME_IS_LOOPBACK =
  hostname() !== "localhost" &&
  (await lookup(hostname(), { all: true }).catch(() => [] as Array<{ address: string }>)).some((a) => a.address === "127.0.0.1");

/** A hand-driven server: completes the handshake as `server`, then records messages and chunks. */
async function rawServer(options: { pauseAfterHandshake?: boolean } = {}) {
  const state = { sockets: [] as Socket[], messages: [] as Message[], chunksAfterHandshake: 0 };
  const server: Server = createServer((socket) => {
    state.sockets.push(socket);
    const hs = new Handshake({ side: "server", ourAddress: addr, secret: SECRET });
    const decoder = new FrameDecoder(1 << 30);
    for (const f of hs.start()) socket.write(encodeFrame(f));
    socket.on("error", () => undefined);
    socket.on("data", (chunk: Buffer) => {
      if (hs.done) state.chunksAfterHandshake++;
      for (const frame of decoder.push(chunk).frames) {
        if (!hs.done) {
          const p = hs.receive(frame);
          for (const f of p.send) socket.write(encodeFrame(f));
          if (hs.done && options.pauseAfterHandshake) socket.pause();
          continue;
        }
        const split = splitMessagePayload(frame);
        if ("kind" in split) continue;
        const d = decodeMessageText(split.json);
        if (d.ok) state.messages.push(d.message);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const addr = address(`flint://127.0.0.1:${(server.address() as { port: number }).port}`);
  track({
    close: () => {
      for (const s of state.sockets) s.destroy();
      server.close();
    },
  });
  return { address: addr, state };
}

const big = (n: number, bytes: number): Message => ({ type: "RemoveExecutor", executorId: executorId(n), reason: "x".repeat(bytes) });

describe("transport: TCP, framed, authenticated", () => {
  afterEach(closeAll);

  it("transport: 10,000 messages to one peer arrive in the order they were sent", async () => {
    const a = await startNode("a");
    const b = await startNode("b");
    for (let i = 0; i < 10_000; i++) a.transport.send(b.address, numbered(i));
    await waitFor(() => b.received.length === 10_000, "10,000 messages");
    expect(b.received.map((r) => numberOf(r.message))).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    expect(b.received.every((r) => r.from === a.address)).toBe(true);
  });

  it("transport: order holds across small batches and large frames, in both directions at once", async () => {
    const a = await startNode("a");
    const b = await startNode("b");
    const sizes = [10, 70_000, 5, 200_000, 1, 65_530, 3];
    for (let i = 0; i < 700; i++) {
      a.transport.send(b.address, big(i, sizes[i % sizes.length]!));
      b.transport.send(a.address, numbered(i));
    }
    await waitFor(() => b.received.length === 700 && a.received.length === 700, "both streams");
    expect(b.received.map((r) => numberOf(r.message))).toEqual(Array.from({ length: 700 }, (_, i) => i));
    expect(a.received.map((r) => numberOf(r.message))).toEqual(Array.from({ length: 700 }, (_, i) => i));
    expect((b.received[3]!.message as { reason: string }).reason.length).toBe(200_000);
  });

  it("transport: small messages sent in one event-loop turn go out in one write", async () => {
    const peer = await rawServer();
    const a = await startNode("a");
    a.transport.send(peer.address, SAMPLE_MESSAGES.Heartbeat); // connect and authenticate first
    await waitFor(() => peer.state.messages.length === 1, "the first message");
    const before = peer.state.chunksAfterHandshake;
    for (let i = 0; i < 200; i++) a.transport.send(peer.address, numbered(i));
    await waitFor(() => peer.state.messages.length === 201, "200 more messages");
    expect(peer.state.chunksAfterHandshake - before).toBeLessThanOrEqual(2);
  });

  it("transport: back-pressure: a slow reader stops the writes; the bounded outbox drops the excess with a logged reason; nothing crashes", async () => {
    const peer = await rawServer({ pauseAfterHandshake: true });
    const a = await startNode("a", { outboxLimitBytes: 4 * 1024 * 1024 });
    a.transport.send(peer.address, numbered(-1));
    await waitFor(() => a.transport.stats().outboxes[peer.address]?.bound === true, "the connection");
    await new Promise((r) => setTimeout(r, 50));
    let sent = 0;
    // 64 MiB offered in rounds; the reader reads nothing.
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < 80; i++) a.transport.send(peer.address, big(sent++, 100_000));
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 10));
    }
    const stats = a.transport.stats().outboxes[peer.address]!;
    expect(stats.blocked).toBe(true);
    expect(stats.queuedBytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    const drops = a.log.filter((e) => e.event === "send-dropped" && e.fields["why"] === "outbox-full");
    // Logged once per episode of overflow (the kernel's buffers may absorb some between rounds), not per message.
    expect(drops.length).toBeGreaterThanOrEqual(1);
    expect(drops.length).toBeLessThanOrEqual(8);
    // The reader wakes up: what was accepted arrives, in the order it was sent (the gaps are the drops).
    for (const s of peer.state.sockets) s.resume();
    await waitFor(() => a.transport.stats().outboxes[peer.address]?.queued === 0, "the outbox to drain", 20_000);
    await waitFor(
      () => a.log.some((e) => e.event === "outbox-recovered") && !a.transport.stats().outboxes[peer.address]!.blocked,
      "recovery",
    );
    // No accepted message is lost: every one not received was reported dropped at send time.
    const droppedTotal = a.log.filter((e) => e.event === "outbox-recovered").reduce((n, e) => n + (e.fields["dropped"] as number), 0);
    expect(droppedTotal).toBeGreaterThan(100); // most of the 64 MiB was refused, not buffered
    await waitFor(() => peer.state.messages.length - 1 === sent - droppedTotal, "every accepted message", 20_000);
    const got = peer.state.messages.map(numberOf);
    expect(got[0]).toBe(-1);
    expect(got.slice(1).every((n, i) => i === 0 || n > got[i]!)).toBe(true);
  }, 30_000);

  it("transport: each message carries the id its sender gave it (its pid, step and effect index), or none", async () => {
    const a = await startNode("a", { pid: 31337 });
    const b = await startNode("b");
    expect(a.transport.pid).toBe(31337);
    expect(b.transport.pid).toBe(process.pid);
    a.transport.send(b.address, numbered(0), { pid: a.transport.pid, step: 7, index: 2 });
    a.transport.sendJson(b.address, "RemoveExecutor", JSON.stringify(numbered(1)), { pid: a.transport.pid, step: 8, index: 0 });
    a.transport.send(b.address, numbered(2));
    await waitFor(() => b.received.length === 3, "3 messages");
    expect(b.received.map((r) => numberOf(r.message))).toEqual([0, 1, 2]);
    expect(b.receivedIds).toEqual([{ pid: 31337, step: 7, index: 2 }, { pid: 31337, step: 8, index: 0 }, undefined]);
  });

  it("transport: the outbox message limit drops with a logged reason too", async () => {
    const a = await startNode("a", { outboxLimitMessages: 10 });
    const b = await startNode("b");
    for (let i = 0; i < 25; i++) a.transport.send(b.address, numbered(i));
    await waitFor(() => b.received.length === 10, "10 messages");
    await new Promise((r) => setTimeout(r, 50));
    expect(b.received.map((r) => numberOf(r.message))).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(a.log.find((e) => e.event === "send-dropped")!.fields).toMatchObject({ why: "outbox-full", queued: 10 });
  });

  it("transport: a message over the frame limit is dropped at the sender with a logged reason", async () => {
    const a = await startNode("a", { maxFrameBytes: 1_000 });
    const b = await startNode("b");
    a.transport.send(b.address, big(1, 2_000));
    a.transport.send(b.address, numbered(2));
    await waitFor(() => b.received.length === 1, "the small message");
    expect(numberOf(b.received[0]!.message)).toBe(2);
    expect(a.log.find((e) => e.event === "send-dropped")!.fields).toMatchObject({ why: "message-too-large", limitBytes: 1_000 });
  });

  it("transport: a frame over the receiver's limit closes that connection with a logged reason", async () => {
    const a = await startNode("a");
    const b = await startNode("b", { maxFrameBytes: 1_000 });
    a.transport.send(b.address, big(1, 5_000));
    await waitFor(() => b.log.some((e) => e.event === "connection-rejected"), "the rejection");
    expect(b.log.find((e) => e.event === "connection-rejected")!.fields).toMatchObject({
      why: "bad-frame",
      detail: expect.stringContaining("exceeds the limit of 1000 bytes"),
    });
    await waitFor(() => a.disconnected.length === 1 && b.disconnected.length === 1, "both disconnects");
    expect(a.disconnected).toEqual([b.address]);
    expect(b.disconnected).toEqual([a.address]);
  });

  it("transport: losing a connection is reported as a disconnect of the peer's listening address, on both sides", async () => {
    const a = await startNode("a");
    const b = await startNode("b");
    b.transport.send(a.address, SAMPLE_MESSAGES.Heartbeat);
    await waitFor(() => a.received.length === 1, "the message");
    await b.transport.close();
    await waitFor(() => a.disconnected.length === 1, "the disconnect");
    expect(a.disconnected).toEqual([b.address]);
    expect(b.disconnected).toEqual([]); // a closed transport reports nothing
    // The next send opens a new connection.
    const c = await startNode("c");
    a.transport.send(c.address, SAMPLE_MESSAGES.HeartbeatResponse);
    await waitFor(() => c.received.length === 1, "a message to another peer");
  });

  it("transport: after a loss, messages go over a fresh connection", async () => {
    const a = await startNode("a");
    const peer = await rawServer();
    a.transport.send(peer.address, numbered(1));
    await waitFor(() => peer.state.messages.length === 1, "the first message");
    for (const s of peer.state.sockets) s.destroy();
    await waitFor(() => a.disconnected.length === 1, "the disconnect");
    expect(a.disconnected).toEqual([peer.address]);
    a.transport.send(peer.address, numbered(2));
    await waitFor(() => peer.state.messages.length === 2, "the second message");
    expect(peer.state.sockets.length).toBe(2);
  });

  it("transport: an unreachable peer drops the queued messages with a logged reason and no disconnect", async () => {
    const a = await startNode("a");
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const dead = address(`flint://127.0.0.1:${port}`);
    a.transport.send(dead, numbered(1));
    a.transport.send(dead, numbered(2));
    await waitFor(() => a.log.some((e) => e.event === "send-dropped"), "the drop");
    expect(a.log.find((e) => e.event === "send-dropped")!.fields).toMatchObject({ why: "connect-failed", to: dead, dropped: 2 });
    expect(a.disconnected).toEqual([]);
  });

  it("transport: a bad address drops the message with a logged reason", async () => {
    const a = await startNode("a");
    a.transport.send("worker-1" as Address, numbered(1));
    expect(a.log.find((e) => e.event === "send-dropped")!.fields).toMatchObject({ why: "bad-address", to: "worker-1" });
  });

  it("transport: dialing an alias of the peer (localhost for 127.0.0.1) works; the connection is known by the address dialed", async () => {
    const a = await startNode("a");
    const b = await startNode("b");
    const alias = address(b.address.replace("127.0.0.1", "localhost"));
    a.transport.send(alias, numbered(1));
    await waitFor(() => b.received.length === 1, "the message");
    expect(b.received[0]!.from).toBe(a.address);
    b.transport.send(a.address, numbered(2));
    await waitFor(() => a.received.length === 1, "the reply");
    expect(a.received[0]!.from).toBe(alias);
    await b.transport.close();
    await waitFor(() => a.disconnected.length === 1, "the disconnect");
    expect(a.disconnected).toEqual([alias]);
  });

  it.skipIf(!HOST_NAME_IS_LOOPBACK)(
    "transport: dialing a DNS name of the peer (not its advertised host) is accepted once the name resolves to the IP the connection reached",
    async () => {
      const a = await startNode("a");
      const b = await startNode("b");
      const byName = address(b.address.replace("127.0.0.1", hostname()));
      a.transport.send(byName, numbered(1));
      await waitFor(() => b.received.length === 1, "the message");
      expect(b.received[0]!.from).toBe(a.address);
    },
  );

  it("transport: a client that reached us through a forwarder (another port) is refused: not-our-address", async () => {
    const { createServer, connect } = await import("node:net");
    const b = await startNode("b");
    const bPort = Number(b.address.split(":").at(-1));
    const pipes: Socket[] = [];
    const forwarder = createServer((inbound) => {
      const out = connect({ host: "127.0.0.1", port: bPort });
      pipes.push(inbound, out);
      inbound.on("error", () => undefined);
      out.on("error", () => undefined);
      inbound.pipe(out).pipe(inbound);
    });
    await new Promise<void>((r) => forwarder.listen(0, "127.0.0.1", () => r()));
    track({
      close: () => {
        for (const p of pipes) p.destroy();
        forwarder.close();
      },
    });
    const a = await startNode("a");
    const failures: unknown[] = [];
    a.transport.onAuthFailure((f) => failures.push(f));
    a.transport.send(address(`flint://127.0.0.1:${(forwarder.address() as { port: number }).port}`), numbered(1));
    await waitFor(() => failures.length === 1, "the refusal");
    expect(failures[0]).toMatchObject({ reason: "rejected-by-peer", peerReason: "not-our-address" });
    expect(b.received).toEqual([]);
  });

  it("transport: inbound connections over the limit are refused; the listener stays up", async () => {
    const a = await startNode("a", { maxConnections: 2 });
    const b = await startNode("b");
    const c = await startNode("c");
    const d = await startNode("d");
    b.transport.send(a.address, numbered(1));
    c.transport.send(a.address, numbered(2));
    await waitFor(() => a.received.length === 2, "two messages");
    d.transport.send(a.address, numbered(3));
    await waitFor(() => a.log.some((e) => e.event === "connection-refused"), "the refusal");
    expect(a.log.find((e) => e.event === "connection-refused")!.fields).toMatchObject({ why: "too-many-connections", limit: 2 });
    await b.transport.close();
    await waitFor(() => a.transport.stats().connections === 1, "b's connection to go");
    d.transport.send(a.address, numbered(4));
    await waitFor(() => a.received.length === 3, "d's message");
  });

  it("transport: messages that arrive before a receiver is attached are delivered on attach", async () => {
    const logger = createMemoryLogger("late");
    const late = track(new Transport({ logger, secret: SECRET }));
    const lateAddress = await late.listen("127.0.0.1", 0);
    const a = await startNode("a");
    a.transport.send(lateAddress, numbered(1));
    await waitFor(() => logger.entries.some((e) => e.event === "connection-open"), "the connection");
    await new Promise((r) => setTimeout(r, 50));
    const got: number[] = [];
    late.attach({ onMessage: (_f, m) => got.push(numberOf(m)), onDisconnected: () => undefined });
    expect(got).toEqual([1]);
  });

  it("transport: a throwing receiver is logged and does not break the connection", async () => {
    const a = await startNode("a");
    const logger = createMemoryLogger("b");
    const b = track(new Transport({ logger, secret: SECRET }));
    const got: number[] = [];
    b.attach({
      onMessage: (_f, m) => {
        got.push(numberOf(m));
        if (got.length === 1) throw new Error("receiver bug");
      },
      onDisconnected: () => {
        throw new Error("receiver bug 2");
      },
    });
    const bAddress = await b.listen("127.0.0.1", 0);
    a.transport.send(bAddress, numbered(1));
    a.transport.send(bAddress, numbered(2));
    await waitFor(() => got.length === 2, "both messages");
    expect(logger.entries.find((e) => e.event === "handler-threw")!.fields).toMatchObject({ handler: "onMessage" });
    await a.transport.close();
    await waitFor(() => logger.entries.filter((e) => e.event === "handler-threw").length === 2, "the second throw");
  });

  it("transport: misuse is reported to the caller: listening twice, sending before an address, listening after close", async () => {
    const a = await startNode("a");
    await expect(a.transport.listen("127.0.0.1", 0)).rejects.toThrow(/already listening/);
    const t = new Transport({ logger: createMemoryLogger(), secret: SECRET });
    expect(() => t.send(a.address, numbered(1))).toThrow(/listen first/);
    await t.close();
    await expect(t.listen("127.0.0.1", 0)).rejects.toThrow(/closed/);
    t.send(a.address, numbered(1)); // a closed transport drops silently
    const busy = new Transport({ logger: createMemoryLogger(), secret: SECRET });
    const port = Number(a.address.split(":").at(-1));
    await expect(busy.listen("127.0.0.1", port)).rejects.toThrow(/EADDRINUSE/);
    await busy.close();
  });
});
