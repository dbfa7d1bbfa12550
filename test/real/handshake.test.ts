import { chmodSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { address } from "../../src/protocol/ids.js";
import {
  Handshake,
  PROTOCOL_VERSION,
  SecretFileError,
  computeProof,
  createSecretFile,
  encodeHandshakeFrame,
  readSecretFile,
  type HandshakeOptions,
  type HandshakeProgress,
  type HelloFrame,
} from "../../src/real/handshake.js";
import { createMemoryLogger } from "../../src/real/log.js";
import { Transport } from "../../src/real/transport.js";
import { isAuthFailure } from "../../src/real/handshake.js";
import { fileTempDir } from "../hygiene/tempDir.js";
import { RawPeer, SAMPLE_MESSAGES, SECRET, closeAll, rejections, startNode, waitFor } from "./fixtures.js";
import { encodeMessage } from "../../src/real/codec.js";

const A = address("flint://127.0.0.1:1001");
const B = address("flint://127.0.0.1:1002");

/** Runs two in-memory handshakes against each other until both stop making progress. */
function pair(client: Handshake, server: Handshake): { client: HandshakeProgress[]; server: HandshakeProgress[] } {
  const log = { client: [] as HandshakeProgress[], server: [] as HandshakeProgress[] };
  let toServer = client.start();
  let toClient = server.start();
  while (toServer.length > 0 || toClient.length > 0) {
    const nextToClient: Buffer[] = [];
    const nextToServer: Buffer[] = [];
    for (const f of toServer) {
      const p = server.receive(f);
      log.server.push(p);
      nextToClient.push(...p.send);
    }
    for (const f of toClient) {
      const p = client.receive(f);
      log.client.push(p);
      nextToServer.push(...p.send);
    }
    toServer = nextToServer;
    toClient = nextToClient;
  }
  return log;
}

const rejectOf = (ps: HandshakeProgress[]) => ps.find((p) => p.reject)?.reject;
const frameOf = (b: Buffer): Record<string, unknown> => JSON.parse(b.toString()) as Record<string, unknown>;
const client = (extra: Partial<HandshakeOptions> = {}) =>
  new Handshake({ side: "client", ourAddress: A, dialed: B, secret: SECRET, ...extra });
const server = (extra: Partial<HandshakeOptions> = {}) => new Handshake({ side: "server", ourAddress: B, secret: SECRET, ...extra });
const helloFrame = (extra: Record<string, unknown> = {}) =>
  encodeHandshakeFrame({
    hs: "hello",
    protocolVersion: PROTOCOL_VERSION,
    nodeAddress: A,
    dialed: B,
    nonce: "c".repeat(64),
    auth: true,
    ...extra,
  } as HelloFrame);

describe("handshake: mutual HMAC challenge-response bound to the connection", () => {
  afterEach(closeAll);

  it("handshake: both sides with the secret complete; the server learns the client's address, the client the address it dialed", () => {
    const c = client();
    const s = server();
    const log = pair(c, s);
    expect(c.done && s.done).toBe(true);
    expect(log.client.at(-1)?.peerAddress).toBe(B);
    expect(log.server.at(-1)?.peerAddress).toBe(A);
  });

  it("handshake: without secrets on both sides (explicitly unauthenticated) it completes after hello and challenge", () => {
    const c = new Handshake({ side: "client", ourAddress: A, dialed: B });
    const s = new Handshake({ side: "server", ourAddress: B });
    pair(c, s);
    expect(c.done && s.done).toBe(true);
  });

  it("handshake: a wrong secret fails at the server with bad-proof, and the server never reveals its own proof", () => {
    const c = client({ secret: "other-secret-0123456789" });
    const s = server();
    const log = pair(c, s);
    expect(rejectOf(log.server)).toMatchObject({ reason: "bad-proof", detail: expect.stringContaining("wrong secret") });
    expect(c.done).toBe(false);
    const sent = log.server.flatMap((p) => p.send).map(frameOf);
    expect(sent.map((f) => f["hs"])).toEqual(["challenge"]);
  });

  it("handshake: a server with the wrong secret fails at the client with bad-proof", () => {
    const c = client();
    const s = server({ secret: "other-secret-0123456789" });
    const log = pair(c, s);
    expect(rejectOf(log.server)).toMatchObject({ reason: "bad-proof" });
    // The server rejected the client's proof: its own proof was never computed nor sent.
    expect(
      log.server
        .flatMap((p) => p.send)
        .map(frameOf)
        .some((f) => f["hs"] === "auth"),
    ).toBe(false);
  });

  it("handshake: a peer without a secret is refused by a node that has one, and vice versa", () => {
    const c = new Handshake({ side: "client", ourAddress: A, dialed: B });
    const log = pair(c, server());
    expect(rejectOf(log.server)).toMatchObject({ reason: "peer-missing-secret" });
    const c2 = client();
    const log2 = pair(c2, new Handshake({ side: "server", ourAddress: B }));
    expect(rejectOf(log2.server)).toMatchObject({ reason: "local-missing-secret" });
  });

  it("handshake: no proof oracle: a server answers a hello with a challenge only, never with a proof", () => {
    const s = server();
    const progress = s.receive(helloFrame());
    expect(progress.reject).toBeUndefined();
    expect(progress.send.map(frameOf)).toEqual([{ hs: "challenge", protocolVersion: PROTOCOL_VERSION, nonce: s.nonce, auth: true }]);
  });

  it("handshake: reflection: a client's own proof sent back to it as the server's fails (distinct labels per direction)", () => {
    const c = client();
    const [hello] = c.start();
    const cN = String(frameOf(hello!)["nonce"]);
    const sN = "a".repeat(64);
    const [proofC] = c.receive(encodeHandshakeFrame({ hs: "challenge", protocolVersion: PROTOCOL_VERSION, nonce: sN, auth: true })).send;
    expect(frameOf(proofC!)["proof"]).toBe(computeProof(SECRET, "client", cN, sN, B, A));
    // The attacker reflects the client's proof back as if it were the server's.
    expect(c.receive(proofC!).reject).toMatchObject({ reason: "bad-proof" });
  });

  it("handshake: reflection at a server: a proof it would give as server is refused as a client's", () => {
    const s = server({ nonce: "a".repeat(64) });
    s.receive(helloFrame({ nonce: "b".repeat(64) }));
    const reflected = computeProof(SECRET, "server", "b".repeat(64), "a".repeat(64), B, A);
    expect(s.receive(encodeHandshakeFrame({ hs: "auth", proof: reflected })).reject).toMatchObject({ reason: "bad-proof" });
  });

  it("handshake: replay: a proof recorded from one connection fails on the next (the server's fresh nonce)", () => {
    // Record a complete exchange.
    const c1 = client();
    const s1 = server();
    const hello1 = c1.start()[0]!;
    const challenge1 = s1.receive(hello1).send[0]!;
    const proof1 = c1.receive(challenge1).send[0]!;
    expect(s1.receive(proof1).peerAddress).toBe(A);
    // Replay the client's hello and proof to a fresh server.
    const s2 = server();
    expect(s2.receive(hello1).reject).toBeUndefined();
    expect(s2.receive(proof1).reject).toMatchObject({ reason: "bad-proof" });
    // And a server's proof from one exchange, replayed to a client that got the same challenge, fails (its fresh nonce).
    const c3 = client();
    const s3 = server();
    const challenge3 = s3.receive(c3.start()[0]!).send[0]!;
    const proofS3 = s3.receive(c3.receive(challenge3).send[0]!).send[0]!;
    const c4 = client();
    c4.start();
    c4.receive(challenge3);
    expect(c4.receive(proofS3).reject).toMatchObject({ reason: "bad-proof" });
  });

  it("handshake: relay: a hello meant for another node (its dialed address) is refused before any proof", () => {
    // A worker dialed the attacker at M; the attacker relays the worker's hello to the node at B.
    const M = address("flint://127.0.0.1:7077");
    const relayedHello = client({ dialed: M }).start()[0]!;
    const progress = server().receive(relayedHello);
    expect(progress.reject).toMatchObject({ reason: "not-our-address", detail: expect.stringContaining("flint://127.0.0.1:7077") });
    expect(progress.send).toEqual([]);
  });

  it("handshake: relay: a server proof is checked against the address the client dialed, so one made for another address fails", () => {
    const M = address("flint://127.0.0.1:7077");
    const c = client({ dialed: M });
    const hello = c.start()[0]!;
    // The node at B would only ever prove itself for B: play such a proof over the client's nonces.
    const s = server({ nonce: "a".repeat(64), isOwnAddress: () => true });
    const challenge = s.receive(hello).send[0]!;
    const proofC = c.receive(challenge).send[0]!;
    expect(s.receive(proofC).peerAddress).toBe(A);
    const cN = String(frameOf(hello)["nonce"]);
    const forB = computeProof(SECRET, "server", cN, "a".repeat(64), B, A);
    expect(c.receive(encodeHandshakeFrame({ hs: "auth", proof: forB })).reject).toMatchObject({ reason: "bad-proof" });
  });

  it("handshake: a client whose server rejects it learns the server's reason (typed, for reporting)", () => {
    const c = client();
    c.start();
    const progress = c.receive(encodeHandshakeFrame({ hs: "reject", reason: "bad-proof", detail: "wrong secret" }));
    expect(progress.reject).toMatchObject({ reason: "rejected-by-peer", peerReason: "bad-proof" });
    expect(isAuthFailure(progress.reject!)).toBe(true);
    expect(isAuthFailure({ reason: "timeout", detail: "" })).toBe(false);
  });

  const badFrames: Array<[string, unknown, string, RegExp]> = [
    [
      "a wrong version",
      { hs: "hello", protocolVersion: 99, nodeAddress: A, dialed: B, nonce: "c".repeat(64), auth: true },
      "version-mismatch",
      new RegExp(`version 99, we speak ${PROTOCOL_VERSION}`),
    ],
    ["not JSON", "garbage", "bad-handshake-frame", /not JSON/],
    ["a JSON array", [], "bad-handshake-frame", /not an object/],
    ["a message before the handshake", SAMPLE_MESSAGES.RegisterWorker, "bad-handshake-frame", /message before the handshake completed/],
    ["an auth frame instead of hello", { hs: "auth", proof: "0".repeat(64) }, "bad-handshake-frame", /expected a hello, got 'auth'/],
    ["an unknown frame", { what: 1 }, "bad-handshake-frame", /unknown frame/],
    ["no version", { hs: "hello" }, "bad-handshake-frame", /no protocolVersion/],
    ["no address", { hs: "hello", protocolVersion: PROTOCOL_VERSION }, "bad-handshake-frame", /no nodeAddress/],
    ["a bad address", { hs: "hello", protocolVersion: PROTOCOL_VERSION, nodeAddress: "http://x:1" }, "bad-handshake-frame", /scheme/],
    ["a short nonce", { hs: "hello", protocolVersion: PROTOCOL_VERSION, nodeAddress: A, nonce: "ab" }, "bad-handshake-frame", /nonce/],
    [
      "our own nonce",
      { hs: "hello", protocolVersion: PROTOCOL_VERSION, nodeAddress: A, nonce: "d".repeat(64), auth: true },
      "bad-handshake-frame",
      /echoed our nonce/,
    ],
    [
      "no auth flag",
      { hs: "hello", protocolVersion: PROTOCOL_VERSION, nodeAddress: A, nonce: "c".repeat(64) },
      "bad-handshake-frame",
      /no auth flag/,
    ],
    [
      "no dialed address",
      { hs: "hello", protocolVersion: PROTOCOL_VERSION, nodeAddress: A, nonce: "c".repeat(64), auth: true },
      "bad-handshake-frame",
      /which address it dialed/,
    ],
    [
      "another node's dialed address",
      { hs: "hello", protocolVersion: PROTOCOL_VERSION, nodeAddress: A, dialed: A, nonce: "c".repeat(64), auth: true },
      "not-our-address",
      /dialed/,
    ],
    [
      "a challenge to a server",
      { hs: "challenge", protocolVersion: PROTOCOL_VERSION, nonce: "c".repeat(64), auth: true },
      "bad-handshake-frame",
      /expected a hello, got 'challenge'/,
    ],
    [
      "a reject frame",
      { hs: "reject", reason: "bad-proof", detail: "nope" },
      "rejected-by-peer",
      /peer rejected the handshake: bad-proof: nope/,
    ],
  ];
  for (const [what, frame, reason, detail] of badFrames) {
    it(`handshake: rejects ${what} as ${reason}`, () => {
      const s = new Handshake({ side: "server", ourAddress: B, secret: SECRET, nonce: "d".repeat(64) });
      const payload = typeof frame === "string" ? Buffer.from(frame) : Buffer.from(JSON.stringify(frame));
      const progress = s.receive(payload);
      expect(progress.reject).toMatchObject({ reason, detail: expect.stringMatching(detail) });
      expect(s.receive(payload).reject).toMatchObject({
        reason: "bad-handshake-frame",
        detail: expect.stringMatching(/after the handshake failed/),
      });
    });
  }

  it("handshake: a malformed proof, an oversized frame and a frame after completion are rejected", () => {
    const hello = helloFrame();
    const s1 = new Handshake({ side: "server", ourAddress: B, secret: SECRET });
    s1.receive(hello);
    expect(s1.receive(encodeHandshakeFrame({ hs: "auth", proof: "xyz" })).reject).toMatchObject({
      reason: "bad-proof",
      detail: expect.stringMatching(/malformed proof/),
    });
    const s2 = new Handshake({ side: "server", ourAddress: B, secret: SECRET });
    expect(s2.receive(Buffer.alloc(5_000, 32)).reject).toMatchObject({
      reason: "bad-handshake-frame",
      detail: expect.stringMatching(/5000 bytes/),
    });
    const s3 = new Handshake({ side: "server", ourAddress: B, secret: SECRET });
    s3.receive(hello);
    expect(s3.receive(hello).reject).toMatchObject({ detail: expect.stringMatching(/expected an auth frame/) });
    const c = new Handshake({ side: "client", ourAddress: A, dialed: B });
    const s4 = new Handshake({ side: "server", ourAddress: B });
    pair(c, s4);
    expect(s4.receive(hello).reject).toMatchObject({ detail: expect.stringMatching(/after the handshake completed/) });
  });
});

describe("handshake over TCP", () => {
  afterEach(closeAll);

  it("handshake: two nodes with the secret exchange messages, each seeing the other's listening address", async () => {
    const a = await startNode("a");
    const b = await startNode("b");
    a.transport.send(b.address, SAMPLE_MESSAGES.Heartbeat);
    await waitFor(() => b.received.length === 1, "the heartbeat");
    expect(b.received[0]).toEqual({ from: a.address, message: SAMPLE_MESSAGES.Heartbeat });
    b.transport.send(a.address, SAMPLE_MESSAGES.HeartbeatResponse);
    await waitFor(() => a.received.length === 1, "the response");
    expect(a.received[0]!.from).toBe(b.address);
    expect(a.transport.stats().connections).toBe(1); // b answered over a's connection
  });

  it("handshake: a wrong secret is rejected and logged on both sides, nothing is delivered", async () => {
    const a = await startNode("a");
    const b = await startNode("b", { secret: "not-the-secret-0123456789" });
    b.transport.send(a.address, SAMPLE_MESSAGES.Heartbeat);
    await waitFor(() => rejections(a.log).length > 0 && rejections(b.log).length > 0, "both rejections");
    expect(rejections(a.log)[0]!.fields).toMatchObject({ why: "bad-proof", detail: expect.stringContaining("wrong secret") });
    expect(rejections(b.log)[0]!.fields).toMatchObject({ why: expect.stringMatching(/bad-proof|rejected-by-peer/) });
    await waitFor(() => b.log.some((e) => e.event === "send-dropped"), "b's dropped message");
    expect(a.received).toEqual([]);
    expect(a.disconnected).toEqual([]);
  });

  it("handshake: a peer without a secret is rejected with a clear reason", async () => {
    const a = await startNode("a");
    const b = await startNode("b", { secret: undefined, allowUnauthenticated: true });
    b.transport.send(a.address, SAMPLE_MESSAGES.Heartbeat);
    await waitFor(() => rejections(a.log).length > 0 && rejections(b.log).length > 0, "both rejections");
    expect(rejections(a.log)[0]!.fields).toMatchObject({ why: "peer-missing-secret", detail: expect.stringContaining("has no secret") });
    expect(rejections(b.log)[0]!.fields).toMatchObject({ why: expect.stringMatching(/local-missing-secret|rejected-by-peer/) });
    expect(a.received).toEqual([]);
  });

  it("handshake: a wrong protocol version (the one before message ids, or a newer one) is rejected, told to the peer, and the connection closed", async () => {
    for (const version of [PROTOCOL_VERSION - 1, PROTOCOL_VERSION + 1]) await rejectsVersion(version);
  });

  async function rejectsVersion(version: number): Promise<void> {
    const a = await startNode("a");
    const raw = new RawPeer(a.address);
    await raw.connected;
    raw.frame(
      JSON.stringify({
        hs: "hello",
        protocolVersion: version,
        nodeAddress: A,
        dialed: a.address,
        nonce: "e".repeat(64),
        auth: true,
      }),
    );
    await raw.waitClosed();
    expect(rejections(a.log)[0]!.fields).toMatchObject({
      why: "version-mismatch",
      detail: `peer speaks protocol version ${version}, we speak ${PROTOCOL_VERSION}`,
    });
    const reject = raw.frames.map((f) => JSON.parse(f.toString()) as { hs: string; reason?: string }).find((f) => f.hs === "reject");
    expect(reject).toMatchObject({ reason: "version-mismatch" });
  }

  it("handshake: a peer that never completes it is cut off after the timeout", async () => {
    const a = await startNode("a", { handshakeTimeoutMs: 150 });
    const raw = new RawPeer(a.address);
    await raw.connected;
    await raw.waitClosed(3_000);
    expect(rejections(a.log)[0]!.fields).toMatchObject({ why: "timeout", detail: expect.stringContaining("150 ms") });
  });

  it("handshake: a client whose server never answers gives up after the timeout and drops its queue", async () => {
    const { createServer } = await import("node:net");
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    const sockets: import("node:net").Socket[] = [];
    silent.on("connection", (s) => sockets.push(s));
    const port = (silent.address() as { port: number }).port;
    const a = await startNode("a", { handshakeTimeoutMs: 150 });
    a.transport.send(address(`flint://127.0.0.1:${port}`), SAMPLE_MESSAGES.Heartbeat);
    await waitFor(() => a.log.some((e) => e.event === "send-dropped"), "the dropped message");
    expect(rejections(a.log)[0]!.fields).toMatchObject({ why: "timeout" });
    expect(a.log.find((e) => e.event === "send-dropped")!.fields).toMatchObject({ why: "connect-failed", dropped: 1 });
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  it("handshake: a raw client with the secret may send messages once authenticated", async () => {
    const a = await startNode("a");
    const raw = new RawPeer(a.address);
    await raw.handshake(A);
    raw.message(encodeMessage(SAMPLE_MESSAGES.ExecutorHeartbeat).toString(), { pid: 4242, step: 2 ** 40 + 7, index: 3 });
    raw.message(encodeMessage(SAMPLE_MESSAGES.Heartbeat).toString());
    await waitFor(() => a.received.length === 2, "the messages");
    expect(a.received).toEqual([
      { from: A, message: SAMPLE_MESSAGES.ExecutorHeartbeat },
      { from: A, message: SAMPLE_MESSAGES.Heartbeat },
    ]);
    // The ids as sent (a step past 32 bits too); the zero id is no id.
    expect(a.receivedIds).toEqual([{ pid: 4242, step: 2 ** 40 + 7, index: 3 }, undefined]);
  });

  it("handshake: after it, a message frame too short to hold its id (an old peer's bare JSON) closes the connection, saying why", async () => {
    const a = await startNode("a");
    const raw = new RawPeer(a.address);
    await raw.handshake(A);
    raw.frame("{}");
    await raw.waitClosed();
    expect(rejections(a.log)[0]!.fields).toMatchObject({
      why: "bad-frame",
      detail: expect.stringContaining("message frame of 2 bytes is shorter than its 16-byte id"),
    });
    expect(a.received).toEqual([]);
  });

  it("handshake: authentication is on by default: a transport without a secret refuses to start", () => {
    expect(() => new Transport({ logger: createMemoryLogger() })).toThrow(/authentication is on by default/);
    expect(() => new Transport({ logger: createMemoryLogger(), secret: "" })).toThrow(/empty/);
    expect(() => new Transport({ logger: createMemoryLogger(), secret: "x" })).toThrow(
      /1 bytes, shorter than 16 \(128 bits\); make one with: head -c 32 \/dev\/urandom/,
    );
    expect(() => new Transport({ logger: createMemoryLogger(), secret: "0123456789abcde" })).toThrow(/15 bytes/);
    expect(() => new Transport({ logger: createMemoryLogger(), secret: "0123456789abcdef" })).not.toThrow();
  });

  it("handshake: without a secret a server refuses to listen on a non-loopback address", async () => {
    const t = new Transport({ logger: createMemoryLogger(), allowUnauthenticated: true });
    await expect(t.listen("0.0.0.0", 0)).rejects.toThrow(/refusing to listen on non-loopback host 0.0.0.0 without a secret/);
    await t.close();
  });
});

describe("handshake: secret files", () => {
  const dir = fileTempDir("flint-secret-");
  afterEach(() => rmSync(join(dir, "s"), { force: true }));

  it("secret: created with mode 0600 and read back", () => {
    const path = join(dir, "s");
    const secret = createSecretFile(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readSecretFile(path)).toBe(secret);
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
  });

  it("secret: an existing file is not overwritten unless asked, and is then made private", () => {
    const path = join(dir, "s");
    writeFileSync(path, "old", { mode: 0o644 });
    expect(() => createSecretFile(path)).toThrow(/already exists/);
    const secret = createSecretFile(path, { overwrite: true });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readSecretFile(path)).toBe(secret);
  });

  it("secret: a group- or world-readable file is refused with the fix in the message", () => {
    const path = join(dir, "s");
    createSecretFile(path);
    chmodSync(path, 0o644);
    expect(() => readSecretFile(path)).toThrow(SecretFileError);
    expect(() => readSecretFile(path)).toThrow(/accessible by group or others \(mode 0644\); run: chmod 600/);
    chmodSync(path, 0o640);
    expect(() => readSecretFile(path)).toThrow(/mode 0640/);
  });

  it("secret: a missing, empty or non-regular file is refused", () => {
    expect(() => readSecretFile(join(dir, "missing"))).toThrow(/cannot read secret file/);
    writeFileSync(join(dir, "s"), "\n", { mode: 0o600 });
    expect(() => readSecretFile(join(dir, "s"))).toThrow(/is empty/);
    expect(() => readSecretFile(dir)).toThrow(/not a regular file/);
    expect(() => createSecretFile(join(dir, "no", "such", "dir"))).toThrow(/cannot create secret file/);
  });
});
