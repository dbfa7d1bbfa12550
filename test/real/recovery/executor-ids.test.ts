/**
 * A master restart must not hand out an executor id again (issue 13), on real processes: one
 * worker with one core, kill -9 of the master and then of the app's only executor while the master
 * is down, so no worker reports that executor when the restarted master recovers. Before the fix
 * the master restarted the app's ids at 0, the worker dropped the LaunchExecutor as a duplicate of
 * the executor it had seen finish, and the job hung with the core held by a LAUNCHING ghost.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { LocalCluster } from "../../../src/real/cluster/local.js";
import { startLocalCluster } from "../../../src/real/cluster/local.js";
import { connect, type Cluster } from "../../../src/real/driver/api.js";
import { createMemoryLogger } from "../../../src/real/log.js";
import {
  DIST_READY,
  executorsUnder,
  expected,
  FAST_PROTOCOL,
  isAlive,
  kill,
  ProcessTracker,
  runUntil,
  SLOW_APP,
  waitFor,
} from "../cluster/harness.js";

const tracker = new ProcessTracker();
let cluster: LocalCluster | undefined;
let driver: Cluster | undefined;

afterEach(async () => {
  await driver?.close().catch(() => {});
  driver = undefined;
  await cluster?.stop({ graceMs: 3_000 });
  cluster = undefined;
  expect(tracker.cleanup()).toEqual([]);
});

/** One worker with one core, a job, kill -9 of the master and then of the executor, the master restarted; returns the ids of the RUNNING replacement. */
async function executorDiesWhileMasterDown(protocol: typeof FAST_PROTOCOL): Promise<{ c: LocalCluster; ids: number[] }> {
  cluster = await startLocalCluster({
    workers: 1,
    coresPerWorker: 1,
    memoryPerWorkerMb: 2048,
    protocol,
    logLevel: "warn",
    readyTimeoutMs: 20_000,
  });
  const c = cluster;
  for (const p of [...c.masters, ...c.workers]) tracker.track(p.pid);
  driver = await connect({
    master: c.masterUrl,
    app: "ids",
    module: SLOW_APP,
    secret: c.secret,
    protocol: FAST_PROTOCOL,
    logger: createMemoryLogger("driver"),
  });
  const { job, reached } = runUntil(driver, 60, 100, 5);
  await reached;
  const [executor] = executorsUnder(c.workers[0]!.pid);
  expect(executor).toBeDefined();
  expect((await c.masterStatus(0)).apps[0]!.executors.map((e) => e.id)).toEqual([0]);

  kill(c.masters[0]!.pid, "SIGKILL");
  expect(await c.masters[0]!.exited).toBe(137);
  kill(executor!, "SIGKILL");
  await waitFor("the executor to be gone", () => !isAlive(executor!), 5_000);
  const restarted = await c.restartMaster(0);
  tracker.track(restarted.pid);

  // Recovery: the worker reports no executor, so the app needs a new one.
  const running = await waitFor(
    "a replacement executor RUNNING on the recovered master",
    async () => {
      const s = await c.masterStatus(0).catch(() => undefined);
      const live = s?.recoveryState === "ALIVE" ? s.apps[0]?.executors.filter((e) => e.state === "RUNNING") : undefined;
      return live !== undefined && live.length > 0 ? live : undefined;
    },
    20_000,
  );
  expect(await job).toEqual(expected(60));
  return { c, ids: running.map((e) => e.id) };
}

const workerLog = (c: LocalCluster): string => readFileSync(join(c.logDir, "worker-1.log"), "utf8");

describe.skipIf(!DIST_READY)("master recovery: executor ids", () => {
  it("kill -9 the master, then the executor while the master is down, restart the master: the replacement gets a fresh id and the job finishes", async () => {
    const { c, ids } = await executorDiesWhileMasterDown(FAST_PROTOCOL);
    // Above every id the app's record reserved: never executor 0 again, and the worker never had to refuse a launch.
    expect(ids.every((id) => id > 0)).toBe(true);
    expect(workerLog(c)).not.toMatch(/duplicate-(finished-)?executor/);
  }, 60_000);

  it("with EXECUTOR-ID-REUSE (Spark's reuse) on: the worker answers the reused id with the executor's final state, the master replaces it, and the job still finishes", async () => {
    const { c, ids } = await executorDiesWhileMasterDown({ ...FAST_PROTOCOL, bugs: ["EXECUTOR-ID-REUSE"] });
    expect(workerLog(c)).toMatch(/"why":"duplicate-finished-executor"/);
    expect(ids).toEqual([1]);
  }, 60_000);
});
