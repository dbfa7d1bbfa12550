/** The driver API and the CLI on a real cluster (issue 5, items 3 and 4). */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalCluster } from "../../../src/real/cluster/local.js";
import { connect, JobFailedError, type Cluster, type Progress } from "../../../src/real/driver/api.js";
import { createMemoryLogger } from "../../../src/real/log.js";
import { hashSource } from "../../../src/real/tasks/module.js";
import { fileTempDir } from "../../hygiene/tempDir.js";
import { DIST_READY, FAST_PROTOCOL, FLINT_BIN, ProcessTracker, startTestCluster, waitFor } from "./harness.js";

const KINDS_APP = fileURLToPath(new URL("./apps/kinds.mjs", import.meta.url));
const tracker = new ProcessTracker();
let cluster: LocalCluster;
let driver: Cluster;

beforeAll(async () => {
  if (!DIST_READY) return;
  // Two workers of two cores: this driver takes one core of each, leaving room for the CLI's apps.
  cluster = await startTestCluster(tracker, 2, 2);
  driver = await connect({
    master: cluster.masterUrl,
    module: KINDS_APP,
    secret: cluster.secret,
    cores: 2,
    protocol: FAST_PROTOCOL,
    logger: createMemoryLogger("driver"),
  });
});

afterAll(async () => {
  if (!DIST_READY) return;
  await driver?.close();
  await cluster?.stop({ graceMs: 3_000 });
  expect(tracker.cleanup()).toEqual([]);
});

const cliDir = fileTempDir("flint-api-cli-");

