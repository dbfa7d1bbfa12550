/**
 * Master high availability on real processes (issue 6, item 5): masters, workers and executors as
 * child processes on 127.0.0.1, a driver in this process, and kill -9 thrown at the master.
 *   - filesystem: the only master dies mid-job and is restarted on its port and directory;
 *   - zookeeper: two masters; the leader dies mid-job, the standby takes over; the dead one comes
 *     back as a standby and the new leader dies in turn; ZooKeeper stops for longer than the
 *     leader's grace: never two masters leading at once;
 *   - a corrupt file in the recovery directory is named, and the rest is recovered.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { LocalCluster } from "../../../src/real/cluster/local.js";
import { startLocalCluster } from "../../../src/real/cluster/local.js";
import { connect, type Cluster } from "../../../src/real/driver/api.js";
import { createMemoryLogger } from "../../../src/real/log.js";
import {
  DIST_READY,
  expected,
  naps,
  runUntil,
  FAST_PROTOCOL,
  FLINT_BIN,
  ProcessTracker,
  SLOW_APP,
  kill,
  waitFor,
} from "../cluster/harness.js";
import { sleep, ZkTestServer, zooKeeperMissing } from "./zkServer.js";

/** Session of 3 s (ZooKeeper's tick is 250 ms in tests): a dead leader is replaced in ~2-3 s. */
const SESSION_MS = 3_000;

const tracker = new ProcessTracker();
let cluster: LocalCluster | undefined;
const drivers: Cluster[] = [];

afterEach(async () => {
  for (const d of drivers.splice(0)) await d.close().catch(() => {});
  await cluster?.stop({ graceMs: 3_000 });
  cluster = undefined;
  expect(tracker.cleanup()).toEqual([]);
});

async function startCluster(options: { masters: number; recovery?: string }): Promise<LocalCluster> {
  const c = await startLocalCluster({
    workers: 2,
    coresPerWorker: 1,
    memoryPerWorkerMb: 2048,
    protocol: FAST_PROTOCOL,
    logLevel: "warn",
    readyTimeoutMs: 20_000,
    masters: options.masters,
    ...(options.recovery !== undefined ? { recovery: options.recovery } : {}),
    zkSessionTimeoutMs: SESSION_MS,
  });
  for (const p of [...c.masters, ...c.workers]) tracker.track(p.pid);
  return c;
}

async function connectDriver(c: LocalCluster, name = "ha-test"): Promise<Cluster> {
  const d = await connect({
    master: c.masterUrl,
    app: name,
    module: SLOW_APP,
    secret: c.secret,
    protocol: FAST_PROTOCOL,
    logger: createMemoryLogger("driver"),
  });
  drivers.push(d);
  return d;
}

/** Waits until master `index` leads with both workers ALIVE and `apps` apps RUNNING, all recovered. */
async function waitForLeader(c: LocalCluster, index: number, apps: number, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    `master ${index + 1} to lead with 2 workers and ${apps} running app(s)`,
    async () => {
      const s = await c.masterStatus(index).catch(() => undefined);
      return (
        s !== undefined &&
        s.recoveryState === "ALIVE" &&
        s.workers.filter((w) => w.state === "ALIVE").length === 2 &&
        s.apps.filter((a) => a.state === "RUNNING").length === apps
      );
    },
    timeoutMs,
    50,
  );
}

/** Kills a master with SIGKILL and waits for it to be gone. */
async function killMaster(c: LocalCluster, index: number): Promise<void> {
  const victim = c.masters[index]!;
  kill(victim.pid, "SIGKILL");
  expect(await victim.exited).toBe(137);
}

/**
 * A new app after a failover: the leader must schedule executors for it, and its job runs. The
 * old app is closed first, since it holds every core.
 */
async function newAppRuns(c: LocalCluster, old: Cluster): Promise<void> {
  await old.close();
  const d = await connectDriver(c, "after-failover");
  expect(await d.run<number>("nap", naps(6, 10))).toEqual(expected(6));
  await d.close();
}

interface LeaderInterval {
  master: string;
  fromMs: number;
  toMs: number;
}

/** When each master led, from its JSON log: from `elected-leader` to its revocation, its stop, or (killed) its last line. */
function leadership(c: LocalCluster, names: string[]): LeaderInterval[] {
  const out: LeaderInterval[] = [];
  for (const name of names) {
    const lines = readFileSync(join(c.logDir, `${name}.log`), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { ts: string; event: string });
    let from: number | undefined;
    let lastMs = 0;
    for (const line of lines) {
      const t = Date.parse(line.ts);
      // A new life of the process: the previous one (killed with -9) led until its last line.
      if (line.event === "master-starting" && from !== undefined) {
        out.push({ master: name, fromMs: from, toMs: lastMs });
        from = undefined;
      }
      lastMs = t;
      if (line.event === "elected-leader") from = t;
      if (from !== undefined && (line.event === "leadership-revoked" || line.event === "host-stopping")) {
        out.push({ master: name, fromMs: from, toMs: t });
        from = undefined;
      }
    }
    if (from !== undefined)
      out.push({
        master: name,
        fromMs: from,
        toMs: c.masters[names.indexOf(name)]!.exitCode === undefined ? Number.POSITIVE_INFINITY : lastMs,
      });
  }
  return out.sort((a, b) => a.fromMs - b.fromMs);
}

