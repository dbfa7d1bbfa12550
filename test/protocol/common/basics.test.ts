import { describe, expect, it } from "vitest";
import {
  AssertionError,
  assert,
  assertNever,
  DEFAULT_CONFIG,
  formatTimestamp,
  hasBug,
  KNOWN_BUGS,
  MESSAGE_TYPES,
  nextFloat,
  recordKey,
  resolveConfig,
  seedRng,
  shuffled,
  validateConfig,
  isExecutorFinished,
  isTaskFinished,
  isAppFinished,
  isDriverFinal,
  fullExecutorId,
  appId,
} from "../../../src/protocol/index.js";

describe("config", () => {
  it("has Spark's defaults (docs/protocol.md §2)", () => {
    expect(DEFAULT_CONFIG).toMatchObject({
      workerTimeoutMs: 60_000,
      workerHeartbeatIntervalMs: 15_000,
      deadWorkerPersistence: 15,
      initialRegistrationRetries: 6,
      totalRegistrationRetries: 16,
      maxExecutorRetries: 10,
      spreadOutApps: true,
      appRegistrationTimeoutMs: 20_000,
      appRegistrationRetries: 3,
      reviveIntervalMs: 1_000,
      executorHeartbeatIntervalMs: 10_000,
      networkTimeoutMs: 120_000,
      taskMaxFailures: 4,
      maxMessageSizeBytes: 128 * 1024 * 1024,
      retainedApplications: 200,
      retainedDrivers: 200,
    });
  });

  it("derives the heartbeat and recovery timeout from an overridden worker timeout, as Spark does", () => {
    const c = resolveConfig({ workerTimeoutMs: 8_000 });
    expect(c.workerHeartbeatIntervalMs).toBe(2_000);
    expect(c.recoveryTimeoutMs).toBe(8_000);
    expect(resolveConfig({ workerTimeoutMs: 8_000, recoveryTimeoutMs: 1_000 }).recoveryTimeoutMs).toBe(1_000);
  });

  it("rejects bad overrides naming the field", () => {
    expect(() => resolveConfig({ workerTimeoutMs: -1 })).toThrow(/workerTimeoutMs must not be negative/);
    expect(() => resolveConfig({ taskMaxFailures: 0 })).toThrow(/taskMaxFailures must be positive/);
    expect(() => resolveConfig({ reviveIntervalMs: Number.NaN })).toThrow(/reviveIntervalMs must be a finite number/);
    expect(() => resolveConfig({ maxMessageSizeBytes: 4096 * 1024 * 1024 })).toThrow(/2047 MiB/);
    expect(() => resolveConfig({ totalRegistrationRetries: 2 })).toThrow(/totalRegistrationRetries/);
    expect(validateConfig({ ...resolveConfig(), bugs: [1] as never })).toEqual(["bugs must be a list of names"]);
    expect(resolveConfig({ maxExecutorRetries: -1 }).maxExecutorRetries).toBe(-1);
  });

  it("switches museum bugs on by name only", () => {
    expect(hasBug(resolveConfig(), "SPARK-36509")).toBe(false);
    expect(hasBug(resolveConfig({ bugs: ["SPARK-36509"] }), "SPARK-36509")).toBe(true);
  });

  it("refuses a bug name the museum does not know, listing the known ones (a typo must not pass for a buggy run)", () => {
    expect(() => resolveConfig({ bugs: ["SPARK-3650"] })).toThrow(
      /unknown bug "SPARK-3650" \(known: SPARK-4592, .*GHOST-APP, GHOST-EXECUTOR, OLD-MASTER-ONLY, WAIT-FOR-MASTER\)/,
    );
    for (const name of Object.keys(KNOWN_BUGS)) expect(validateConfig(resolveConfig({ bugs: [name] }))).toEqual([]);
  });
});

describe("clock", () => {
  it("formats Spark's yyyyMMddHHmmss in UTC without Date", () => {
    expect(formatTimestamp(0)).toBe("19700101000000");
    expect(formatTimestamp(1_767_225_600_000)).toBe("20260101000000");
    expect(formatTimestamp(951_825_599_000)).toBe("20000229115959");
    for (const ms of [1, 86_399_999, 1_700_000_000_123, 4_102_444_800_000]) {
      const iso = new Date(ms).toISOString();
      expect(formatTimestamp(ms)).toBe(iso.slice(0, 19).replace(/[-T:]/g, ""));
    }
  });
});

describe("random", () => {
  it("is a pure function of its seed, in [0, 1)", () => {
    const a = { rng: seedRng(42) };
    const b = { rng: seedRng(42) };
    const xs = Array.from({ length: 1000 }, () => nextFloat(a));
    expect(Array.from({ length: 1000 }, () => nextFloat(b))).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBeGreaterThan(990);
    expect(seedRng(1)).not.toBe(seedRng(2));
  });

  it("shuffles a copy, keeping every element", () => {
    const h = { rng: seedRng(1) };
    const items = [1, 2, 3, 4, 5, 6, 7, 8];
    const out = shuffled(h, items);
    expect(items).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...out].sort()).toEqual(items);
  });
});

describe("assertions, states, records, messages", () => {
  it("assert throws an AssertionError; assertNever always throws", () => {
    expect(() => assert(false, "broken")).toThrow(AssertionError);
    expect(() => assert(true, "fine")).not.toThrow();
    expect(() => assertNever("x" as never)).toThrow(/unexpected value/);
  });

  it("classifies finished states as Spark does", () => {
    expect(["KILLED", "FAILED", "LOST", "EXITED"].every((s) => isExecutorFinished(s as never))).toBe(true);
    expect(isExecutorFinished("RUNNING")).toBe(false);
    expect(isTaskFinished("LOST")).toBe(true);
    expect(isTaskFinished("RUNNING")).toBe(false);
    expect(isAppFinished("WAITING")).toBe(false);
    expect(isAppFinished("FAILED")).toBe(true);
    expect(isDriverFinal("RELAUNCHING")).toBe(false);
    expect(isDriverFinal("ERROR")).toBe(true);
  });

  it("names persisted records as Spark does", () => {
    expect(recordKey({ kind: "worker", worker: { id: "w" } } as never)).toBe("worker_w");
    expect(recordKey({ kind: "app", app: { id: "a" } } as never)).toBe("app_a");
    expect(recordKey({ kind: "driver", driver: { id: "d" } } as never)).toBe("driver_d");
    expect(fullExecutorId(appId("app-1"), 3)).toBe("app-1/3");
  });

  it("lists every message type once", () => {
    expect(new Set(MESSAGE_TYPES).size).toBe(MESSAGE_TYPES.length);
    expect(MESSAGE_TYPES).toContain("RegisterWorker");
    expect(MESSAGE_TYPES).toContain("StatusUpdate");
  });
});
