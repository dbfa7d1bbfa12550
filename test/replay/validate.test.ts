/**
 * `--validate` (issue 17, item 4): a node checks its own invariants after every step, in process.
 * A step that breaks one is logged once at ERROR with the step; a real validated cluster runs a
 * job with no violation, and its nodes say they validate.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { master } from "../../src/protocol/master/index.js";
import { resolveConfig } from "../../src/protocol/config.js";
import type { Address } from "../../src/protocol/ids.js";
import type { Effect } from "../../src/protocol/io.js";
import { startLocalCluster, type LocalCluster } from "../../src/real/cluster/local.js";
import { connect } from "../../src/real/driver/api.js";
import { createMemoryLogger } from "../../src/real/log.js";
import { nodeValidator } from "../../src/replay/validate.js";
import { DIST_READY, expected, FAST_PROTOCOL, naps, ProcessTracker, SLOW_APP } from "../real/cluster/harness.js";

const M = "flint://127.0.0.1:7077" as Address;
const W = "flint://127.0.0.1:7078" as Address;

function logged(): {
  entries: Array<{ level: string; event: string; fields: Record<string, unknown> }>;
  log(level: "info" | "error", event: string, fields: Record<string, unknown>): void;
} {
  const entries: Array<{ level: string; event: string; fields: Record<string, unknown> }> = [];
  return { entries, log: (level, event, fields) => entries.push({ level, event, fields }) };
}

describe("--validate: a node's own invariants after every step", () => {
  it("a standby master that schedules is caught at that step, once", () => {
    const log = logged();
    const validate = nodeValidator("master", M, log);
    const { state, effects } = master.init({ address: M, protocol: resolveConfig({}), seed: 1 }, { now: 1_000 });
    validate(0, null, effects, 1_000, state);
    expect(log.entries.filter((e) => e.level === "error")).toEqual([]);
    const launch: Effect = {
      type: "send",
      to: W,
      message: {
        type: "LaunchExecutor",
        masterUrl: M,
        appId: "app-1" as never,
        execId: 0,
        appDesc: { name: "a", memoryPerExecutorMb: 512, coresPerExecutor: 1, command: { module: "a.mjs" } },
        driverAddress: W,
        cores: 1,
        memoryMb: 512,
      },
    };
    validate(7, { type: "timer", key: "x" }, [launch], 1_001, state);
    validate(8, { type: "timer", key: "x" }, [launch], 1_002, state);
    const errors = log.entries.filter((e) => e.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      event: "invariant-violated",
      fields: { check: "I7:only-leader-schedules", step: 7, input: "timer" },
    });
    expect(String(errors[0]!.fields["detail"])).toMatch(/sent LaunchExecutor .* in STANDBY/);
  });
});

describe.skipIf(!DIST_READY)("--validate on a real cluster", () => {
  const tracker = new ProcessTracker();
  let cluster: LocalCluster | undefined;
  afterAll(async () => {
    await cluster?.stop({ graceMs: 3_000 });
    expect(tracker.cleanup()).toEqual([]);
  });

  it("master, workers and the driver validate every step of a job and find nothing", async () => {
    const c = (cluster = await startLocalCluster({
      workers: 2,
      coresPerWorker: 1,
      memoryPerWorkerMb: 2048,
      protocol: FAST_PROTOCOL,
      logLevel: "warn",
      readyTimeoutMs: 15_000,
      validate: true,
      journal: false,
    }));
    tracker.track(c.master.pid);
    for (const w of c.workers) tracker.track(w.pid);
    const driverLog = createMemoryLogger("driver");
    const d = await connect({
      master: c.masterUrl,
      module: SLOW_APP,
      secret: c.secret,
      protocol: FAST_PROTOCOL,
      logger: driverLog,
      journal: false,
      validate: (address) => nodeValidator("driver", address, driverLog),
    });
    expect(await d.run("nap", naps(12, 10))).toEqual(expected(12));
    await d.close();
    const logs = ["master", "worker-1", "worker-2"].map((n) => readFileSync(join(c.logDir, `${n}.log`), "utf8"));
    for (const text of logs) {
      expect(text).toMatch(/"event":"validate-on"/);
      expect(text).not.toMatch(/invariant-violated/);
    }
    expect(driverLog.entries.some((e) => e.event === "validate-on")).toBe(true);
    expect(driverLog.entries.filter((e) => e.event === "invariant-violated")).toEqual([]);
  });
});
