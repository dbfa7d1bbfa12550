/**
 * Path traversal through ids: every id that may become a path component is refused by the codec
 * where it enters, and the worker's launcher refuses (second wall) to create or remove anything
 * outside its work directory even when handed such an id directly. Nothing outside changes.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { address, appId, driverId, workerId } from "../../../src/protocol/ids.js";
import type { Input } from "../../../src/protocol/io.js";
import { ID_PATTERN, decodeMessage, describeCodecError, encodeMessage } from "../../../src/real/codec.js";
import { ProcessLauncher, pathInside } from "../../../src/real/cluster/launcher.js";
import { createMemoryLogger } from "../../../src/real/log.js";
import { SAMPLE_MESSAGES } from "../fixtures.js";
import type { Message } from "../../../src/protocol/messages.js";

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "flint-sec-paths-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const TRAVERSALS = ["../../victim-dir", "..", ".", "/etc", "a/b", "a\\b", "", "-rf", `x${"y".repeat(200)}`, "app\u0000x", " app"];

/** Every place a message carries an id, as a way to put `bad` there. */
const ID_FIELDS: Array<[string, (bad: string) => Message]> = [
  ["ApplicationFinished.appId", (bad) => ({ ...SAMPLE_MESSAGES.ApplicationFinished, appId: bad }) as Message],
  ["LaunchDriver.driverId", (bad) => ({ ...SAMPLE_MESSAGES.LaunchDriver, driverId: bad }) as Message],
  ["KillDriver.driverId", (bad) => ({ ...SAMPLE_MESSAGES.KillDriver, driverId: bad }) as Message],
  ["LaunchExecutor.appId", (bad) => ({ ...SAMPLE_MESSAGES.LaunchExecutor, appId: bad }) as Message],
  ["KillExecutor.appId", (bad) => ({ ...SAMPLE_MESSAGES.KillExecutor, appId: bad }) as Message],
  ["RegisterWorker.workerId", (bad) => ({ ...SAMPLE_MESSAGES.RegisterWorker, workerId: bad }) as Message],
  ["Heartbeat.workerId", (bad) => ({ ...SAMPLE_MESSAGES.Heartbeat, workerId: bad }) as Message],
  ["WorkerLatestState.driverIds", (bad) => ({ ...SAMPLE_MESSAGES.WorkerLatestState, driverIds: [bad] }) as Message],
  [
    "WorkerLatestState.executors.appId",
    (bad) =>
      ({
        ...SAMPLE_MESSAGES.WorkerLatestState,
        executors: [{ appId: bad, execId: 0, cores: 1, memoryMb: 512, state: "RUNNING" }],
      }) as Message,
  ],
  ["KillExecutors.executorIds", (bad) => ({ ...SAMPLE_MESSAGES.KillExecutors, executorIds: ["0", bad] }) as Message],
  ["RegisterExecutor.executorId", (bad) => ({ ...SAMPLE_MESSAGES.RegisterExecutor, executorId: bad }) as Message],
  ["DriverStatusResponse.workerId", (bad) => ({ ...SAMPLE_MESSAGES.DriverStatusResponse, workerId: bad }) as Message],
  [
    "LaunchTask.task.executorId",
    (bad) =>
      ({
        ...SAMPLE_MESSAGES.LaunchTask,
        task: { ...(SAMPLE_MESSAGES.LaunchTask as Extract<Message, { type: "LaunchTask" }>).task, executorId: bad },
      }) as Message,
  ],
];

