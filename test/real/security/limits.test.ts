/**
 * The limits that hold under a flood, piece by piece: pending-connection admission (caps per
 * listener and per source IP, oldest of the heaviest source cut first), refusal counting, the fd
 * bound, the transient-error retry of a persist, and the typed authentication failure a dialer
 * gets (so that callers report it at once instead of retrying).
 */
import { connect as dial, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { PendingConnections, RefusalLog } from "../../../src/real/admission.js";
import { createMemoryLogger } from "../../../src/real/log.js";
import { retryTransient } from "../../../src/real/recovery/retry.js";
import { AuthenticationError, connectionCapBelowFdLimit, type AuthFailure } from "../../../src/real/transport.js";
import { SAMPLE_MESSAGES, closeAll, numbered, startNode, track, waitFor } from "../fixtures.js";

afterEach(closeAll);

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: boom`), { code });

describe("security: admission of unauthenticated connections", () => {
  it("pending: within the caps nothing is cut; over the per-IP share the oldest of that IP goes; over the total, the oldest of the heaviest IP", () => {
    const p = new PendingConnections<string>({ maxPending: 5, maxPendingPerIp: 3 });
    for (const [c, ip] of [
      ["a1", "A"],
      ["a2", "A"],
      ["b1", "B"],
    ] as const) {
      expect(p.victimFor(ip)).toBeUndefined();
      p.add(c, ip);
    }
    p.add("a3", "A");
    expect(p.victimFor("A")).toBe("a1"); // A holds its whole share
    expect(p.victimFor("B")).toBeUndefined(); // B may still come in
    p.add("b2", "B");
    expect(p.size).toBe(5);
    expect(p.victimFor("C")).toBe("a1"); // full: the heaviest source (A) pays
    p.remove("a1");
    p.remove("a1"); // idempotent
    expect(p.size).toBe(4);
    expect(p.victimFor("C")).toBeUndefined();
    expect(() => new PendingConnections({ maxPending: 0, maxPendingPerIp: 1 })).toThrow(/at least 1/);
  });

  it("refusal log: the first few of an interval one by one, then one summary line with the counts", () => {
    const logger = createMemoryLogger();
    const log = new RefusalLog(logger, "transport", 2, 60_000);
    for (let i = 0; i < 10; i++) log.count(i < 7 ? "timeout" : "bad-proof", { event: "connection-rejected", fields: { i } });
    expect(logger.entries.map((e) => e.event)).toEqual(["connection-rejected", "connection-rejected"]);
    log.flush();
    const summary = logger.entries.at(-1)!;
    expect(summary).toMatchObject({
      level: "warn",
      event: "connections-refused",
      fields: { listener: "transport", total: 10, byReason: { timeout: 7, "bad-proof": 3 }, loggedOneByOne: 2 },
    });
    expect(summary.fields["summary"]).toBe("refused 10 connections: 7 timeout, 3 bad-proof");
    log.flush(); // nothing new: no line
    expect(logger.entries).toHaveLength(3);
    log.count("timeout", { event: "connection-rejected", fields: {} }); // a new interval logs again
    expect(logger.entries).toHaveLength(4);
    log.close();
  });

  it("transport: idle connections over the caps are cut oldest first; the transport never holds more than its share; an authenticated peer gets through", async () => {
    const target = await startNode("target", { maxPendingConnections: 8, maxPendingPerIp: 4, handshakeTimeoutMs: 10_000 });
    const port = Number(target.address.split(":").at(-1));
    const idle: Socket[] = [];
    let closedByTarget = 0;
    for (let i = 0; i < 20; i++) {
      const s = dial({ host: "127.0.0.1", port });
      s.on("error", () => undefined);
      s.on("close", () => closedByTarget++);
      idle.push(s);
      track({ close: () => s.destroy() });
      await new Promise((r) => s.once("connect", r));
      // Wait until the target has seen it (its count includes it) before the next.
      await waitFor(() => target.transport.stats().connections >= Math.min(i + 1, 4), "the target to admit it");
      expect(target.transport.stats().connections).toBeLessThanOrEqual(4);
    }
    await waitFor(() => closedByTarget === 16, "the oldest 16 cut");
    // The survivors are the newest four.
    expect(idle.slice(16).every((s) => !s.destroyed && s.readyState === "open")).toBe(true);
    const good = await startNode("good");
    good.transport.send(target.address, numbered(1));
    await waitFor(() => target.received.length === 1, "the good peer's message");
    expect(target.received[0]!.from).toBe(good.address);
    // Counted, with the first few in detail.
    expect(target.log.filter((e) => e.event === "connection-rejected" && e.fields["why"] === "evicted-for-newer").length).toBeGreaterThan(
      0,
    );
  });

  it("transport: a flood of bad handshakes leaves at most 64 rejected sockets lingering (to tell the peer why); the rest are cut at once", async () => {
    const target = await startNode("target", { rejectionDetailLines: Number.POSITIVE_INFINITY });
    const rejected = (log: typeof target.log): number => log.filter((e) => e.event === "connection-rejected").length;
    const port = Number(target.address.split(":").at(-1));
    const garbage = Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.from("x")]);
    let maxLingering = 0;
    const sockets: Socket[] = [];
    for (let i = 0; i < 200; i++) {
      // allowHalfOpen: the attacker keeps its end open after the target's FIN (never hangs up by itself).
      const s = dial({ host: "127.0.0.1", port, allowHalfOpen: true });
      s.on("error", () => undefined);
      s.on("data", () => undefined);
      s.once("connect", () => s.write(garbage));
      sockets.push(s);
      track({ close: () => s.destroy() });
    }
    await waitFor(() => {
      maxLingering = Math.max(maxLingering, target.transport.stats().lingering);
      return rejected(target.log) === 200;
    }, "every bad connection rejected");
    const until = Date.now() + 200;
    while (Date.now() < until) {
      maxLingering = Math.max(maxLingering, target.transport.stats().lingering);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(maxLingering).toBeGreaterThan(0);
    expect(maxLingering).toBeLessThanOrEqual(64);
    await waitFor(() => target.transport.stats().lingering === 0, "no socket lingering");
  });

  it("fd bound: the connection cap stays below the soft fd limit, sharing it between two listeners", () => {
    const limits = (n: string) =>
      `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${n}                 1048576              files\n`;
    expect(connectionCapBelowFdLimit(limits("1024"))).toBe(448);
    expect(connectionCapBelowFdLimit(limits("100"))).toBe(16);
    expect(connectionCapBelowFdLimit(limits("unlimited"))).toBe(Number.MAX_SAFE_INTEGER);
    expect(connectionCapBelowFdLimit("garbage")).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe("security: a transient persist failure is retried, within a bound", () => {
  it("retry: EMFILE twice, then success", async () => {
    let attempts = 0;
    const retries: string[] = [];
    const result = await retryTransient(
      async () => {
        if (++attempts < 3) throw errno("EMFILE");
        return "ok";
      },
      { sleep: async () => {}, onRetry: (e, n) => retries.push(`${e.code}#${n}`) },
    );
    expect(result).toBe("ok");
    expect(retries).toEqual(["EMFILE#1", "EMFILE#2"]);
  });

  it("retry: a lasting transient failure gives up once the bound has passed; any other error at once", async () => {
    let clock = 0;
    let attempts = 0;
    const always = async (): Promise<never> => {
      attempts++;
      throw errno("ENOSPC");
    };
    await expect(retryTransient(always, { withinMs: 10_000, now: () => clock, sleep: async (ms) => void (clock += ms) })).rejects.toThrow(
      /ENOSPC/,
    );
    expect(clock).toBeLessThanOrEqual(10_000);
    expect(attempts).toBeGreaterThan(5);
    attempts = 0;
    await expect(
      retryTransient(
        async () => {
          attempts++;
          throw errno("EACCES");
        },
        { sleep: async () => {} },
      ),
    ).rejects.toThrow(/EACCES/);
    expect(attempts).toBe(1);
  });
});

