/**
 * Bad input against live processes (issue 5, item 6): a master and two workers as real processes
 * on 127.0.0.1, a driver in this process running jobs, and meanwhile thousands of generated bad
 * frames (the transport fuzz's generator, ../badframes.ts) thrown at the master's port and at a
 * worker's port over many connections. Each process must stay up, log every rejection with its
 * reason in its log file, accept the good messages an attacker sent before its bad frame, finish
 * every job with every result, and still take a new application afterwards.
 */
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { address } from "../../../src/protocol/ids.js";
import type { LocalCluster } from "../../../src/real/cluster/local.js";
import { connect, type Cluster } from "../../../src/real/driver/api.js";
import { DEFAULT_MAX_FRAME_BYTES } from "../../../src/real/framing.js";
import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from "../../../src/real/handshake.js";
import { createMemoryLogger } from "../../../src/real/log.js";
import { ATTACK_KINDS, REJECTION_REASONS, attacks, throwAttacks, type Attack, type AttackResult } from "../badframes.js";
import { REJECTION_LOG_ENV } from "../../../src/real/runtime.js";
import { DIST_READY, expected, naps, FAST_PROTOCOL, ProcessTracker, SLOW_APP, isAlive, startTestCluster, waitFor } from "./harness.js";

const SEED = 20240611;
/** Bad connections thrown at EACH of the two targets. */
const BAD_FRAMES = 2_000;
/** Connections open at once against each target. */
const LANES = 16;

const tracker = new ProcessTracker();
let cluster: LocalCluster | undefined;
const drivers: Cluster[] = [];

afterEach(async () => {
  for (const d of drivers.splice(0)) await d.close().catch(() => {});
  await cluster?.stop({ graceMs: 3_000 });
  cluster = undefined;
  expect(tracker.cleanup()).toEqual([]);
});

type LogLine = Record<string, unknown> & { event: string; level: string };

function readLog(path: string): LogLine[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as LogLine);
}

const portOf = (hostPort: unknown): number => Number(String(hostPort).split(":").at(-1));

/** The rejections a process logged, by the remote port of the rejected connection. */
function rejectionsByPort(log: LogLine[]): Map<number, LogLine> {
  const out = new Map<number, LogLine>();
  for (const e of log) if (e.event === "connection-rejected") out.set(portOf(e["remote"]), e);
  return out;
}

async function newDriver(c: LocalCluster): Promise<Cluster> {
  const d = await connect({
    master: c.masterUrl,
    module: SLOW_APP,
    secret: c.secret,
    protocol: FAST_PROTOCOL,
    logger: createMemoryLogger("driver"),
  });
  drivers.push(d);
  return d;
}

