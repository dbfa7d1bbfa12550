import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { allowedCpus } from "../../../src/real/cluster/local.js";
import { afterEach, describe, expect, it } from "vitest";
import { DIST_READY, FLINT_BIN, ProcessTracker, SLOW_APP, executorsUnder, waitFor } from "./harness.js";

const tracker = new ProcessTracker();
afterEach(() => {
  expect(tracker.cleanup()).toEqual([]);
});

describe.skipIf(!DIST_READY)("flint local (real processes on 127.0.0.1)", () => {
  it("local: runs the pi example on a master and two workers, prints pi, exits 0 and leaves no process", async () => {
    const child = spawn(process.execPath, [FLINT_BIN, "local", "--quiet"], { stdio: ["ignore", "pipe", "pipe"] });
    tracker.track(child.pid!);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/Pi is roughly 3\.1\d+/);
    await new Promise((r) => setTimeout(r, 200));
    tracker.sample();
    expect(tracker.alive()).toEqual([]);
  });

  it("local: Ctrl-C mid-job stops the cluster and leaves no process", async () => {
    const child = spawn(process.execPath, [FLINT_BIN, "local", SLOW_APP, "--quiet", "--", "200", "100"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    tracker.track(child.pid!);
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    // Wait until executors exist (the job is running), then interrupt.
    const { executorsUnder, waitFor } = await import("./harness.js");
    await waitFor("an executor under flint local", () => executorsUnder(child.pid!).length > 0, 15_000);
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    await new Promise((r) => setTimeout(r, 300));
    tracker.sample();
    expect(tracker.alive()).toEqual([]);
  });

  it("local: --help exits 0; a bad --workers is named and exits 2", () => {
    const help = spawnSync(process.execPath, [FLINT_BIN, "local", "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("Usage: flint local");
    const bad = spawnSync(process.execPath, [FLINT_BIN, "local", "--workers", "two"], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--workers");
  });

  const canPin =
    process.platform === "linux" &&
    allowedCpus().length >= 2 &&
    (process.env["PATH"] ?? "").split(":").some((d) => d !== "" && existsSync(join(d, "taskset")));
  /** The CPU list of every thread of `pid`. */
  const threadCpus = (pid: number): string[] =>
    readdirSync(`/proc/${pid}/task`).map(
      (tid) => /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8"))![1]!,
    );

  for (const pinned of [true, false]) {
    it.skipIf(!canPin)(
      `local: 2 workers x 1 core ${pinned ? "pin each executor (every thread) to a CPU of its own" : "with FLINT_PIN_EXECUTORS=0 leave executors free"}`,
      async () => {
        const env = { ...process.env, FLINT_PIN_EXECUTORS: pinned ? "1" : "0" };
        const child = spawn(process.execPath, [FLINT_BIN, "local", SLOW_APP, "--quiet", "--", "4", "1500"], {
          stdio: ["ignore", "pipe", "pipe"],
          env,
        });
        tracker.track(child.pid!);
        const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
        const executors = await waitFor(
          "two executors",
          () => (executorsUnder(child.pid!).length === 2 ? executorsUnder(child.pid!) : undefined),
          15_000,
        );
        const all = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync("/proc/self/status", "utf8"))![1]!;
        if (pinned) {
          const lists = await waitFor("both executors pinned", () => {
            const perExecutor = executors.map((pid) => [...new Set(threadCpus(pid))]);
            return perExecutor.every((l) => l.length === 1 && l[0] !== all) ? perExecutor.map((l) => l[0]!) : undefined;
          });
          expect(new Set(lists).size).toBe(2);
        } else {
          await new Promise((r) => setTimeout(r, 300));
          for (const pid of executors) expect(new Set(threadCpus(pid))).toEqual(new Set([all]));
        }
        expect(await exited).toBe(0);
      },
    );
  }
});
