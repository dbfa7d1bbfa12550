/** The config file: checked whole on load with errors naming the key; flags override it. */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkConfig, ConfigFileError, flagOf } from "../../src/real/configFile.js";
import { parsePortRange } from "../../src/real/portRange.js";
import { connect, type Cluster } from "../../src/real/driver/api.js";
import { createMemoryLogger } from "../../src/real/log.js";
import type { LocalCluster } from "../../src/real/cluster/local.js";
import { DIST_READY, FAST_PROTOCOL, FLINT_BIN, ProcessTracker, SLOW_APP, naps, startTestCluster, waitFor } from "./cluster/harness.js";

const dirs: string[] = [];
const tracker = new ProcessTracker();
let cluster: LocalCluster | undefined;
let driver: Cluster | undefined;
afterEach(async () => {
  await driver?.close().catch(() => {});
  driver = undefined;
  await cluster?.stop({ graceMs: 3_000 });
  cluster = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  expect(tracker.cleanup()).toEqual([]);
});

const bad = (raw: unknown): string => {
  try {
    checkConfig(raw, "f.json");
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigFileError);
    return (err as Error).message;
  }
  throw new Error("accepted");
};

describe("config file checks", () => {
  it("names the key of every mistake, with a suggestion for a near miss", () => {
    expect(bad([])).toBe("f.json: (top): must be a JSON object");
    expect(bad({ wroker: {} })).toMatch(/^f\.json: wroker: not a key \(did you mean worker\?\)/);
    expect(bad({ worker: { port: "7078" } })).toBe('f.json: worker.port: must be a whole number from 0 to 65535, not "7078"');
    expect(bad({ worker: { cors: 4 } })).toMatch(/^f\.json: worker\.cors: not a key \(did you mean cores\?\)/);
    expect(bad({ worker: { memory: "8 gigs" } })).toMatch(/^f\.json: worker\.memory: must be a size/);
    expect(bad({ worker: { executorPorts: "40100-40000" } })).toMatch(/^f\.json: worker\.executorPorts: .*low to high/);
    expect(bad({ worker: { cleanup: { appDataTTLMs: 1 } } })).toMatch(
      /^f\.json: worker\.cleanup\.appDataTTLMs: not a key \(did you mean appDataTtlMs\?\)/,
    );
    expect(bad({ worker: { cleanup: { enabled: "yes" } } })).toBe("f.json: worker.cleanup.enabled: must be true or false");
    expect(bad({ master: { webPort: "8080" } })).toMatch(/^f\.json: master\.webPort: must be a whole number/);
    expect(bad({ submit: { master: "m1:7077" } })).toMatch(/^f\.json: submit\.master: must be a master URL/);
    expect(bad({ protocol: { workerTimeoutMz: 1 } })).toMatch(
      /^f\.json: protocol\.workerTimeoutMz: not a protocol setting \(did you mean workerTimeoutMs\?\)/,
    );
    expect(bad({ protocol: { workerTimeoutMs: -5 } })).toMatch(/^f\.json: protocol: .*workerTimeoutMs/);
  });

  it("maps every key to its flag and keeps the cleanup policy", () => {
    const file = checkConfig(
      {
        secretFile: "/s",
        protocol: { workerTimeoutMs: 5000 },
        master: { zkSessionTimeoutMs: 3000, webPort: "off" },
        worker: { masters: "flint://m:7077", workDir: "/w", memory: "8g", cleanup: { appDataTtlMs: 1000 } },
      },
      "f.json",
    );
    expect(file.flags.master).toEqual({ "zk-session-timeout": "3000ms", "web-port": "off" });
    expect(file.flags.worker).toEqual({ masters: "flint://m:7077", "work-dir": "/w", memory: "8g" });
    expect(file.cleanup).toEqual({ enabled: true, intervalMs: 1_800_000, appDataTtlMs: 1000 });
    expect(file.protocol).toEqual({ workerTimeoutMs: 5000 });
    expect(flagOf("advertisedHost")).toBe("advertised-host");
    const submit = checkConfig({ submit: { deployMode: "cluster", supervise: true, quiet: false, driverMemory: "512m" } }, "f.json");
    expect(submit.flags.submit).toEqual({ "deploy-mode": "cluster", "driver-memory": "512m" });
    expect(submit.switches.submit).toEqual(["supervise"]);
    expect(bad({ submit: { deployMode: "yarn" } })).toBe('f.json: submit.deployMode: must be "client" or "cluster", not "yarn"');
    expect(bad({ worker: { lowLatency: "yes" } })).toBe('f.json: worker.lowLatency: must be true or false, not "yes"');
    expect(parsePortRange("40000-40099")).toEqual({ from: 40000, to: 40099 });
  });
});

function tempFile(name: string, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), "flint-config-"));
  dirs.push(dir);
  const file = join(dir, name);
  writeFileSync(file, content, { mode: 0o600 });
  return file;
}

describe.skipIf(!DIST_READY)("config file on the command line", () => {
  it("a bad file exits 2 naming the file and the key", () => {
    const file = tempFile("flint.json", JSON.stringify({ master: { port: 99999 } }));
    const out = spawnSync(process.execPath, [FLINT_BIN, "master", "--config", file], { encoding: "utf8" });
    expect(out.status).toBe(2);
    expect(out.stderr).toContain(`${file}: master.port: must be a whole number from 0 to 65535, not 99999`);
  });

  it("the file's options apply and a flag overrides one of them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flint-config-"));
    dirs.push(dir);
    const file = join(dir, "flint.json");
    writeFileSync(
      file,
      JSON.stringify({ master: { port: 1, statusPort: 0, recovery: "none", webPort: "off", logFile: join(dir, "master.log") } }),
    );
    // cwd: its default journal (./flint-journal) goes to the test's folder, not the checkout.
    const child = spawn(process.execPath, [FLINT_BIN, "master", "--config", file, "--port", "0"], {
      stdio: ["pipe", "pipe", "pipe"],
      cwd: dir,
    });
    tracker.track(child.pid!);
    let stdout = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    const listening = await waitFor(
      "the master to listen",
      () => /listening on flint:\/\/127\.0\.0\.1:(\d+)/.exec(stdout) ?? undefined,
      10_000,
    );
    const port = Number(listening[1]);
    expect(port).not.toBe(1); // --port 0 beat the file's 1
    expect(stdout).not.toContain("web UI"); // webPort off, from the file
    // logFile, from the file (written through a stream: the line may land just after the ready line on stdout)
    await waitFor(
      "master-ready in the file's log file",
      () => (existsSync(join(dir, "master.log")) && readFileSync(join(dir, "master.log"), "utf8").includes("master-ready")) || undefined,
      5_000,
    );
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  });

  it("port range: the driver listens inside its range (executors: see the netns test)", async () => {
    cluster = await startTestCluster(tracker, 1, 1);
    const c = cluster;
    const base = 42000 + (process.pid % 500) * 10;
    driver = await connect({
      master: c.masterUrl,
      module: SLOW_APP,
      secret: c.secret,
      protocol: FAST_PROTOCOL,
      logger: createMemoryLogger("driver"),
      ports: { from: base, to: base + 9 },
    });
    const port = Number(driver.address.slice(driver.address.lastIndexOf(":") + 1));
    expect(port).toBeGreaterThanOrEqual(base);
    expect(port).toBeLessThanOrEqual(base + 9);
    expect(await driver.run("nap", naps(1, 1))).toEqual([0]);
  });
});
