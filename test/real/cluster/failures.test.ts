/**
 * Failures on real processes (issue 5, item 5): a master and two one-core workers on 127.0.0.1,
 * a driver in this process, and kill -9 / SIGSTOP / SIGTERM thrown at them mid-job.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { LocalCluster } from "../../../src/real/cluster/local.js";
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
  cmdline,
  descendantsOf,
  executorsUnder,
  isAlive,
  kill,
  startTestCluster,
  waitFor,
} from "./harness.js";

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

async function connectDriver(c: LocalCluster): Promise<Cluster> {
  driver = await connect({
    master: c.masterUrl,
    module: SLOW_APP,
    secret: c.secret,
    protocol: FAST_PROTOCOL,
    logger: createMemoryLogger("driver"),
  });
  return driver;
}

describe.skipIf(!DIST_READY)("real cluster failures", () => {
  it("executor kill -9 mid-job: its tasks are lost and rerun, the job succeeds", async () => {
    cluster = await startTestCluster(tracker);
    const d = await connectDriver(cluster);
    const { job, reached } = runUntil(d, 30, 100, 4);
    await reached;
    const victim = executorsUnder(cluster.workers[0]!.pid)[0] ?? executorsUnder(cluster.workers[1]!.pid)[0];
    expect(victim).toBeDefined();
    kill(victim!, "SIGKILL");
    expect(await job).toEqual(expected(30));
    expect(isAlive(victim!)).toBe(false);
    // The worker reported the exit; the master gave the app a replacement executor (a new id).
    const c = cluster;
    await waitFor("a replacement executor", async () => (await c.status()).apps[0]?.executors.some((e) => e.id >= 2), 5_000);
  });

  it("worker kill -9 mid-job: its executor dies with it, the master declares it dead, the job succeeds on the other", async () => {
    cluster = await startTestCluster(tracker);
    const d = await connectDriver(cluster);
    const { job, reached } = runUntil(d, 30, 100, 4);
    await reached;
    const worker = cluster.workers[0]!;
    const orphans = executorsUnder(worker.pid);
    expect(orphans.length).toBeGreaterThan(0);
    kill(worker.pid, "SIGKILL");
    expect(await job).toEqual(expected(30));
    const status = await waitFor("the killed worker DEAD on the master", async () => {
      const s = await cluster!.status();
      return s.workers.filter((w) => w.state === "DEAD").length === 1 ? s : undefined;
    });
    expect(status.workers.filter((w) => w.state === "ALIVE")).toHaveLength(1);
    await waitFor("the killed worker's executors to exit", () => orphans.every((p) => !isAlive(p)), 5_000);
  });

  it("worker SIGSTOP past the worker timeout, then SIGCONT: declared dead, told to reconnect, registered again", async () => {
    cluster = await startTestCluster(tracker);
    const worker = cluster.workers[0]!;
    const before = await cluster.status();
    kill(worker.pid, "SIGSTOP");
    try {
      await waitFor("the stopped worker DEAD", async () => (await cluster!.status()).workers.some((w) => w.state === "DEAD"), 12_000, 100);
    } finally {
      kill(worker.pid, "SIGCONT");
    }
    const after = await waitFor(
      "both workers ALIVE again",
      async () => {
        const s = await cluster!.status();
        return s.workers.filter((w) => w.state === "ALIVE").length === 2 ? s : undefined;
      },
      8_000,
      100,
    );
    // The same worker (same id) re-registered: no new worker appeared.
    expect(after.workers.map((w) => w.id).sort()).toEqual(before.workers.map((w) => w.id).sort());
    // It came back because the master told it to reconnect (its heartbeat reached a DEAD entry).
    const masterLog = readFileSync(join(cluster.logDir, "master.log"), "utf8");
    expect(masterLog).toMatch(/"event":"reconnectWorker"/);
    const d = await connectDriver(cluster);
    expect(await d.run("nap", naps(4, 10))).toEqual(expected(4));
  });

  it("driver killed (kill -9): the master removes its app and its executors exit, leaving no orphan", async () => {
    cluster = await startTestCluster(tracker);
    const submit = spawn(
      process.execPath,
      [FLINT_BIN, "submit", SLOW_APP, "--master", cluster.masterUrl, "--secret-file", cluster.secretFile, "--quiet", "--", "500", "100"],
      {
        stdio: ["ignore", "ignore", "ignore"],
        env: { ...process.env, FLINT_PROTOCOL_CONFIG: JSON.stringify(FAST_PROTOCOL) },
        // The client-mode driver's default journal (./flint-journal) goes to the cluster's folder.
        cwd: cluster.dir,
      },
    );
    tracker.track(submit.pid!);
    const c = cluster;
    const executors = await waitFor(
      "executors on both workers",
      () => {
        const all = c.workers.flatMap((w) => executorsUnder(w.pid));
        return all.length === 2 ? all : undefined;
      },
      15_000,
    );
    const appId = (await c.status()).apps[0]!.id;
    kill(submit.pid!, "SIGKILL");
    await waitFor(
      "the app removed from the master",
      async () => {
        const s = await c.status();
        return s.apps.length === 0 && s.completedApps.some((a) => a.id === appId);
      },
      5_000,
    );
    await waitFor("the executors to exit", () => executors.every((p) => !isAlive(p)), 5_000);
    const s = await c.status();
    expect(s.workers.every((w) => w.coresUsed === 0)).toBe(true);
  });

  it("SIGTERM: a worker stops its executors and exits 0, the master exits 0, the driver of a stopped client exits 130", async () => {
    cluster = await startTestCluster(tracker);
    const submit = spawn(
      process.execPath,
      [FLINT_BIN, "submit", SLOW_APP, "--master", cluster.masterUrl, "--secret-file", cluster.secretFile, "--quiet", "--", "500", "100"],
      {
        stdio: ["ignore", "ignore", "ignore"],
        env: { ...process.env, FLINT_PROTOCOL_CONFIG: JSON.stringify(FAST_PROTOCOL) },
        // The client-mode driver's default journal (./flint-journal) goes to the cluster's folder.
        cwd: cluster.dir,
      },
    );
    tracker.track(submit.pid!);
    const submitExit = new Promise<number | null>((resolve) => submit.on("exit", resolve));
    const c = cluster;
    await waitFor("executors on both workers", () => c.workers.every((w) => executorsUnder(w.pid).length === 1), 15_000);
    const worker = c.workers[0]!;
    const executor = executorsUnder(worker.pid)[0]!;
    kill(worker.pid, "SIGTERM");
    expect(await worker.exited).toBe(0);
    expect(isAlive(executor)).toBe(false);
    kill(submit.pid!, "SIGTERM");
    expect(await submitExit).toBe(130);
    await waitFor("the app removed from the master", async () => (await c.status()).apps.length === 0, 5_000);
    const other = c.workers[1]!;
    await waitFor("the other worker's executor to exit", () => executorsUnder(other.pid).length === 0, 5_000);
    kill(other.pid, "SIGTERM");
    expect(await other.exited).toBe(0);
    kill(c.master.pid, "SIGTERM");
    expect(await c.master.exited).toBe(0);
  });

  it("cluster-mode driver with --supervise, kill -9: the worker relaunches it and the application finishes", async () => {
    cluster = await startTestCluster(tracker);
    const c = cluster;
    const submit = spawn(
      process.execPath,
      [
        FLINT_BIN,
        "submit",
        SLOW_APP,
        "--master",
        c.masterUrl,
        "--secret-file",
        c.secretFile,
        "--deploy-mode",
        "cluster",
        "--supervise",
        "--driver-memory",
        "256m",
        "--",
        "20",
        "100",
      ],
      {
        stdio: ["ignore", "pipe", "ignore"],
        env: { ...process.env, FLINT_PROTOCOL_CONFIG: JSON.stringify(FAST_PROTOCOL) },
      },
    );
    tracker.track(submit.pid!);
    let stdout = "";
    submit.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    expect(await new Promise((resolve) => submit.on("exit", resolve))).toBe(0);
    const driverId = stdout.trim();
    const driversUnderWorkers = (): number[] =>
      c.workers.flatMap((w) => descendantsOf(w.pid).filter((p) => cmdline(p).includes("driverMain.js")));
    const first = await waitFor("the driver process", () => driversUnderWorkers()[0], 10_000);
    kill(first, "SIGKILL");
    const second = await waitFor("a relaunched driver process", () => driversUnderWorkers().find((p) => p !== first), 10_000);
    expect(second).not.toBe(first);
    await waitFor(
      "the driver FINISHED",
      async () => (await c.status()).completedDrivers.some((d) => d.id === driverId && d.state === "FINISHED"),
      20_000,
      100,
    );
    expect(readFileSync(join(c.workDir, driverId, "result"), "utf8").trim()).toBe("sum=190");
  });
});