describe("security: ids that become paths", () => {
  it("codec: ids flint makes match the id pattern", () => {
    for (const ok of [
      "app-20240102030405-0000",
      "driver-20240102030405-0001",
      "worker-20240102030405-127.0.0.1-7078",
      "worker-20240102030405-::1-7078",
      "0",
      "17",
      "driver",
    ])
      expect(ID_PATTERN.test(ok), ok).toBe(true);
  });

  for (const [field, make] of ID_FIELDS) {
    it(`codec: a traversal in ${field} is refused, naming the field`, () => {
      for (const bad of TRAVERSALS) {
        const decoded = decodeMessage(encodeMessage(make(bad)));
        expect(decoded.ok, `${field} = ${JSON.stringify(bad)}`).toBe(false);
        if (!decoded.ok) expect(describeCodecError(decoded.error)).toMatch(/expected an id/);
      }
      expect(decodeMessage(encodeMessage(make("app-1"))).ok).toBe(true);
    });
  }

  it("launcher: pathInside refuses what climbs out of (or is) the root", () => {
    expect(pathInside("/w", "app-1", "0")).toBe("/w/app-1/0");
    expect(pathInside("/w", "../x")).toBeUndefined();
    expect(pathInside("/w", "..")).toBeUndefined();
    expect(pathInside("/w", ".")).toBeUndefined();
    expect(pathInside("/w", "/etc")).toBeUndefined();
    expect(pathInside("/w", "a/../../x")).toBeUndefined();
    expect(pathInside("/w", "app-1", "../../x")).toBeUndefined();
    expect(pathInside("/w", "a/..b")).toBe("/w/a/..b");
  });

  it("launcher: a launch or cleanup whose id climbs out of the work directory is refused with a log; nothing outside changes", async () => {
    const dir = tempDir();
    const work = join(dir, "work");
    const victim = join(dir, "victim-dir");
    mkdirSync(victim);
    writeFileSync(join(victim, "precious"), "keep me");
    const inputs: Input[] = [];
    const logger = createMemoryLogger("worker");
    const launcher = new ProcessLauncher({
      workDir: work,
      host: "127.0.0.1",
      logger,
      report: (i) => inputs.push(i),
      executorEntry: "/nonexistent",
      driverEntry: "/nonexistent",
    });
    const before = readdirSync(dir).sort();

    await launcher.cleanupApp(appId("../victim-dir"));
    await launcher.cleanupApp(appId(".."));
    await launcher.cleanupApp(appId(""));
    expect(existsSync(join(victim, "precious"))).toBe(true);
    expect(existsSync(work)).toBe(true);
    expect(logger.entries.filter((e) => e.event === "app-dir-cleanup-refused")).toHaveLength(3);

    launcher.launch({
      kind: "driver",
      driverId: driverId("../escaped"),
      desc: { cores: 1, memoryMb: 64, supervise: false, command: {} },
      workerAddress: address("flint://w:2"),
      workerId: workerId("w"),
    });
    launcher.launch({
      kind: "executor",
      appId: appId("../escaped-app"),
      execId: 0,
      cores: 1,
      memoryMb: 64,
      appDesc: { name: "x", memoryPerExecutorMb: 64, command: {} },
      driverAddress: address("flint://d:1"),
      workerAddress: address("flint://w:2"),
      workerId: workerId("w"),
    });
    launcher.launch({
      kind: "executor",
      appId: appId(".."),
      execId: 0,
      cores: 1,
      memoryMb: 64,
      appDesc: { name: "x", memoryPerExecutorMb: 64, command: {} },
      driverAddress: address("flint://d:1"),
      workerAddress: address("flint://w:2"),
      workerId: workerId("w"),
    });
    expect(inputs.map((i) => i.type)).toEqual(["processLaunchFailed", "processLaunchFailed", "processLaunchFailed"]);
    expect(inputs[0]).toMatchObject({ error: expect.stringMatching(/outside/) });
    expect(logger.entries.filter((e) => e.event === "launch-refused")).toHaveLength(3);
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(readdirSync(work)).toEqual([]);
  });

  it("launcher: the work directory is 0700, a child's directories 0700 and its launch file 0600", async () => {
    const dir = tempDir();
    const work = join(dir, "work");
    mkdirSync(work, { mode: 0o755 });
    const script = join(dir, "quick.mjs");
    writeFileSync(script, "process.exit(0);\n");
    const inputs: Input[] = [];
    const launcher = new ProcessLauncher({
      workDir: work,
      host: "127.0.0.1",
      logger: createMemoryLogger("worker"),
      report: (i) => inputs.push(i),
      executorEntry: script,
      driverEntry: script,
    });
    expect(statSync(work).mode & 0o777).toBe(0o700);
    launcher.launch({
      kind: "executor",
      appId: appId("app-1"),
      execId: 0,
      cores: 1,
      memoryMb: 64,
      appDesc: { name: "x", memoryPerExecutorMb: 64, command: {} },
      driverAddress: address("flint://d:1"),
      workerAddress: address("flint://w:2"),
      workerId: workerId("w"),
    });
    launcher.launch({
      kind: "driver",
      driverId: driverId("driver-1"),
      desc: { cores: 1, memoryMb: 64, supervise: false, command: {} },
      workerAddress: address("flint://w:2"),
      workerId: workerId("w"),
    });
    for (const d of [join(work, "app-1"), join(work, "app-1", "0"), join(work, "driver-1")])
      expect(statSync(d).mode & 0o777, d).toBe(0o700);
    for (const f of [
      join(work, "app-1", "0", "launch.json"),
      join(work, "driver-1", "launch.json"),
      join(work, "driver-1", "stdout"),
      join(work, "driver-1", "stderr"),
    ])
      expect(statSync(f).mode & 0o777, f).toBe(0o600);
    await launcher.idle();
  });
});
