/**
 * Off loopback the secret guards the web UI: a request without the web token is refused (401) and
 * learns nothing; the login form sets a cookie that opens the pages. /metrics parses as the
 * Prometheus text format and its numbers match `flint status --json` during a job.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/protocol/config.js";
import type { LocalCluster } from "../../../src/real/cluster/local.js";
import { startMaster, type MasterProcess } from "../../../src/real/cluster/master.js";
import type { ClusterStatus } from "../../../src/real/snapshot.js";
import { connect, type Cluster } from "../../../src/real/driver/api.js";
import { createMemoryLogger } from "../../../src/real/log.js";
import { webToken } from "../../../src/real/web/auth.js";
import { DIST_READY, FAST_PROTOCOL, FLINT_BIN, ProcessTracker, naps, startTestCluster, waitFor } from "../cluster/harness.js";
import { parsePrometheus, sampleValue } from "./prometheus.js";

const SECRET = "a-test-secret-of-more-than-16-bytes";
const CHROMIUM = "/usr/bin/chromium";
const SLOW_APP = fileURLToPath(new URL("../cluster/apps/slow.mjs", import.meta.url));
const tracker = new ProcessTracker();
let master: MasterProcess | undefined;
let cluster: LocalCluster | undefined;
let driver: Cluster | undefined;

afterEach(async () => {
  await driver?.close().catch(() => {});
  driver = undefined;
  await master?.stop();
  master = undefined;
  await cluster?.stop({ graceMs: 3_000 });
  cluster = undefined;
  expect(tracker.cleanup()).toEqual([]);
});

/** A master whose web UI listens on every address (0.0.0.0): off loopback, so guarded. */
async function guardedMaster(): Promise<string> {
  master = await startMaster({
    host: "127.0.0.1",
    port: 0,
    secret: SECRET,
    protocol: resolveConfig({}),
    logger: createMemoryLogger("master"),
    web: { host: "0.0.0.0", port: 0 },
  });
  // Reached through 127.0.0.1: the listener is the wildcard one, which any interface reaches.
  return master.webUrl!.replace("0.0.0.0", "127.0.0.1");
}

describe("web UI auth off loopback", () => {
  it("refuses every route without the token, with a wrong one, and with the secret itself; the token opens them", async () => {
    const base = await guardedMaster();
    for (const path of ["", "fragment", "api/status", "metrics", "logs/app-1/0/stderr"]) {
      const anonymous = await fetch(base + path);
      expect(anonymous.status, path).toBe(401);
      const body = await anonymous.text();
      expect(body, path).not.toContain("flint_master");
      expect(body, path).not.toContain("ALIVE");
      expect(body, path).not.toContain(master!.address);
      const asBrowser = await fetch(base + path, { headers: { accept: "text/html" } });
      expect(asBrowser.status, path).toBe(401);
      const form = await asBrowser.text();
      expect(form, path).toContain('<form method="post" action="/login">');
      expect(form, path).not.toContain(master!.address);
      expect((await fetch(base + path, { headers: { authorization: "Bearer nope" } })).status, path).toBe(401);
      expect((await fetch(base + path, { headers: { authorization: `Bearer ${SECRET}` } })).status, path).toBe(401);
      expect((await fetch(base + path, { headers: { cookie: `flint_token=${SECRET}` } })).status, path).toBe(401);
    }
    const token = webToken(SECRET);
    const api = await fetch(base + "api/status", { headers: { authorization: `Bearer ${token}` } });
    expect(api.status).toBe(200);
    expect(((await api.json()) as ClusterStatus).recoveryState).toBe("ALIVE");
    expect((await fetch(base + "metrics", { headers: { cookie: `flint_token=${token}` } })).status).toBe(200);
    // Nothing changes state: other methods are refused.
    expect((await fetch(base + "api/status", { method: "POST", headers: { authorization: `Bearer ${token}` } })).status).toBe(405);
  });

  it("flint web-token prints the token the server expects", () => {
    const dir = process.env["TMPDIR"] ?? "/tmp";
    const file = `${dir}/web-token-secret-${process.pid}`;
    spawnSync("sh", ["-c", `umask 077; printf %s '${SECRET}' > '${file}'`]);
    try {
      const out = spawnSync(process.execPath, [FLINT_BIN, "web-token", "--secret-file", file], { encoding: "utf8" });
      expect(out.status).toBe(0);
      expect(out.stdout.trim()).toBe(webToken(SECRET));
    } finally {
      spawnSync("rm", ["-f", file]);
    }
  });

  it.skipIf(!existsSync(CHROMIUM))("in a browser: the login form refuses a wrong token and lets the right one in", async () => {
    const base = await guardedMaster();
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage();
      const first = await page.goto(base);
      expect(first?.status()).toBe(401);
      expect(await page.locator("#workers").count()).toBe(0);
      await page.fill("input[name=token]", "wrong");
      await page.click("button[type=submit]");
      expect(await page.textContent("body")).toContain("That token is wrong");
      await page.fill("input[name=token]", webToken(SECRET));
      await page.click("button[type=submit]");
      await page.waitForSelector("#recovery-state");
      expect(await page.textContent("#recovery-state")).toBe("ALIVE");
    } finally {
      await browser.close();
    }
  });
});

