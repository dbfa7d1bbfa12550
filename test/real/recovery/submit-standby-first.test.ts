/**
 * `flint submit --deploy-mode cluster` asks every master (the submission client role, as the
 * simulator hosts it): with two masters and the STANDBY listed first in --master, the standby's
 * "not ALIVE" answer does not end the submission; the leader's acceptance does, and the driver runs.
 * Before the role, the real command asked only the first master and failed here.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { LocalCluster } from "../../../src/real/cluster/local.js";
import { startLocalCluster } from "../../../src/real/cluster/local.js";
import { DIST_READY, FAST_PROTOCOL, FLINT_BIN, ProcessTracker, waitFor } from "../cluster/harness.js";
import { ZkTestServer, zooKeeperMissing } from "./zkServer.js";

const KINDS_APP = fileURLToPath(new URL("../cluster/apps/kinds.mjs", import.meta.url));
const tracker = new ProcessTracker();
let cluster: LocalCluster | undefined;

afterEach(async () => {
  await cluster?.stop({ graceMs: 3_000 });
  cluster = undefined;
  expect(tracker.cleanup()).toEqual([]);
});

function flint(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [FLINT_BIN, ...args], {
    env: { ...process.env, FLINT_PROTOCOL_CONFIG: JSON.stringify(FAST_PROTOCOL) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  tracker.track(child.pid!);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  return new Promise((resolve) =>
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
}

describe.skipIf(!DIST_READY || zooKeeperMissing !== undefined)("flint submit --deploy-mode cluster with two masters", () => {
  let zk: ZkTestServer;
  beforeAll(async () => {
    zk = await ZkTestServer.start();
  });
  afterAll(async () => {
    await zk?.destroy();
  });

  it("the standby listed first: the leader accepts, the driver runs and finishes", async () => {
    cluster = await startLocalCluster({
      workers: 1,
      coresPerWorker: 2,
      memoryPerWorkerMb: 2048,
      protocol: FAST_PROTOCOL,
      logLevel: "warn",
      readyTimeoutMs: 20_000,
      masters: 2,
      recovery: `zookeeper:${zk.connectString}/submit-standby-first`,
      zkSessionTimeoutMs: 3_000,
    });
    const c = cluster;
    for (const p of [...c.masters, ...c.workers]) tracker.track(p.pid);
    await waitFor(
      "master 1 to lead and master 2 to stand by",
      async () => {
        const [a, b] = await Promise.all([c.masterStatus(0).catch(() => undefined), c.masterStatus(1).catch(() => undefined)]);
        return a?.recoveryState === "ALIVE" && a.workers.length === 1 && b?.recoveryState === "STANDBY";
      },
      20_000,
    );
    const [leader, standby] = c.masterUrl.slice("flint://".length).split(",");
    const standbyFirst = `flint://${standby},${leader}`;
    const out = await flint(
      "submit",
      KINDS_APP,
      "--master",
      standbyFirst,
      "--secret-file",
      c.secretFile,
      "--deploy-mode",
      "cluster",
      "--driver-memory",
      "256m",
      "--",
      "s",
    );
    expect(out.status, out.stderr).toBe(0);
    const driverId = out.stdout.trim();
    expect(driverId).toMatch(/^driver-\d{14}-\d{4}$/);
    await waitFor(
      "the driver FINISHED",
      async () => (await c.masterStatus(0)).completedDrivers.some((d) => d.id === driverId && d.state === "FINISHED"),
      30_000,
      100,
    );
    const result = JSON.parse(readFileSync(join(c.workDir, driverId, "result"), "utf8")) as unknown;
    expect(result).toEqual({ squares: [1, 4, 9], argv: ["s"] });
  });
});