describe("security: a failed authentication is reported to the dialer, typed", () => {
  it("auth failure: a dial with the wrong secret fires onAuthFailure once (the server's reason), drops the queue as auth-failed", async () => {
    const server = await startNode("server");
    const client = await startNode("client", { secret: "a-different-secret-0123456789" });
    const failures: AuthFailure[] = [];
    client.transport.onAuthFailure((f) => failures.push(f));
    client.transport.send(server.address, SAMPLE_MESSAGES.Heartbeat);
    await waitFor(() => failures.length > 0, "the auth failure");
    expect(failures).toEqual([
      { peer: server.address, reason: "rejected-by-peer", peerReason: "bad-proof", detail: expect.stringContaining("wrong secret") },
    ]);
    expect(new AuthenticationError(failures[0]!)).toMatchObject({
      name: "AuthenticationError",
      peer: server.address,
      reason: "bad-proof",
      message: expect.stringMatching(/^authentication with flint:\/\/127\.0\.0\.1:\d+ failed \(bad-proof\)/),
    });
    await waitFor(() => client.log.some((e) => e.event === "send-dropped"), "the dropped message");
    expect(client.log.find((e) => e.event === "send-dropped")!.fields).toMatchObject({ why: "auth-failed", dropped: 1 });
    expect(server.received).toEqual([]);
  });

  it("auth failure: a peer without a secret, and a timeout is NOT an auth failure", async () => {
    const server = await startNode("server", { secret: undefined, allowUnauthenticated: true });
    const client = await startNode("client");
    const failures: AuthFailure[] = [];
    const unsubscribe = client.transport.onAuthFailure((f) => failures.push(f));
    client.transport.send(server.address, SAMPLE_MESSAGES.Heartbeat);
    await waitFor(() => failures.length > 0, "the auth failure");
    expect(failures[0]).toMatchObject({ peer: server.address, reason: expect.stringMatching(/peer-missing-secret|rejected-by-peer/) });
    unsubscribe();
    const { createServer } = await import("node:net");
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    const sockets: Socket[] = [];
    silent.on("connection", (s) => sockets.push(s));
    track({
      close: () => {
        for (const s of sockets) s.destroy();
        silent.close();
      },
    });
    const other = await startNode("other", { handshakeTimeoutMs: 100 });
    const otherFailures: AuthFailure[] = [];
    other.transport.onAuthFailure((f) => otherFailures.push(f));
    other.transport.send(`flint://127.0.0.1:${(silent.address() as { port: number }).port}` as never, SAMPLE_MESSAGES.Heartbeat);
    await waitFor(() => other.log.some((e) => e.event === "connection-rejected" && e.fields["why"] === "timeout"), "the timeout");
    expect(otherFailures).toEqual([]);
  });
});
