/**
 * The attack suite against live processes on 127.0.0.1 (a local cluster of a master and two
 * workers). An attacker on the network WITHOUT the secret tries: the relay of issue 14 (kill the
 * master, take its port, relay a re-registering worker's handshake to the other worker and its
 * proof back), reflecting a worker's own proof at it, replaying a recorded handshake, and
 * oversized frames before the handshake. A peer WITH the secret (not the master) tries path
 * traversal in ids and an oversized frame after the handshake. Each attack fails, the processes
 * stay up, and no file outside the work directory changes.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { address, type Address } from "../../../src/protocol/ids.js";
import type { LocalCluster } from "../../../src/real/cluster/local.js";
import type { Message } from "../../../src/protocol/messages.js";
import { Handshake } from "../../../src/real/handshake.js";
import { DIST_READY, ProcessTracker, isAlive, kill, startTestCluster, waitFor } from "../cluster/harness.js";
import { SAMPLE_MESSAGES } from "../fixtures.js";
import { Wire, listeningAddress, logOf, portOf } from "./live.js";

const tracker = new ProcessTracker();
let cluster: LocalCluster | undefined;
const closers: Array<() => void> = [];

afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await cluster?.stop({ graceMs: 3_000 });
  cluster = undefined;
  expect(tracker.cleanup()).toEqual([]);
});

/** A directory next to the work directory (outside it) that traversal attacks aim at. */
function plantVictim(c: LocalCluster): string {
  const victim = join(dirname(c.workDir), "victim-dir");
  mkdirSync(victim, { recursive: true });
  writeFileSync(join(victim, "precious"), "keep me");
  return victim;
}

/** Completes a handshake with the secret as a client announcing `ourAddress`; returns the open wire. */
async function authenticated(port: number, secret: string, ourAddress: Address): Promise<Wire> {
  const wire = await Wire.dial(port);
  closers.push(() => wire.close());
  const hs = new Handshake({ side: "client", ourAddress, dialed: address(`flint://127.0.0.1:${port}`), secret });
  for (const f of hs.start()) wire.send(f);
  let used = 0;
  while (!hs.done) {
    await waitFor("a handshake frame", () => wire.frames.length > used || wire.closed, 5_000, 5);
    if (wire.frames.length <= used) throw new Error("closed during the handshake");
    const p = hs.receive(wire.frames[used++]!);
    for (const f of p.send) wire.send(f);
    if (p.reject) throw new Error(`rejected: ${p.reject.detail}`);
  }
  wire.frames.splice(0, used);
  return wire;
}

/** `count` workers handled their RegisteredWorker: their own journals (on by default) recorded it. */
async function waitForWorkersRegistered(c: LocalCluster, count: number): Promise<void> {
  const dir = c.journalDir;
  if (dir === undefined) throw new Error("the test cluster keeps no journals");
  const registered = () =>
    readdirSync(dir).filter((f) => f.startsWith("worker-") && readFileSync(join(dir, f), "utf8").includes('"type":"RegisteredWorker"'));
  await waitFor(`${count} workers to handle their RegisteredWorker`, () => registered().length >= count, 10_000);
}

