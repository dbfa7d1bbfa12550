/** The real-cluster pieces that need no cluster: store, ids, options, modules, status channel, launcher. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { address, appId, formatWorkerId, workerId } from "../../../src/protocol/ids.js";
import type { Input } from "../../../src/protocol/io.js";
import type { PersistedRecord } from "../../../src/protocol/records.js";
import { parseCommandLine, parseSizeMb, UsageError } from "../../../src/cli/args.js";
import { spec as statusSpec } from "../../../src/cli/commands/status.js";
import { spec as submitSpec } from "../../../src/cli/commands/submit.js";
import { makeWorkerId } from "../../../src/real/cluster/ids.js";
import { ProcessLauncher } from "../../../src/real/cluster/launcher.js";
import { allowedCpus, workerCpus } from "../../../src/real/cluster/local.js";
import { taskPayloads } from "../../../src/real/driver/api.js";
import { protocolConfigFromEnv } from "../../../src/real/runtime.js";
import { requestStatus, startStatusServer } from "../../../src/real/cluster/status.js";
import { createMemoryLogger } from "../../../src/real/log.js";
import { InMemoryRecoveryStore } from "../../../src/real/recovery/memory.js";
import { cacheModule, hashSource, shippedModuleOf } from "../../../src/real/tasks/module.js";
import { isAlive, ROOT, waitFor } from "./harness.js";

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "flint-unit-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("recovery store (in memory)", () => {
  const worker: PersistedRecord = {
    kind: "worker",
    worker: { id: workerId("w-1"), host: "h", port: 1, address: address("flint://h:1"), cores: 2, memoryMb: 512 },
  };
  const app: PersistedRecord = {
    kind: "app",
    app: {
      id: appId("app-1"),
      desc: { name: "a", memoryPerExecutorMb: 1, command: {} },
      driverAddress: address("flint://d:2"),
      startTimeMs: 5,
    },
  };

  it("store: read returns what was persisted, by kind, as copies; unpersist removes it", async () => {
    const store = new InMemoryRecoveryStore();
    await store.persist("worker_w-1", worker);
    await store.persist("app_app-1", app);
    const stored = (await store.read()).records;
    expect(stored.workers).toEqual([(worker as Extract<PersistedRecord, { kind: "worker" }>).worker]);
    expect(stored.apps).toHaveLength(1);
    stored.workers[0]!.cores = 99;
    expect((await store.read()).records.workers[0]!.cores).toBe(2);
    await store.unpersist("worker_w-1");
    expect((await store.read()).records.workers).toEqual([]);
  });

  it("store: a key that does not match its record is refused", async () => {
    await expect(new InMemoryRecoveryStore().persist("app_other", app)).rejects.toThrow(/does not match/);
  });
});

describe("ids, options and config", () => {
  it("worker id: worker-<yyyyMMddHHmmss>-<host>-<port>", () => {
    expect(makeWorkerId("10.0.0.1", 7078, Date.UTC(2024, 0, 2, 3, 4, 5))).toBe("worker-20240102030405-10.0.0.1-7078");
  });

  it("worker id: its timestamp is UTC whatever the process's time zone, as the simulator's (one formatter)", () => {
    const src = `import { makeWorkerId } from ${JSON.stringify(join(ROOT, "dist/real/cluster/ids.js"))}; process.stdout.write(makeWorkerId("h", 1, Date.UTC(2024, 0, 2, 23, 4, 5)));`;
    for (const tz of ["Asia/Tokyo", "America/Los_Angeles"]) {
      const out = spawnSync(process.execPath, ["--input-type=module", "-e", src], { env: { ...process.env, TZ: tz }, encoding: "utf8" });
      expect(out.stdout, out.stderr).toBe("worker-20240102230405-h-1");
    }
    expect(makeWorkerId("h", 1, 0)).toBe(formatWorkerId(0, "h", 1));
  });

  it("memory sizes read as Spark's (512m, 8g) and a bad one names its option", () => {
    expect(parseSizeMb("512m", "--memory")).toBe(512);
    expect(parseSizeMb("8g", "--memory")).toBe(8192);
    expect(parseSizeMb("2048", "--memory")).toBe(2048);
    expect(() => parseSizeMb("lots", "--executor-memory")).toThrow(/--executor-memory/);
  });

  it("options: values, flags, --x=y, and the application's own arguments after the module", () => {
    const parsed = parseCommandLine(submitSpec, ["app.mjs", "--master=flint://h:1", "--supervise", "a", "--", "-b"]);
    if (parsed.help) throw new Error("not a help request");
    expect(parsed.options.master).toBe("flint://h:1");
    expect(parsed.options.supervise).toBe(true);
    expect(parsed.positionals).toEqual(["app.mjs", "a"]);
    expect(parsed.rest).toEqual(["-b"]);
    expect(() => parseCommandLine(statusSpec, ["--nope"])).toThrow(UsageError);
    expect(() => parseCommandLine(statusSpec, ["--master"])).toThrow(/--master needs a value/);
    const raw = parseCommandLine(submitSpec, ["x", "--", "--raw"]);
    expect(raw.help === false && raw.rest).toEqual(["--raw"]);
  });

  it("config: FLINT_PROTOCOL_CONFIG overrides the defaults; bad JSON is reported", () => {
    expect(protocolConfigFromEnv({ FLINT_PROTOCOL_CONFIG: '{"workerTimeoutMs":2000}' }).workerHeartbeatIntervalMs).toBe(500);
    expect(() => protocolConfigFromEnv({ FLINT_PROTOCOL_CONFIG: "{" })).toThrow(/not JSON/);
    expect(() => protocolConfigFromEnv({ FLINT_PROTOCOL_CONFIG: '{"workerTimeoutMs":-1}' })).toThrow(/workerTimeoutMs/);
  });
});

describe("module shipping", () => {
  it("module: cached once under its content hash; a source that does not match its hash is refused", () => {
    const source = "export const f = () => 1;\n";
    const shipped = shippedModuleOf({ moduleHash: hashSource(source), moduleName: "m.mjs", moduleSource: source });
    const dir = tempDir();
    const url = cacheModule(dir, shipped);
    expect(url).toBe(`file://${join(dir, "modules", `${hashSource(source)}.mjs`)}`);
    expect(cacheModule(dir, shipped)).toBe(url);
    expect(() => shippedModuleOf({ moduleHash: hashSource("x"), moduleSource: source })).toThrow(/does not match/);
    expect(() => shippedModuleOf({})).toThrow(/carries no module/);
  });
});

describe("status channel", () => {
  it("status: answers an authenticated client with the snapshot and refuses a wrong secret", async () => {
    const logger = createMemoryLogger("master");
    const server = await startStatusServer({
      host: "127.0.0.1",
      port: 0,
      nodeAddress: address("flint://127.0.0.1:7077"),
      secret: "right",
      logger,
      snapshot: () => ({ ok: 1 }),
    });
    try {
      const port = Number(server.address.split(":").at(-1));
      expect(await requestStatus({ host: "127.0.0.1", port }, { secret: "right" })).toEqual({ ok: 1 });
      await expect(requestStatus({ host: "127.0.0.1", port }, { secret: "wrong" })).rejects.toThrow(/bad-proof|closed/);
      await expect(requestStatus({ host: "127.0.0.1", port })).rejects.toThrow(/secret|closed/);
      await waitFor("rejections logged", () => logger.entries.filter((e) => e.event === "status-request-rejected").length >= 2, 2_000);
    } finally {
      await server.close();
    }
  });
});

describe("process launcher", () => {
  it("launcher: reports processLaunched, writes launch.json, and a kill ends in processExited", async () => {
    const dir = tempDir();
    const script = join(dir, "sleeper.mjs");
    writeFileSync(script, "process.on('SIGTERM', () => process.exit(7)); process.stdout.write('up\\n'); setInterval(() => {}, 1000);\n");
    const inputs: Input[] = [];
    const launcher = new ProcessLauncher({
      workDir: join(dir, "work"),
      host: "127.0.0.1",
      logger: createMemoryLogger("worker"),
      report: (i) => inputs.push(i),
      executorEntry: script,
    });
    const ref = { kind: "executor" as const, appId: appId("app-1"), execId: 3 };
    launcher.launch({
      kind: "executor",
      appId: ref.appId,
      execId: 3,
      cores: 1,
      memoryMb: 128,
      appDesc: { name: "x", memoryPerExecutorMb: 128, command: {} },
      driverAddress: address("flint://d:1"),
      workerAddress: address("flint://w:2"),
      workerId: workerId("w"),
    });
    await waitFor("processLaunched", () => inputs.some((i) => i.type === "processLaunched"));
    const executorDir = join(dir, "work", "app-1", "3");
    expect(JSON.parse(readFileSync(join(executorDir, "launch.json"), "utf8"))).toMatchObject({
      kind: "executor",
      appId: "app-1",
      execId: 3,
      host: "127.0.0.1",
      workDir: executorDir,
    });
    // SIGTERM only once the script has installed its handler (it says so on its stdout file).
    await waitFor("the child up", () => readFileSync(join(executorDir, "stdout"), "utf8").includes("up"));
    launcher.kill(ref, 5_000);
    await waitFor("processExited", () => inputs.find((i) => i.type === "processExited"));
    expect(inputs.find((i) => i.type === "processExited")).toEqual({ type: "processExited", process: ref, exitCode: 7 });
    expect(launcher.running).toBe(0);
  });

  it("launcher: SIGKILL after the grace period when SIGTERM is ignored (exit 137)", async () => {
    const dir = tempDir();
    const script = join(dir, "stubborn.mjs");
    writeFileSync(script, "process.on('SIGTERM', () => {}); process.stdout.write('up\\n'); setInterval(() => {}, 1000);\n");
    const inputs: Input[] = [];
    const launcher = new ProcessLauncher({
      workDir: dir,
      host: "127.0.0.1",
      logger: createMemoryLogger("worker"),
      report: (i) => inputs.push(i),
      driverEntry: script,
    });
    launcher.launch({
      kind: "driver",
      driverId: "driver-1" as never,
      desc: { cores: 1, memoryMb: 128, supervise: false, command: {} },
      workerAddress: address("flint://w:2"),
      workerId: workerId("w"),
    });
    await waitFor("processLaunched", () => inputs.some((i) => i.type === "processLaunched"));
    await waitFor("the child up", () => readFileSync(join(dir, "driver-1", "stdout"), "utf8").includes("up"));
    launcher.kill({ kind: "driver", driverId: "driver-1" as never }, 200);
    const exited = await waitFor("processExited", () => inputs.find((i) => i.type === "processExited"));
    expect(exited).toMatchObject({ exitCode: 137 });
  });

  it("launcher: a launch that cannot start reports processLaunchFailed", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "blocked"), "a file where a directory must go");
    const inputs: Input[] = [];
    const launcher = new ProcessLauncher({
      workDir: dir,
      host: "127.0.0.1",
      logger: createMemoryLogger("worker"),
      report: (i) => inputs.push(i),
    });
    launcher.launch({
      kind: "driver",
      driverId: "blocked/inner" as never,
      desc: { cores: 1, memoryMb: 128, supervise: false, command: {} },
      workerAddress: address("flint://w:2"),
      workerId: workerId("w"),
    });
    expect(inputs[0]).toMatchObject({ type: "processLaunchFailed" });
  });

  const canPin =
    process.platform === "linux" && (process.env["PATH"] ?? "").split(":").some((d) => d !== "" && existsSync(join(d, "taskset")));
  it.skipIf(!canPin)("launcher: executors are pinned to the worker's CPU list (every thread), drivers are not", async () => {
    const cpus = allowedCpus();
    const dir = tempDir();
    const script = join(dir, "sleeper.mjs");
    writeFileSync(script, "process.stdout.write('up\\n'); setInterval(() => {}, 1000);\n");
    const inputs: Input[] = [];
    const logger = createMemoryLogger("worker");
    const pinTo = String(cpus.at(-1));
    const launcher = new ProcessLauncher({
      workDir: dir,
      host: "127.0.0.1",
      logger,
      report: (i) => inputs.push(i),
      executorEntry: script,
      driverEntry: script,
      executorCpus: pinTo,
    });
    launcher.launch({
      kind: "executor",
      appId: appId("app-1"),
      execId: 1,
      cores: 1,
      memoryMb: 128,
      appDesc: { name: "x", memoryPerExecutorMb: 128, command: {} },
      driverAddress: address("flint://d:1"),
      workerAddress: address("flint://w:2"),
      workerId: workerId("w"),
    });
    launcher.launch({
      kind: "driver",
      driverId: "driver-1" as never,
      desc: { cores: 1, memoryMb: 128, supervise: false, command: {} },
      workerAddress: address("flint://w:2"),
      workerId: workerId("w"),
    });
    await waitFor("the executor pinned", () => logger.entries.some((e) => e.event === "process-pinned"), 5_000);
    const [executorPid, driverPid] = launcher.pids();
    const allowed = (pid: number, tid: string): string =>
      /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8"))![1]!;
    for (const tid of readdirSync(`/proc/${executorPid}/task`)) expect(allowed(executorPid!, tid)).toBe(pinTo);
    if (cpus.length > 1) expect(allowed(driverPid!, String(driverPid))).not.toBe(pinTo);
    await launcher.killAll(1_000);
    expect([executorPid, driverPid].some((pid) => isAlive(pid!))).toBe(false);
  });

  it.skipIf(!canPin)(
    "launcher: a CPU list that is not one is ignored with a warning; one the system refuses costs a warning, not the executor",
    async () => {
      const dir = tempDir();
      const script = join(dir, "sleeper.mjs");
      writeFileSync(script, "process.stdout.write('up\\n'); setInterval(() => {}, 1000);\n");
      const bad = createMemoryLogger("worker");
      new ProcessLauncher({ workDir: dir, host: "127.0.0.1", logger: bad, report: () => {}, executorCpus: "0;rm -rf /" });
      expect(bad.entries).toContainEqual(expect.objectContaining({ level: "warn", event: "executor-cpus-ignored" }));
      const inputs: Input[] = [];
      const logger = createMemoryLogger("worker");
      const launcher = new ProcessLauncher({
        workDir: dir,
        host: "127.0.0.1",
        logger,
        report: (i) => inputs.push(i),
        executorEntry: script,
        executorCpus: "4095",
      });
      launcher.launch({
        kind: "executor",
        appId: appId("app-1"),
        execId: 2,
        cores: 1,
        memoryMb: 128,
        appDesc: { name: "x", memoryPerExecutorMb: 128, command: {} },
        driverAddress: address("flint://d:1"),
        workerAddress: address("flint://w:2"),
        workerId: workerId("w"),
      });
      await waitFor("the pin to fail", () => logger.entries.some((e) => e.event === "process-pin-failed"), 5_000);
      expect(inputs).toContainEqual(expect.objectContaining({ type: "processLaunched" }));
      expect(inputs.some((i) => i.type === "processExited")).toBe(false);
      await launcher.killAll(1_000);
    },
  );

  it("local: each worker gets CPUs of its own while all fit, else none is pinned", () => {
    expect(workerCpus(0, 2, 1, [0, 1])).toBe("0");
    expect(workerCpus(1, 2, 1, [0, 1])).toBe("1");
    expect(workerCpus(1, 2, 2, [0, 1, 2, 3])).toBe("2,3");
    expect(workerCpus(1, 2, 1, [4, 6])).toBe("6");
    expect(workerCpus(0, 3, 1, [0, 1])).toBeUndefined();
    expect(workerCpus(2, 2, 1, [0, 1])).toBeUndefined();
    expect(workerCpus(0, 1, 0, [0, 1])).toBeUndefined();
    const cpus = allowedCpus();
    expect(cpus.length).toBeGreaterThan(0);
    expect(cpus.every((c) => Number.isInteger(c) && c >= 0)).toBe(true);
  });
});

describe("driver API", () => {
  it("taskPayloads: each payload carries { module, fn, input } and exactly the byte size of its JSON", () => {
    const keyed = { toJSON: (key: string) => `key:${key}` };
    const inputs: unknown[] = [
      0,
      -1.5,
      "é✓ 𝄞",
      "",
      null,
      undefined,
      true,
      [1, [2, { a: "ü" }]],
      { nested: { deep: ["x"] } },
      new Date(0),
      keyed,
      () => 1,
    ];
    const payloads = taskPayloads("f".repeat(64), "fn✓", inputs);
    expect(payloads).toHaveLength(inputs.length);
    payloads.forEach((p, i) => {
      expect(p.data).toEqual({ module: "f".repeat(64), fn: "fn✓", input: inputs[i] === undefined ? null : inputs[i] });
      expect(p.sizeBytes).toBe(Buffer.byteLength(JSON.stringify(p.data)));
    });
  });
});