describe.skipIf(!DIST_READY)("bad input against a live master and worker", () => {
  it(`fuzz: ${BAD_FRAMES} bad frames each at the master's and a worker's port while jobs run: both stay up, log every rejection with its reason, every job finishes with every result, a new app runs afterwards (seed ${SEED})`, async () => {
    // Every rejection logged one by one (by default only the first few per interval are, the rest
    // counted), so that each can be matched to its attack below. Inherited by the cluster's processes.
    process.env[REJECTION_LOG_ENV] = "all";
    try {
      cluster = await startTestCluster(tracker);
    } finally {
      delete process.env[REJECTION_LOG_ENV];
    }
    const c = cluster;
    const masterLogPath = join(c.logDir, "master.log");
    const workerLogPath = join(c.logDir, "worker-1.log");
    const workerAddress = readLog(workerLogPath).find((e) => e.event === "listening")!["address"] as string;
    expect(workerAddress).toMatch(/^flint:\/\/127\.0\.0\.1:\d+$/);
    const masterAddress = readLog(masterLogPath).find((e) => e.event === "listening")!["address"] as string;
    expect(masterAddress).toBe(c.masterUrl);

    const driver = await newDriver(c);
    // Jobs run back to back for as long as the attack lasts; each must come back whole.
    let attacking = true;
    const jobs: number[][] = [];
    const jobLoop = (async () => {
      while (attacking || jobs.length < 2) jobs.push(await driver.run<number>("nap", naps(60, 2)));
    })();

    const list = (seed: number): Attack[] => fc.sample(attacks({ maxFrameBytes: DEFAULT_MAX_FRAME_BYTES }), { seed, numRuns: BAD_FRAMES });
    const options = { lanes: LANES, secret: c.secret, closeTimeoutMs: DEFAULT_HANDSHAKE_TIMEOUT_MS + 10_000 };
    let masterResults: AttackResult[];
    let workerResults: AttackResult[];
    try {
      [masterResults, workerResults] = await Promise.all([
        throwAttacks(address(c.masterUrl), list(SEED), { ...options, announcedPortBase: 20_000 }),
        throwAttacks(address(workerAddress), list(SEED + 1), { ...options, announcedPortBase: 40_000 }),
      ]);
    } finally {
      attacking = false;
      await jobLoop;
    }

    // Every job finished with every result.
    expect(jobs.length).toBeGreaterThanOrEqual(2);
    for (const results of jobs) expect(results).toEqual(expected(60));

    // Both processes are up.
    expect(c.master.exitCode).toBeUndefined();
    expect(isAlive(c.master.pid)).toBe(true);
    for (const w of c.workers) {
      expect(w.exitCode).toBeUndefined();
      expect(isAlive(w.pid)).toBe(true);
    }

    for (const [name, path, results] of [
      ["master", masterLogPath, masterResults],
      ["worker-1", workerLogPath, workerResults],
    ] as const) {
      expect(results).toHaveLength(BAD_FRAMES);
      expect(new Set(results.map((r) => r.kind)).size, `${name}: kinds of attack`).toBe(ATTACK_KINDS);
      // Each bad connection's rejection is in the process's log file, with a known reason and a detail.
      // (The file is written asynchronously: wait until every rejection is there.)
      let rejected = new Map<number, LogLine>();
      await waitFor(
        `${name}: every rejection in its log file`,
        () => {
          rejected = rejectionsByPort(readLog(path));
          return results.every((r) => rejected.has(r.localPort));
        },
        15_000,
        200,
      ).catch(() => undefined);
      const unexplained = results.filter((r) => !rejected.has(r.localPort));
      expect(unexplained, `${name}: bad connections closed without a logged rejection`).toEqual([]);
      const reasons = new Set<string>();
      for (const r of results) {
        const e = rejected.get(r.localPort)!;
        expect(REJECTION_REASONS, `${name}: ${r.kind}`).toContain(e["why"]);
        expect(typeof e["detail"] === "string" && e["detail"].length > 0, `${name}: ${r.kind}: a detail`).toBe(true);
        expect(e.level).toBe("warn");
        reasons.add(String(e["why"]));
      }
      for (const why of ["bad-frame", "bad-handshake-frame", "version-mismatch", "bad-message", "bad-proof", "peer-missing-secret"])
        expect(reasons, name).toContain(why);

      // The good messages an attacker sent before its bad frame were accepted: each reached the
      // role, which ignores a RemoveExecutor sent to a master or worker, saying so in the log.
      const goodSent = results.reduce((n, r) => n + r.goodSent.length, 0);
      expect(goodSent).toBeGreaterThan(0);
      const log = readLog(path);
      const ignoredGood = log.filter((e) => e.event === "ignored" && e["why"] === "unexpected-message" && e["type"] === "RemoveExecutor");
      expect(ignoredGood.length, `${name}: good messages delivered`).toBe(goodSent);
      // Nothing went wrong inside: no step or handler threw, nothing was logged as an error.
      expect(
        log.filter((e) => e.level === "error").map((e) => e.event),
        name,
      ).toEqual([]);
    }
    // The master saw each announced sender's messages (it logs the sender).
    const masterIgnored = readLog(masterLogPath).filter((e) => e.event === "ignored" && e["type"] === "RemoveExecutor");
    const fromCount = new Map<string, number>();
    for (const e of masterIgnored) fromCount.set(String(e["from"]), (fromCount.get(String(e["from"])) ?? 0) + 1);
    for (const r of masterResults) if (r.goodSent.length > 0) expect(fromCount.get(r.announced!), r.announced).toBe(r.goodSent.length);

    // The cluster is whole: both workers ALIVE, and it takes a new application.
    const status = await c.status();
    expect(status.workers.filter((w) => w.state === "ALIVE")).toHaveLength(2);
    const firstApp = driver.appId;
    await driver.close();
    const second = await newDriver(c);
    expect(second.appId).not.toBe(firstApp);
    expect(await second.run<number>("nap", naps(20, 1))).toEqual(expected(20));
    const after = await c.status();
    expect(after.apps.map((a) => a.id)).toEqual([second.appId]);
    expect(after.completedApps.map((a) => a.id)).toContain(firstApp);
  }, 240_000);
});