/** Runs the CLI without blocking this process (the driver under test lives here). */
function flint(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [FLINT_BIN, ...args], {
    env: { ...process.env, FLINT_PROTOCOL_CONFIG: JSON.stringify(FAST_PROTOCOL) },
    stdio: ["ignore", "pipe", "pipe"],
    // A client-mode driver's default journal (./flint-journal) goes to the test's folder.
    cwd: cliDir,
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

describe.skipIf(!DIST_READY)("driver API on a real cluster", () => {
  it("run: one task per input, results in input order, progress up to the total", async () => {
    const progress: Progress[] = [];
    const inputs = Array.from({ length: 50 }, (_, i) => i);
    const out = await driver.run<number>("square", inputs, { onProgress: (p) => progress.push(p) });
    expect(out).toEqual(inputs.map((x) => x * x));
    expect(progress.at(-1)).toMatchObject({ tasksFinished: 50, tasksTotal: 50 });
  });

  it("run: a thrown error fails the job after the retries, with the task's message and stack", async () => {
    const error = await driver.run("boom", [0, 1, 2]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobFailedError);
    expect((error as Error).message).toContain("RangeError: input 1 is out of range");
    // The stack names the user's module, not the executor's cached copy (modules/<sha256>.mjs).
    expect((error as Error).message).toContain(`at boom (${KINDS_APP}:6:`);
    expect((error as Error).message).not.toMatch(/modules\/[0-9a-f]{64}\.mjs/);
    expect((error as Error).message).toContain("failed 4 times");
  });

  it("run: a result that cannot be serialized fails the task with a clear reason", async () => {
    await expect(driver.run("unserializable", [0])).rejects.toThrow(/not serializable/);
  });

  it("run: a result JSON would change (a Map deep inside) fails the task naming its path, not retried", async () => {
    const error = (await driver.run("nested", [0]).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain("task result is not serializable: result.a[1]: a Map is not serializable");
    expect(error.message).not.toContain("failed 4 times");
  });

  it("run: inputs JSON would change are refused at run(), by path, before anything is submitted", async () => {
    await expect(driver.run("echo", [() => 1])).rejects.toThrow("cannot run echo: inputs[0]: a function is not serializable");
    await expect(driver.run("echo", [1, { m: new Map() }])).rejects.toThrow("inputs[1].m: a Map is not serializable");
    await expect(driver.run("echo", [[NaN]])).rejects.toThrow("inputs[0][0]: NaN is not serializable");
    await expect(driver.run("echo", [undefined])).rejects.toThrow("inputs[0]: undefined is not serializable");
    await expect(driver.run("echo", [new Date(0)])).rejects.toThrow("inputs[0]: a Date is not serializable");
    // Plain data still travels unchanged.
    expect(await driver.run("echo", [{ a: [1, "b", null, true] }])).toEqual([{ a: [1, "b", null, true] }]);
  });

  it("run: an unknown function fails the job naming it", async () => {
    await expect(driver.run("nope", [0])).rejects.toThrow(/exports no function 'nope'/);
  });

  it("run: aborting a job kills its running tasks (the cores are free at once for the next job)", async () => {
    const abort = new AbortController();
    const job = driver.run("spin", [{ ms: 20_000 }, { ms: 20_000 }], { signal: abort.signal });
    await waitFor("both executors up", async () => (await cluster.status()).apps[0]?.executors.length === 2, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    abort.abort();
    await expect(job).rejects.toThrow(/cancelled by the user/);
    const started = Date.now();
    expect(await driver.run("square", [3, 4])).toEqual([9, 16]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("module shipping: executors cache the module by content hash in their work directory", () => {
    const hash = hashSource(readFileSync(KINDS_APP, "utf8"));
    const appDir = join(cluster.workDir, driver.appId);
    const executorDirs = readdirSync(appDir);
    expect(executorDirs.length).toBeGreaterThan(0);
    for (const dir of executorDirs) {
      expect(existsSync(join(appDir, dir, "modules", `${hash}.mjs`))).toBe(true);
      expect(existsSync(join(appDir, dir, "stderr"))).toBe(true);
      expect(existsSync(join(appDir, dir, "stdout"))).toBe(true);
    }
  });
});

describe.skipIf(!DIST_READY)("flint CLI against a real cluster", () => {
  it("status: --json lists the workers and the running app; the table names them", async () => {
    const json = await flint(
      "status",
      "--master",
      cluster.masterUrl,
      "--status-port",
      String(cluster.statusPort),
      "--secret-file",
      cluster.secretFile,
      "--json",
    );
    expect(json.status, json.stderr).toBe(0);
    const status = JSON.parse(json.stdout) as { workers: Array<{ state: string }>; apps: Array<{ id: string }> };
    expect(status.workers.filter((w) => w.state === "ALIVE")).toHaveLength(2);
    expect(status.apps.map((a) => a.id)).toContain(driver.appId);
    const table = await flint(
      "status",
      "--master",
      cluster.masterUrl,
      "--status-port",
      String(cluster.statusPort),
      "--secret-file",
      cluster.secretFile,
    );
    expect(table.stdout).toContain("Workers (2)");
    expect(table.stdout).toContain(driver.appId);
  });

  it("status: without the secret the master refuses to answer (exit 1)", async () => {
    const out = await flint("status", "--master", cluster.masterUrl, "--status-port", String(cluster.statusPort));
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(/handshake failed|closed the status connection/);
  });

  it("submit (client mode): runs main(ctx) with the app's arguments and prints its result", async () => {
    const out = await flint(
      "submit",
      KINDS_APP,
      "--master",
      cluster.masterUrl,
      "--secret-file",
      cluster.secretFile,
      "--quiet",
      "--",
      "x",
      "y",
    );
    expect(out.status, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ squares: [1, 4, 9], argv: ["x", "y"] });
  });

  it("submit --deploy-mode cluster: the driver runs on a worker and finishes; its result is in its work directory", async () => {
    const out = await flint(
      "submit",
      KINDS_APP,
      "--master",
      cluster.masterUrl,
      "--secret-file",
      cluster.secretFile,
      "--deploy-mode",
      "cluster",
      "--driver-memory",
      "256m",
      "--",
      "z",
    );
    expect(out.status, out.stderr).toBe(0);
    const driverId = out.stdout.trim();
    expect(driverId).toMatch(/^driver-\d{14}-\d{4}$/);
    await waitFor(
      "the driver FINISHED",
      async () => (await cluster.status()).completedDrivers.some((d) => d.id === driverId && d.state === "FINISHED"),
      20_000,
      100,
    );
    const result = JSON.parse(readFileSync(join(cluster.workDir, driverId, "result"), "utf8")) as unknown;
    expect(result).toEqual({ squares: [1, 4, 9], argv: ["z"] });
  });

  it("bad arguments are named and exit 2", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["master", "--port", "70000"], /--port/],
      [["master", "--host", "10.1.2.3"], /--secret-file/],
      [["worker"], /master URL is required/],
      [["worker", "spark://h:1"], /scheme/],
      [["worker", "flint://127.0.0.1:7077", "--memory", "lots"], /--memory/],
      [["worker", "flint://127.0.0.1:7077", "--executor-cpus", "first"], /--executor-cpus first: not a CPU list/],
      [["submit", KINDS_APP], /--master is required/],
      [["submit", KINDS_APP, "--master", "flint://127.0.0.1:7077", "--deploy-mode", "moon"], /--deploy-mode/],
      [["submit", KINDS_APP, "--master", "flint://127.0.0.1:7077", "--supervise"], /--supervise/],
      [["status"], /--master is required/],
      [["status", "--master", "flint://127.0.0.1:7077", "--bogus"], /--bogus/],
    ];
    for (const [args, pattern] of cases) {
      const out = await flint(...args);
      expect(out.status, args.join(" ")).toBe(2);
      expect(out.stderr, args.join(" ")).toMatch(pattern);
    }
    for (const command of ["master", "worker", "submit", "status", "local"]) expect((await flint(command, "--help")).status).toBe(0);
  });
});