describe.skipIf(!DIST_READY)("security: attacks on a live cluster", () => {
  it("relay and reflection: an attacker on the dead master's port gets no worker to accept it, and nothing runs", async () => {
    cluster = await startTestCluster(tracker);
    const c = cluster;
    await c.waitForWorkers(2);
    // The master's view is not the workers': a worker killed off before it handled its
    // RegisteredWorker was never registered, and rightly gives up on a master that fails its proof.
    await waitForWorkersRegistered(c, 2);
    const victim = plantVictim(c);
    const workDirBefore = readdirSync(c.workDir).sort();
    const workers = { "worker-1": listeningAddress(c, "worker-1"), "worker-2": listeningAddress(c, "worker-2") };
    const masterPort = portOf(c.masterUrl);

    // 1. Kill the master and take its port, without the secret.
    kill(c.master.pid, "SIGKILL");
    await c.master.exited;
    const inbound: Socket[] = [];
    const server: Server = createServer((s) => inbound.push(s));
    await waitFor(
      "the master's port",
      () =>
        new Promise<boolean>((resolve) => {
          server.once("error", () => resolve(false));
          server.listen(masterPort, "127.0.0.1", () => resolve(true));
        }),
      10_000,
      100,
    );
    closers.push(() => {
      for (const s of inbound) s.destroy();
      server.close();
    });

    // 2. A worker re-registering dials us and says hello (its address, the address it dialed, its nonce).
    await waitFor("a worker to dial the stolen port", () => inbound.length > 0, 20_000);
    const fromWorker = new Wire(inbound[0]!);
    const used = { n: 0 };
    const hello = (await fromWorker.next(used))!;
    expect(hello).toMatchObject({ hs: "hello", dialed: c.masterUrl, auth: true });
    const dialer = Object.entries(workers).find(([, a]) => a === hello["nodeAddress"])!;
    expect(dialer).toBeDefined();
    const [otherName, otherAddress] = Object.entries(workers).find(([n]) => n !== dialer[0])!;

    // 3a. Relay the hello verbatim to the other worker: refused before it proves anything.
    const relay1 = await Wire.dial(portOf(otherAddress));
    closers.push(() => relay1.close());
    relay1.send(hello);
    const answer1 = await relay1.next({ n: 0 });
    expect(answer1).toMatchObject({ hs: "reject", reason: "not-our-address" });
    await relay1.waitClosed();

    // 3b. Relay it with the dialed address rewritten to the other worker's: it challenges (no proof)...
    const relay2 = await Wire.dial(portOf(otherAddress));
    closers.push(() => relay2.close());
    const used2 = { n: 0 };
    relay2.send({ ...hello, dialed: otherAddress });
    const challenge = (await relay2.next(used2))!;
    expect(challenge).toMatchObject({ hs: "challenge" });
    expect(challenge["proof"]).toBeUndefined();
    // ...which we pass to the dialing worker, whose proof covers the address IT dialed (ours)...
    fromWorker.send(challenge);
    const proofC = (await fromWorker.next(used))!;
    expect(proofC).toMatchObject({ hs: "auth" });
    // ...so the other worker refuses it, and never sends a proof of its own.
    relay2.send(proofC);
    const answer2 = await relay2.next(used2);
    expect(answer2).toMatchObject({ hs: "reject", reason: "bad-proof" });

    // 4. Reflection: the dialing worker's own proof sent back to it as ours is refused.
    fromWorker.send(proofC);
    // A command behind it, in case it were accepted: launch a driver, remove a directory outside the work dir.
    fromWorker.message({ ...SAMPLE_MESSAGES.LaunchDriver, driverId: "driver-20990101000000-6666" } as Message);
    fromWorker.message({ type: "ApplicationFinished", appId: "app-20990101000000-6666" } as Message);
    const answer3 = await fromWorker.next(used);
    expect(answer3).toMatchObject({ hs: "reject", reason: "bad-proof" });
    await fromWorker.waitClosed();

    // The dialing worker logged the failed authentication of the stolen address; the other, the relays.
    await waitFor(
      "the dialing worker's log",
      () => logOf(c, dialer[0]).some((e) => e.event === "connection-rejected" && e["why"] === "bad-proof" && e["peer"] === c.masterUrl),
      5_000,
    );
    await waitFor(
      "the other worker's log",
      () => {
        const whys = logOf(c, otherName)
          .filter((e) => e.event === "connection-rejected")
          .map((e) => e["why"]);
        return whys.includes("not-our-address") && whys.includes("bad-proof");
      },
      5_000,
    );
    // Nothing launched, nothing removed; both workers are up.
    for (const name of Object.keys(workers))
      expect(
        logOf(c, name).some((e) => e.event === "process-launched"),
        name,
      ).toBe(false);
    expect(readdirSync(c.workDir).sort()).toEqual(workDirBefore);
    expect(existsSync(join(victim, "precious"))).toBe(true);
    for (const w of c.workers) expect(isAlive(w.pid)).toBe(true);
    // The dialing worker reported the failed authentication by name, but a master had accepted it
    // before: the impostor's rejection must not stop it (it keeps retrying for the real master).
    await waitFor(
      "the dialing worker's report",
      () => logOf(c, dialer[0]).some((e) => e.event === "master-unreachable" && e["kind"] === "auth" && e["master"] === c.masterUrl),
      5_000,
    );
    await new Promise((r) => setTimeout(r, 1_000));
    expect(logOf(c, dialer[0]).find((e) => e.event === "master-unreachable" && e["kind"] === "auth")).toMatchObject({ level: "error" });
    for (const w of c.workers) expect(isAlive(w.pid)).toBe(true);
  }, 60_000);

  it("replay: a recorded handshake replayed on a new connection fails; a hello gets a challenge, never a proof", async () => {
    cluster = await startTestCluster(tracker, 1);
    const c = cluster;
    const workerPort = portOf(listeningAddress(c, "worker-1"));
    // Record an honest client's hello and proof (as a sniffer on the network would).
    const honest = await Wire.dial(workerPort);
    closers.push(() => honest.close());
    const hs = new Handshake({
      side: "client",
      ourAddress: address("flint://127.0.0.1:9"),
      dialed: address(`flint://127.0.0.1:${workerPort}`),
      secret: c.secret,
    });
    const [hello] = hs.start();
    honest.send(hello!);
    const used = { n: 0 };
    const challenge = (await honest.next(used))!;
    const [proof] = hs.receive(Buffer.from(JSON.stringify(challenge))).send;
    honest.send(proof!);
    expect(await honest.next(used)).toMatchObject({ hs: "auth" });
    // Replay both on a new connection.
    const replay = await Wire.dial(workerPort);
    closers.push(() => replay.close());
    const usedR = { n: 0 };
    replay.send(hello!);
    const fresh = (await replay.next(usedR))!;
    expect(fresh).toMatchObject({ hs: "challenge" });
    expect(fresh["nonce"]).not.toBe(challenge["nonce"]);
    replay.send(proof!);
    expect(await replay.next(usedR)).toMatchObject({ hs: "reject", reason: "bad-proof" });
    await replay.waitClosed();
    expect(isAlive(c.workers[0]!.pid)).toBe(true);
  }, 60_000);

  it("oversized frames: before the handshake (no secret) and after it (with the secret) close that connection only; the master stays up and answers", async () => {
    cluster = await startTestCluster(tracker, 1);
    const c = cluster;
    const masterPort = portOf(c.masterUrl);
    const header = (n: number): Buffer => {
      const h = Buffer.alloc(4);
      h.writeUInt32BE(n, 0);
      return h;
    };
    const pre = await Wire.dial(masterPort);
    closers.push(() => pre.close());
    pre.socket.write(Buffer.concat([header(100 * 1024 * 1024), Buffer.alloc(64 * 1024, 0x7b)]));
    expect(await pre.next({ n: 0 })).toMatchObject({ hs: "reject", reason: "bad-frame" });
    await pre.waitClosed();

    const post = await authenticated(masterPort, c.secret, address("flint://127.0.0.1:9"));
    post.socket.write(Buffer.concat([header(0xfffffff0), Buffer.alloc(16)]));
    await post.waitClosed();
    await waitFor(
      "the post-handshake rejection",
      () =>
        logOf(c, "master").some(
          (e) => e.event === "connection-rejected" && e["why"] === "bad-frame" && e["peer"] === "flint://127.0.0.1:9",
        ),
      5_000,
    );
    expect(isAlive(c.master.pid)).toBe(true);
    expect((await c.status()).workers).toHaveLength(1);
  }, 60_000);

  it("path traversal: ids climbing out of the work directory, sent by a peer with the secret, are refused at the codec; nothing outside changes", async () => {
    cluster = await startTestCluster(tracker, 1);
    const c = cluster;
    await c.waitForWorkers(1);
    const victim = plantVictim(c);
    const workerPort = portOf(listeningAddress(c, "worker-1"));
    const attacks: Array<[string, object]> = [
      ["ApplicationFinished.appId", { type: "ApplicationFinished", appId: "../victim-dir" }],
      ["ApplicationFinished.appId", { type: "ApplicationFinished", appId: "../../victim-dir" }],
      ["LaunchDriver.driverId", { ...SAMPLE_MESSAGES.LaunchDriver, driverId: "../victim-dir/x" }],
      ["LaunchExecutor.appId", { ...SAMPLE_MESSAGES.LaunchExecutor, appId: "../victim-dir" }],
      ["KillExecutor.appId", { ...SAMPLE_MESSAGES.KillExecutor, appId: ".." }],
      ["KillDriver.driverId", { ...SAMPLE_MESSAGES.KillDriver, driverId: "/etc" }],
    ];
    let n = 0;
    for (const [field, message] of attacks) {
      const wire = await authenticated(workerPort, c.secret, address(`flint://127.0.0.1:${30_000 + n++}`));
      wire.message(message);
      await wire.waitClosed();
      await waitFor(
        `the rejection of ${field}`,
        () =>
          logOf(c, "worker-1").some(
            (e) => e.event === "connection-rejected" && e["why"] === "bad-message" && String(e["detail"]).startsWith(field),
          ),
        5_000,
      );
    }
    expect(existsSync(join(victim, "precious"))).toBe(true);
    expect(readdirSync(dirname(c.workDir)).filter((f) => f.includes("victim") || f === "x")).toEqual(["victim-dir"]);
    expect(logOf(c, "worker-1").some((e) => e.event === "process-launched")).toBe(false);
    expect(isAlive(c.workers[0]!.pid)).toBe(true);
  }, 60_000);
});
