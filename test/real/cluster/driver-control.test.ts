/**
 * `flint submit --status / --kill DRIVER_ID` on a real cluster: a cluster-mode driver is found
 * RUNNING with its worker, killed, then reported KILLED; an unknown id and a second kill exit 3.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type AskMaster, driverControlRequest, runDriverControl } from "../../../src/cli/commands/driver-control.js";
import { spec as submitSpec } from "../../../src/cli/commands/submit.js";
import { parseCommandLine, UsageError } from "../../../src/cli/args.js";
import { address, type DriverId } from "../../../src/protocol/ids.js";
import type { LocalCluster } from "../../../src/real/cluster/local.js";
import {
  DIST_READY,
  FAST_PROTOCOL,
  FLINT_BIN,
  ProcessTracker,
  SLOW_APP,
  cmdline,
  descendantsOf,
  startTestCluster,
  waitFor,
} from "./harness.js";

const tracker = new ProcessTracker();
let cluster: LocalCluster | undefined;

afterEach(async () => {
  await cluster?.stop({ graceMs: 3_000 });
  cluster = undefined;
  expect(tracker.cleanup()).toEqual([]);
});

async function flint(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [FLINT_BIN, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FLINT_PROTOCOL_CONFIG: JSON.stringify(FAST_PROTOCOL) },
  });
  tracker.track(child.pid!);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  return { code, stdout, stderr };
}

describe.skipIf(!DIST_READY)("flint submit --status / --kill", () => {
  it("status of a running cluster-mode driver, kill it, status says KILLED; unknown ids and a second kill exit 3", async () => {
    cluster = await startTestCluster(tracker);
    const c = cluster;
    const auth = ["--master", c.masterUrl, "--secret-file", c.secretFile];
    const submitted = await flint([
      "submit",
      SLOW_APP,
      ...auth,
      "--deploy-mode",
      "cluster",
      "--driver-memory",
      "256m",
      "--",
      "200",
      "1000",
    ]);
    expect(submitted.code).toBe(0);
    const driverId = submitted.stdout.trim();
    await waitFor(
      "the driver process",
      () => c.workers.some((w) => descendantsOf(w.pid).some((p) => cmdline(p).includes("driverMain.js"))),
      10_000,
    );

    const running = await flint(["submit", "--status", driverId, ...auth]);
    expect(running.code).toBe(0);
    expect(running.stdout).toContain(`State of driver ${driverId} is RUNNING`);
    expect(running.stdout).toMatch(/Driver ran on worker worker-\S+ \(127\.0\.0\.1:\d+\)/);

    // The cluster-mode driver serves its application's page on its worker's loopback, and says where on its stderr.
    const stderrFile = join(c.workDir, driverId, "stderr");
    const uiLine = await waitFor(
      "the driver's web UI line",
      () =>
        existsSync(stderrFile) ? (/web UI (http:\/\/127\.0\.0\.1:\d+\/)/.exec(readFileSync(stderrFile, "utf8")) ?? undefined) : undefined,
      10_000,
    );
    const app = (await (await fetch(uiLine[1] + "api/app")).json()) as { state: string; jobs: unknown[] };
    expect(app.state).toBe("RUNNING");

    const json = await flint(["submit", "--status", driverId, ...auth, "--json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ driverId, found: true, state: "RUNNING" });

    const killed = await flint(["submit", "--kill", driverId, ...auth]);
    expect(killed.code).toBe(0);
    expect(killed.stdout).toContain(`Kill request for ${driverId} submitted`);
    await waitFor(
      "the driver KILLED",
      async () => (await c.status()).completedDrivers.some((d) => d.id === driverId && d.state === "KILLED"),
      15_000,
      100,
    );
    const after = await flint(["submit", "--status", driverId, ...auth]);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain(`State of driver ${driverId} is KILLED`);
    const status = await c.status();
    expect(status.completedDrivers.find((d) => d.id === driverId)?.workerId).toMatch(/^worker-/);

    const again = await flint(["submit", "--kill", driverId, ...auth]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain("has already finished or does not exist");
    const unknown = await flint(["submit", "--status", "driver-20990101000000-9999", ...auth]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain("does not know driver driver-20990101000000-9999");
  }, 60_000);

  it("no master reachable: exit 1 naming the master; bad usage: exit 2", async () => {
    const withApp = await flint(["submit", SLOW_APP, "--status", "driver-1", "--master", "flint://127.0.0.1:1"]);
    expect(withApp.code).toBe(2);
    expect(withApp.stderr).toContain("--status and --kill take no application");
    const down = await flint(["submit", "--status", "driver-1", "--master", "flint://127.0.0.1:1"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("no leading master answered");
    expect(down.stderr).toContain("127.0.0.1:1");
    const both = await flint(["submit", "--status", "driver-1", "--kill", "driver-1", "--master", "flint://127.0.0.1:1"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("give --status or --kill, not both");
  });
});

describe("runDriverControl", () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) } };
  };
  const request = (action: "status" | "kill") => ({
    action,
    driverId: "driver-1" as DriverId,
    masters: [address("flint://m1:7077"), address("flint://m2:7077")],
    secret: undefined,
    json: false,
  });

  it("skips a standby master and asks the next one", async () => {
    const asked: string[] = [];
    const ask: AskMaster = async (master) => {
      asked.push(master);
      if (master.includes("m1"))
        return {
          type: "DriverStatusResponse",
          found: false,
          exception: "Current state is not alive: STANDBY. Can only request driver status in ALIVE state.",
        };
      return { type: "DriverStatusResponse", found: true, state: "FINISHED", workerId: "worker-9" as never, workerHostPort: "h:1" };
    };
    const o = io();
    expect(await runDriverControl(request("status"), ask, o.io)).toBe(0);
    expect(asked).toEqual(["flint://m1:7077", "flint://m2:7077"]);
    expect(o.out.join("")).toContain("State of driver driver-1 is FINISHED\nDriver ran on worker worker-9 (h:1)");
  });

  it("a kill refused by every standby or unreachable master exits 1 and names each", async () => {
    const ask: AskMaster = async (master) => {
      if (master.includes("m1")) throw new Error("cannot reach the master: refused");
      return {
        type: "KillDriverResponse",
        masterAddress: address(master),
        driverId: "driver-1" as DriverId,
        success: false,
        message: "Current state is not alive: STANDBY. Can only kill drivers in ALIVE state.",
      };
    };
    const o = io();
    expect(await runDriverControl(request("kill"), ask, o.io)).toBe(1);
    expect(o.err.join("")).toMatch(
      /flint:\/\/m1:7077: cannot reach the master: refused\n.*flint:\/\/m2:7077: Current state is not alive: STANDBY/s,
    );
  });

  it("--status and --kill are submit's options; after -- they are the application's own", () => {
    const line = (argv: string[]) => {
      const l = parseCommandLine(submitSpec, argv);
      if (l.help) throw new Error("help");
      return l;
    };
    expect(line(["--status", "d", "--master", "flint://a:1"]).options.status).toBe("d");
    expect(line(["--master", "flint://a:1", "--kill=d"]).options.kill).toBe("d");
    const app = line(["app.mjs", "--master", "flint://a:1", "--", "--kill"]);
    expect(app.options.kill).toBeUndefined();
    expect(app.rest).toEqual(["--kill"]);
    const o = (x: Partial<{ status: string; kill: string; json: boolean }>) => ({
      status: undefined,
      kill: undefined,
      json: false,
      master: "flint://a:1",
      secret: undefined,
      ...x,
    });
    expect(driverControlRequest(o({ status: "driver-1" }), undefined)).toMatchObject({ action: "status", driverId: "driver-1" });
    expect(() => driverControlRequest(o({ status: "a", kill: "b" }), undefined)).toThrow(UsageError);
    expect(() => driverControlRequest(o({ kill: "d", json: true }), undefined)).toThrow("--json works with --status only");
    expect(() => driverControlRequest(o({ status: "d" }), "app.mjs")).toThrow("take no application");
    expect(() => driverControlRequest(o({ status: "bad id!" }), undefined)).toThrow("is not a driver id");
  });
});
