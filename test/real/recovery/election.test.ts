import { spawn, type ChildProcess } from "node:child_process";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZooKeeperLeaderElection, type ZooKeeperElectionOptions } from "../../../src/real/recovery/election.js";
import { sleep, TICK_MS, waitFor, ZkTestServer, zooKeeperMissing } from "./zkServer.js";

const SESSION_TIMEOUT_MS = 3000;
const GRACE_MS = 1000;

interface Event {
  who: string;
  what: "elected" | "revoked" | "stopped";
  atMs: number;
  reason?: string;
}

/** A candidate whose elected/revoked calls are recorded with monotonic timestamps. */
class Candidate {
  readonly election: ZooKeeperLeaderElection;
  leading = false;
  constructor(
    readonly name: string,
    private readonly events: Event[],
    options: ZooKeeperElectionOptions,
  ) {
    this.election = new ZooKeeperLeaderElection({ ...options, candidateId: name });
  }
  start(): Promise<void> {
    return this.election.start({
      elected: () => {
        this.leading = true;
        this.events.push({ who: this.name, what: "elected", atMs: performance.now() });
      },
      revoked: (reason) => {
        this.leading = false;
        this.events.push({ who: this.name, what: "revoked", atMs: performance.now(), reason });
      },
    });
  }
  async stop(): Promise<void> {
    if (this.leading) this.events.push({ who: this.name, what: "stopped", atMs: performance.now() });
    this.leading = false;
    await this.election.stop();
  }
}

/** Leadership intervals per candidate from the event log; an open interval ends at +Infinity. */
function intervals(events: Event[]): { who: string; fromMs: number; toMs: number }[] {
  const open = new Map<string, number>();
  const result: { who: string; fromMs: number; toMs: number }[] = [];
  for (const event of events) {
    if (event.what === "elected") {
      expect(open.has(event.who), `${event.who} elected twice without a revocation`).toBe(false);
      open.set(event.who, event.atMs);
    } else if (open.has(event.who)) {
      result.push({ who: event.who, fromMs: open.get(event.who)!, toMs: event.atMs });
      open.delete(event.who);
    }
  }
  for (const [who, fromMs] of open) result.push({ who, fromMs, toMs: Number.POSITIVE_INFINITY });
  return result;
}

function expectNoOverlap(events: Event[]): void {
  const all = intervals(events);
  for (const a of all) {
    for (const b of all) {
      if (a === b || a.who === b.who) continue;
      const overlap = a.fromMs < b.toMs && b.fromMs < a.toMs;
      expect(overlap, `leadership of ${a.who} and ${b.who} overlap: ${JSON.stringify(all)}`).toBe(false);
    }
  }
}

