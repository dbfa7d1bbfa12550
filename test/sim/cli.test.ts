import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { run } from "../../src/cli/commands/sim.js";
import { SCENARIO_DIR } from "./helpers.js";

let stdout = "";
let stderr = "";

beforeEach(() => {
  stdout = "";
  stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => {
    stdout += String(s);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

const scenario = (name: string) => join(SCENARIO_DIR, name);

describe("flint sim", () => {
  it("cli: a passing scenario prints a timeline and PASS, exit 0", async () => {
    expect(await run([scenario("master-failover.json")])).toBe(0);
    expect(stdout).toContain("elected leader");
    expect(stdout).toContain("PASS master-failover");
    expect(stdout).toMatch(/trace hash [0-9a-f]{16}/);
  });

  it("cli: --json prints one object with seed, hash, counts, faults, node states, jobs and verdict", async () => {
    expect(await run([scenario("lost-tasks.json"), "--json", "--seed", "9"])).toBe(0);
    const j = JSON.parse(stdout);
    expect(j).toMatchObject({ scenario: "lost-tasks", seed: 9, verdict: { ok: true, reasons: [] } });
    expect(j.traceHash).toMatch(/^[0-9a-f]{16}$/);
    expect(j.counts.inputsByType.StatusUpdate).toBeGreaterThan(0);
    expect(j.faults).toHaveLength(2);
    expect(j.nodes["master-1"].state).toMatchObject({ recoveryState: "ALIVE" });
    expect(j.jobs["pi-1"].state).toBe("succeeded");
  });

  it("cli: --trace writes one JSON line per delivered input", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flint-sim-"));
    const file = join(dir, "trace.jsonl");
    expect(await run([scenario("task-retry-abort.json"), "--trace", file, "--json"])).toBe(0);
    const lines = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.length).toBe(JSON.parse(stdout).counts.steps);
    expect(lines[0]).toMatchObject({ step: 0, t: 0, node: "master-1", input: { type: "init" } });
  });

  it("cli: --story shows only the steps that mention the id; --verbose every step", async () => {
    expect(await run([scenario("worker-gives-up.json"), "--story", "worker-1"])).toBe(0);
    const lines = stdout.split("\n").filter((l) => /^\s+\d+\.\d{3}s/.test(l));
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.every((l) => l.includes("worker-1"))).toBe(true);
  });

  it("cli: a failing run exits 1 and prints the one-line replay command", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flint-sim-"));
    const file = join(dir, "s.json");
    const s = JSON.parse(readFileSync(scenario("task-retry-abort.json"), "utf8"));
    s.expect.jobs.doomed = "succeeded";
    writeFileSync(file, JSON.stringify(s));
    expect(await run([file, "--seed", "3"])).toBe(1);
    expect(stdout).toContain("FAIL task-retry-abort");
    expect(stderr).toContain(`replay: flint sim ${file} --seed 3`);
  });

  it("cli: bad usage and bad scenario files exit 2 with a clear message", async () => {
    expect(await run([])).toBe(2);
    expect(stderr).toContain("missing the scenario file");
    expect(await run([scenario("lost-tasks.json"), "--seed", "x"])).toBe(2);
    expect(await run([scenario("lost-tasks.json"), "--bogus"])).toBe(2);
    expect(await run(["/nonexistent.json"])).toBe(2);
    const dir = mkdtempSync(join(tmpdir(), "flint-sim-"));
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify({ name: "x", comment: "y", timeLimitMs: 5, cluster: { workers: [{ cores: 0, memoryMb: 1 }] } }));
    expect(await run([file])).toBe(2);
    expect(stderr).toContain("cluster.workers[0].cores: must be at least 1");
  });

  it("cli: --help exits 0; --until stops early and says so", async () => {
    expect(await run(["--help"])).toBe(0);
    expect(stdout).toContain("Usage: flint sim");
    stdout = "";
    expect(await run([scenario("master-failover.json"), "--until", "5s", "--json"])).toBe(1);
    expect(JSON.parse(stdout).virtualTimeMs).toBe(5000);
  });
});