describe.skipIf(!DIST_READY)("master recovery: filesystem", () => {
  it("kill -9 the master mid-job and restart it: workers and the app re-register and the job finishes with every result", async () => {
    cluster = await startCluster({ masters: 1 });
    const c = cluster;
    const d = await connectDriver(c);
    const { job, reached } = runUntil(d, 40, 100, 5);
    await reached;
    await killMaster(c, 0);
    const restarted = await c.restartMaster(0);
    tracker.track(restarted.pid);
    // Recovered from the directory: the same workers and app, back to ALIVE/RUNNING through the recovery sequence.
    await waitForLeader(c, 0, 1);
    expect(await job).toEqual(expected(40));
    await newAppRuns(c, d);
    const log = readFileSync(join(c.logDir, "master.log"), "utf8");
    expect(log).toMatch(/"event":"elected-leader".*"apps":1.*"workers":2/);
    expect(log).toMatch(/"event":"recoveryCompleted"/);
  });

  it("a corrupt file in the recovery directory: the master starts, names the file, and recovers the rest", async () => {
    cluster = await startCluster({ masters: 1 });
    const c = cluster;
    const d = await connectDriver(c);
    expect(await d.run<number>("nap", naps(4, 10))).toEqual(expected(4));
    await killMaster(c, 0);
    const dir = c.recovery.slice("filesystem:".length);
    writeFileSync(join(dir, "app_app-torn-0001"), '{"version":1,"key":"app_app-torn-0001","record":{"kind":"ap');
    const restarted = await c.restartMaster(0);
    tracker.track(restarted.pid);
    await waitForLeader(c, 0, 1);
    const log = readFileSync(join(c.logDir, "master.log"), "utf8");
    expect(log).toMatch(/"event":"recovery-problem","problem":"recovery file app_app-torn-0001: [^"]+"/);
    expect(await d.run<number>("nap", naps(4, 10))).toEqual(expected(4));
  });
});

describe.skipIf(!DIST_READY || zooKeeperMissing !== undefined)("master recovery: zookeeper", () => {
  let zk: ZkTestServer;
  beforeAll(async () => {
    zk = await ZkTestServer.start();
  });
  afterAll(async () => {
    await zk?.destroy();
  });

  it("two masters: kill -9 the leader mid-job, the standby takes over; then again with the new leader; every result once", async () => {
    cluster = await startCluster({ masters: 2, recovery: `zookeeper:${zk.connectString}/failover-1` });
    const c = cluster;
    expect((await c.masterStatus(1)).recoveryState).toBe("STANDBY");
    const d = await connectDriver(c);

    const first = runUntil(d, 40, 100, 5);
    await first.reached;
    await killMaster(c, 0);
    await waitForLeader(c, 1, 1);
    expect(await first.job).toEqual(expected(40));
    // `flint status` given both masters shows the new leader, and says the old one does not answer.
    const shown = spawnSync(process.execPath, [FLINT_BIN, "status", "--master", c.masterUrl, "--secret-file", c.secretFile], {
      encoding: "utf8",
    });
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/^Master flint:\/\/127\.0\.0\.1:\d+ \(ALIVE\)/);
    expect(shown.stdout).toMatch(/Other masters \(1\)\n {2}flint:\/\/127\.0\.0\.1:\d+: no answer/);

    const back = await c.restartMaster(0);
    tracker.track(back.pid);
    await waitFor(
      "the restarted master to wait as a standby",
      async () => (await c.masterStatus(0).catch(() => undefined))?.recoveryState === "STANDBY",
      10_000,
    );

    const second = runUntil(d, 40, 100, 5);
    await second.reached;
    await killMaster(c, 1);
    await waitForLeader(c, 0, 1);
    expect(await second.job).toEqual(expected(40));
    await newAppRuns(c, d);

    const intervals = leadership(c, ["master-1", "master-2"]);
    expect(intervals.map((i) => i.master)).toEqual(["master-1", "master-2", "master-1"]);
    for (let i = 1; i < intervals.length; i++) expect(intervals[i - 1]!.toMs).toBeLessThan(intervals[i]!.fromMs);
  });

  it("ZooKeeper stops for longer than the leader's grace: the leader steps down, never two masters lead at once, and the cluster carries on", async () => {
    cluster = await startCluster({ masters: 2, recovery: `zookeeper:${zk.connectString}/failover-2` });
    const c = cluster;
    const d = await connectDriver(c);
    expect(await d.run<number>("nap", naps(4, 10))).toEqual(expected(4));
    await zk.stop();
    // The leader's grace is a third of the session (1 s): it must give up leadership well before ZooKeeper returns.
    expect(await c.masters[0]!.exited).toBe(3);
    await sleep(1_000);
    await zk.restart();
    await waitForLeader(c, 1, 1, 30_000);
    expect(await d.run<number>("nap", naps(8, 10))).toEqual(expected(8));

    const intervals = leadership(c, ["master-1", "master-2"]);
    expect(intervals.map((i) => i.master)).toEqual(["master-1", "master-2"]);
    expect(intervals[0]!.toMs).toBeLessThan(intervals[1]!.fromMs);
  });
});