describe.skipIf(zooKeeperMissing !== undefined)("zookeeper leader election (real server)", () => {
  let server: ZkTestServer;
  const candidates: Candidate[] = [];
  const children: ChildProcess[] = [];
  const make = (name: string, events: Event[], root: string, extra: Partial<ZooKeeperElectionOptions> = {}) => {
    const candidate = new Candidate(name, events, {
      connectString: server.connectString,
      root,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      disconnectGraceMs: GRACE_MS,
      requestTimeoutMs: 2000,
      log: process.env.FLINT_ZK_DEBUG
        ? (event, fields) => console.log(`${performance.now().toFixed(0)} ${event} ${JSON.stringify(fields)}`)
        : undefined,
      ...extra,
    });
    candidates.push(candidate);
    return candidate;
  };

  beforeAll(async () => {
    server = await ZkTestServer.start();
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    for (const candidate of candidates) await candidate.stop();
    await server?.destroy();
  });

  it("two candidates: exactly one leader, the first to join; the other stays standby", async () => {
    const events: Event[] = [];
    const a = make("a", events, "/two");
    const b = make("b", events, "/two");
    await a.start();
    await b.start();
    await waitFor("a leader", () => a.leading || b.leading, 5000);
    await sleep(500);
    expect([a.leading, b.leading]).toEqual([true, false]);
    expect(a.election.holdsLeadership()).toBe(true);
    expect(b.election.holdsLeadership()).toBe(false);
    expect(a.election.effectiveGraceMs).toBe(GRACE_MS);
    await expect(a.start()).rejects.toThrow(/already started/);
    await a.stop();
    await waitFor("b elected after a stepped down", () => b.leading, 5000);
    await b.stop();
    expectNoOverlap(events);
  });

  it("the leader's session is closed: the standby is elected within the session timeout", async () => {
    const events: Event[] = [];
    const a = make("a", events, "/close");
    const b = make("b", events, "/close");
    await a.start();
    await waitFor("a leader", () => a.leading, 5000);
    await b.start();
    const closedAt = performance.now();
    await a.stop(); // closes a's client: its session and ephemeral znode go at once
    await waitFor("b elected", () => b.leading, SESSION_TIMEOUT_MS);
    const tookMs = events.find((e) => e.who === "b" && e.what === "elected")!.atMs - closedAt;
    console.log(`[measure] leader session closed -> standby elected: ${tookMs.toFixed(0)} ms (session timeout ${SESSION_TIMEOUT_MS} ms)`);
    expect(tookMs).toBeLessThan(SESSION_TIMEOUT_MS);
    await b.stop();
    expectNoOverlap(events);
  });

  it("the leader's process is killed with -9: the standby is elected once the server expires its session", async () => {
    const events: Event[] = [];
    // A leader in another process that we can kill -9 (it never closes its session).
    const script = `
      import { createRequire } from "node:module";
      const zk = createRequire(process.cwd() + "/")("node-zookeeper-client");
      const client = zk.createClient(process.argv[1], { sessionTimeout: ${SESSION_TIMEOUT_MS}, retries: 0 });
      client.once("connected", () => client.mkdirp("/kill/leader_election", () =>
        client.create("/kill/leader_election/n_", Buffer.from("victim"), zk.CreateMode.EPHEMERAL_SEQUENTIAL, (error, path) => {
          if (error) { console.error(String(error)); process.exit(2); }
          console.log("ready " + path);
        })));
      client.connect();
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script, server.connectString], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("victim did not start")), 10_000);
      child.stdout!.on("data", (chunk: Buffer) => {
        if (chunk.toString().startsWith("ready")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const b = make("b", events, "/kill");
    await b.start();
    await sleep(300);
    expect(b.leading).toBe(false);
    const killedAt = performance.now();
    child.kill("SIGKILL");
    await waitFor("b elected", () => b.leading, SESSION_TIMEOUT_MS + 3000);
    const tookMs = events.find((e) => e.who === "b" && e.what === "elected")!.atMs - killedAt;
    console.log(`[measure] leader kill -9 -> standby elected: ${tookMs.toFixed(0)} ms (session timeout ${SESSION_TIMEOUT_MS} ms)`);
    // The server expires a session one timeout after it last heard from it; an idle client pings
    // every third of the timeout, so expiry comes between 2/3 and 1 timeout (+ a tick) after the kill.
    expect(tookMs).toBeGreaterThanOrEqual((SESSION_TIMEOUT_MS * 2) / 3 - TICK_MS);
    await b.stop();
  });

  it("ZooKeeper stops briefly: the leader is revoked within the grace, never two leaders, and after the restart exactly one leads", async () => {
    const events: Event[] = [];
    const a = make("a", events, "/outage");
    const b = make("b", events, "/outage");
    await a.start();
    await waitFor("a leader", () => a.leading, 5000);
    await b.start();
    await sleep(300);

    const stoppedAt = performance.now();
    await server.stop();
    await waitFor("a revoked", () => events.some((e) => e.who === "a" && e.what === "revoked"), GRACE_MS + 1500);
    const revoked = events.find((e) => e.who === "a" && e.what === "revoked")!;
    expect(revoked.atMs - stoppedAt).toBeLessThan(GRACE_MS + 1000);
    expect(revoked.reason).toMatch(/grace|expired/);
    expect(a.election.holdsLeadership()).toBe(false);
    await sleep(500);
    expect(b.leading).toBe(false); // nobody leads while ZooKeeper is down

    await server.restart();
    // b's session survives the restart; a's orphaned session expires one timeout later.
    await waitFor("b elected after the restart", () => b.leading, SESSION_TIMEOUT_MS + 8000);
    expectNoOverlap(events);
    const elected = events.find((e) => e.who === "b" && e.what === "elected")!;
    expect(elected.atMs).toBeGreaterThan(revoked.atMs);

    // The revoked master, restarted as a fresh candidate, joins as a standby.
    await a.start();
    await sleep(800);
    expect([a.leading, b.leading]).toEqual([false, true]);
    expectNoOverlap(events);
    await a.stop();
    await b.stop();
  });

  it("a brief disconnection shorter than the grace does not revoke the leader (a longer one does)", async () => {
    const events: Event[] = [];
    // The longest session this server grants (20 ticks), so the grace (capped at half) covers a JVM restart.
    const a = make("a", events, "/blip", { sessionTimeoutMs: 20 * TICK_MS, disconnectGraceMs: 10 * TICK_MS });
    await a.start();
    await waitFor("a leader", () => a.leading, 5000);
    expect(a.election.effectiveGraceMs).toBe(10 * TICK_MS);
    const stoppedAt = performance.now();
    await server.stop();
    await server.restart();
    const downMs = performance.now() - stoppedAt;
    await sleep(600);
    const revocations = events.filter((e) => e.what === "revoked");
    if (downMs + 300 < a.election.effectiveGraceMs) {
      expect(revocations).toEqual([]);
      expect(a.election.holdsLeadership()).toBe(true);
    } else {
      // A slow machine kept ZooKeeper away longer than the grace: fencing must have revoked.
      console.log(`[note] ZooKeeper restart took ${downMs.toFixed(0)} ms, beyond the grace: checking revocation instead`);
      expect(revocations).toEqual([expect.objectContaining({ who: "a" })]);
    }
    await a.stop();
  });
});