describe.skipIf(!DIST_READY)("metrics", () => {
  it("the master's /metrics parses as Prometheus text and matches flint status --json during a job; the driver counts its tasks", async () => {
    cluster = await startTestCluster(tracker, 2, 1);
    const c = cluster;
    driver = await connect({
      master: c.masterUrl,
      module: SLOW_APP,
      secret: c.secret,
      protocol: FAST_PROTOCOL,
      logger: createMemoryLogger("driver"),
      webUi: { port: 0 },
    });
    const job = driver.run("nap", naps(6, 1500));
    const statusJson = (): ClusterStatus =>
      JSON.parse(
        spawnSync(
          process.execPath,
          [FLINT_BIN, "status", "--master", c.masterUrl, "--status-port", String(c.statusPort), "--secret-file", c.secretFile, "--json"],
          { encoding: "utf8" },
        ).stdout,
      ) as ClusterStatus;
    // Both read while every core is busy with a 1.5 s task: compared until one pair agrees, as the two reads are not atomic.
    const agreed = await waitFor(
      "metrics that match flint status --json",
      async () => {
        const samples = parsePrometheus(await (await fetch(c.master.webUrl + "metrics")).text());
        const status = statusJson();
        const alive = status.workers.filter((w) => w.state === "ALIVE");
        const used = alive.reduce((n, w) => n + w.coresUsed, 0);
        const executors = status.apps.reduce((n, a) => n + a.executors.filter((e) => e.state === "RUNNING").length, 0);
        if (used !== 2) return undefined;
        const got = {
          alive: sampleValue(samples, "flint_master_workers", { state: "ALIVE" }),
          used: sampleValue(samples, "flint_master_cores", { kind: "used" }),
          free: sampleValue(samples, "flint_master_cores", { kind: "free" }),
          running: sampleValue(samples, "flint_master_apps", { state: "RUNNING" }),
          executors: sampleValue(samples, "flint_master_executors", { state: "RUNNING" }),
        };
        const want = {
          alive: alive.length,
          used,
          free: alive.reduce((n, w) => n + w.cores, 0) - used,
          running: status.apps.filter((a) => a.state === "RUNNING").length,
          executors,
        };
        return JSON.stringify(got) === JSON.stringify(want) ? { got, samples } : undefined;
      },
      15_000,
      200,
    );
    expect(agreed.got).toEqual({ alive: 2, used: 2, free: 0, running: 1, executors: 2 });
    expect(sampleValue(agreed.samples, "flint_master_executors_launched_total")).toBeGreaterThanOrEqual(2);
    expect(agreed.samples.some((s) => s.name === "flint_master_store_write_seconds_count" && s.value > 0)).toBe(true);
    expect(sampleValue(agreed.samples, "flint_master_recovery_duration_seconds")).toBeGreaterThanOrEqual(0);
    await job;
    const driverSamples = parsePrometheus(await (await fetch(driver.webUrl + "metrics")).text());
    expect(sampleValue(driverSamples, "flint_driver_tasks_total", { outcome: "FINISHED" })).toBe(6);
    expect(sampleValue(driverSamples, "flint_driver_task_duration_seconds_count")).toBe(6);
    expect(sampleValue(driverSamples, "flint_driver_task_duration_seconds_sum")).toBeGreaterThan(6 * 1.4);
    expect(sampleValue(driverSamples, "flint_driver_jobs", { state: "SUCCEEDED" })).toBe(1);
    const workerSamples = parsePrometheus(await (await fetch(c.workers[0]!.webUrl + "metrics")).text());
    expect(sampleValue(workerSamples, "flint_worker_executors_launched_total")).toBe(1);
    expect(sampleValue(workerSamples, "flint_worker_cores", { kind: "used" })).toBe(1);
  }, 60_000);

  it("the Prometheus reader is strict: a malformed exposition is refused naming its line", () => {
    expect(() => parsePrometheus('# TYPE a gauge\na{x="1"} one\n')).toThrow(/line 2/);
    expect(() => parsePrometheus("b 1\n")).toThrow(/untyped family/);
  });
});
