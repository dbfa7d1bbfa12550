import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { leftovers, processesMarked } from "./globalSetup.js";

describe("test hygiene: the run's leftover check", () => {
  it("hygiene: the tests run with a temporary directory of their own", () => {
    expect(tmpdir()).toMatch(/flint-test-run-[^/]+$/);
  });

  it("hygiene: a process and a folder left behind are named, then killed and removed", async () => {
    const runTmp = mkdtempSync(join(tmpdir(), "flint-hygiene-"));
    mkdirSync(join(runTmp, "flint-forgotten-x"));
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)", runTmp], { stdio: "ignore" });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    await new Promise((resolve) => child.once("spawn", resolve));
    expect(processesMarked([runTmp]).map((p) => p.pid)).toEqual([child.pid]);
    const problems = await leftovers(runTmp, [runTmp], new Set(), 200);
    expect(problems).toEqual([
      `process ${child.pid} still running (killed now): ${process.execPath} -e setTimeout(() => {}, 60000) ${runTmp}`,
      `temporary ${join(runTmp, "flint-forgotten-x")} left behind (removed now)`,
    ]);
    await exited;
    expect(existsSync(runTmp)).toBe(false);
  });

  it("hygiene: processes that were running before the run, or that end within the grace period, are not counted", async () => {
    const runTmp = mkdtempSync(join(tmpdir(), "flint-hygiene-"));
    const old = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)", runTmp], { stdio: "ignore" });
    await new Promise((resolve) => old.once("spawn", resolve));
    const quick = spawn(process.execPath, ["-e", "setTimeout(() => {}, 300)", runTmp], { stdio: "ignore" });
    await new Promise((resolve) => quick.once("spawn", resolve));
    try {
      expect(await leftovers(runTmp, [runTmp], new Set([old.pid!]), 5_000)).toEqual([]);
    } finally {
      old.kill("SIGKILL");
      await new Promise((resolve) => (old.exitCode !== null || old.signalCode !== null ? resolve(null) : old.once("exit", resolve)));
    }
  });
});
