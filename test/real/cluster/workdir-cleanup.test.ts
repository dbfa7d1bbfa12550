/**
 * Logs that stay (spark.worker.cleanup.*): a finished app's work directory is kept, and a sweep
 * removes a directory only once nothing in it changed for the time to live and nothing uses it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { LocalCluster } from "../../../src/real/cluster/local.js";
import { WorkDirCleaner } from "../../../src/real/cluster/workDirCleanup.js";
import { connect } from "../../../src/real/driver/api.js";
import { createMemoryLogger } from "../../../src/real/log.js";
import { DIST_READY, FAST_PROTOCOL, ProcessTracker, SLOW_APP, naps, startTestCluster, waitFor } from "./harness.js";

const dirs: string[] = [];
const tracker = new ProcessTracker();
let cluster: LocalCluster | undefined;
afterEach(async () => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  await cluster?.stop({ graceMs: 3_000 });
  cluster = undefined;
  expect(tracker.cleanup()).toEqual([]);
});

const DAY_MS = 24 * 3_600_000;

function workDirWith(names: Record<string, number>): string {
  const dir = mkdtempSync(join(tmpdir(), "flint-cleanup-"));
  dirs.push(dir);
  for (const [name, ageMs] of Object.entries(names)) {
    mkdirSync(join(dir, name, "0"), { recursive: true });
    const file = join(dir, name, "0", "stderr");
    writeFileSync(file, "log");
    const t = (Date.now() - ageMs) / 1000;
    for (const p of [file, join(dir, name, "0"), join(dir, name)]) utimesSync(p, t, t);
  }
  return dir;
}

describe("work directory cleanup", () => {
  it("removes only directories unchanged for the TTL that no live executor or driver uses", async () => {
    const dir = workDirWith({ "app-old": 8 * DAY_MS, "app-young": 1 * DAY_MS, "app-old-running": 8 * DAY_MS, "driver-old": 9 * DAY_MS });
    // An old directory with one fresh file stays.
    mkdirSync(join(dir, "app-old-touched"));
    writeFileSync(join(dir, "app-old-touched", "stderr"), "new");
    const removed: string[] = [];
    const cleaner = new WorkDirCleaner({
      workDir: dir,
      policy: { enabled: true, intervalMs: 60_000, appDataTtlMs: 7 * DAY_MS },
      logger: createMemoryLogger("worker"),
      inUse: () => new Set(["app-old-running"]),
      remove: async (name) => {
        removed.push(name);
        rmSync(join(dir, name), { recursive: true });
      },
    });
    expect((await cleaner.sweep()).sort()).toEqual(["app-old", "driver-old"]);
    expect(readdirSync(dir).sort()).toEqual(["app-old-running", "app-old-touched", "app-young"]);
    expect(removed.sort()).toEqual(["app-old", "driver-old"]);
  });

  it("a disabled policy never starts a sweep", () => {
    const cleaner = new WorkDirCleaner({
      workDir: "/nonexistent",
      policy: { enabled: false, intervalMs: 1, appDataTtlMs: 0 },
      logger: createMemoryLogger("worker"),
      inUse: () => new Set(),
      remove: async () => {},
    });
    cleaner.start();
    expect((cleaner as unknown as { timer: unknown }).timer).toBeUndefined();
    cleaner.stop();
  });
});

describe.skipIf(!DIST_READY)("work directory on a real worker", () => {
  it("an app's executor stderr is still there after the app ends", async () => {
    cluster = await startTestCluster(tracker, 1, 1);
    const c = cluster;
    const d = await connect({
      master: c.masterUrl,
      module: SLOW_APP,
      secret: c.secret,
      protocol: FAST_PROTOCOL,
      logger: createMemoryLogger("driver"),
    });
    const appId = d.appId;
    await d.run("nap", naps(2, 10));
    await d.close();
    const log = join(c.logDir, "worker-1.log");
    await waitFor(
      "the worker to finish the app",
      () => existsSync(log) && /"app-dir-(kept|removed)"/.test(readFileSync(log, "utf8")),
      15_000,
      100,
    );
    expect(readFileSync(log, "utf8")).toContain("app-dir-kept");
    const execs = readdirSync(join(c.workDir, appId));
    expect(execs.length).toBeGreaterThan(0);
    expect(existsSync(join(c.workDir, appId, execs[0]!, "stderr"))).toBe(true);
  }, 40_000);
});
