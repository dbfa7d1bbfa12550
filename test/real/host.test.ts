import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { jobId, type Address } from "../../src/protocol/ids.js";
import type { Notification } from "../../src/protocol/io.js";
import { EXIT_STEP_THREW, startHost, type Host, type HostDeps } from "../../src/real/host.js";
import { createLogger, createMemoryLogger, type LogEntry } from "../../src/real/log.js";
import { Transport } from "../../src/real/transport.js";
import { fileTempDir } from "../hygiene/tempDir.js";
import { SECRET, closeAll, track, waitFor } from "./fixtures.js";
import { toy, type ToyConfig, type ToyState } from "./toy-role.js";

const TMP = fileTempDir("flint-log-");

interface Started {
  host: Host<ToyState>;
  log: LogEntry[];
  notes: Notification[];
  exits: Array<{ code: number; reason: string }>;
}

async function startToy(name: string, config: Omit<ToyConfig, "self">, deps: Partial<HostDeps> = {}): Promise<Started> {
  const logger = deps.logger ?? createMemoryLogger(name);
  const transport = track(new Transport({ logger, secret: SECRET }));
  const self = await transport.listen("127.0.0.1", 0);
  const notes: Notification[] = [];
  const exits: Array<{ code: number; reason: string }> = [];
  const host = startHost(
    toy,
    { ...config, self },
    {
      transport,
      logger,
      onNotify: (n) => notes.push(n),
      onExit: (code, reason) => exits.push({ code, reason }),
      ...deps,
    },
  );
  track({ close: () => host.stop() });
  return { host, log: "entries" in logger ? (logger as { entries: LogEntry[] }).entries : [], notes, exits };
}

describe("host: a role over real TCP", () => {
  afterEach(closeAll);

  it("host: two toy hosts ping-pong over TCP; the pinger notifies and exits 0; the other sees it disconnect", async () => {
    const b = await startToy("b", { pings: 0, intervalMs: 10 });
    const a = await startToy("a", { peer: b.host.address, pings: 5, intervalMs: 10 });
    const result = await a.host.exited;
    expect(result).toEqual({ code: 0, reason: "all pongs received" });
    expect(a.exits).toEqual([{ code: 0, reason: "all pongs received" }]);
    expect(a.notes).toEqual([{ kind: "jobSucceeded", jobId: jobId("pings"), results: [5] }]);
    expect(a.host.state.seen.filter((s) => s === "timer:ping").length).toBe(5);
    expect(a.host.running).toBe(false);
    expect(a.log.some((e) => e.event === "never-logged")).toBe(false); // no effect after exit
    expect(a.log.some((e) => e.event === "toy-started")).toBe(true); // init's effects ran
    await waitFor(() => b.host.state.seen.includes(`peerDisconnected:${a.host.address}`), "b to see a go");
    expect(b.host.state.seen.filter((s) => s === "message:ExecutorHeartbeat").length).toBe(5);
  });

  it("host: setTimer replaces a pending timer of the same key; cancelTimer stops one", async () => {
    const a = await startToy("a", { pings: 0, intervalMs: 10 });
    a.host.input({ type: "command", command: { kind: "killTask", taskId: 1, reason: "r" } });
    await new Promise((r) => setTimeout(r, 150));
    expect(a.host.state.seen.filter((s) => s.startsWith("timer:"))).toEqual(["timer:later"]);
  });

  it("host: a throwing step is logged with its input and ends the node with exit code 70", async () => {
    const b = await startToy("b", { pings: 0, intervalMs: 10 });
    const a = await startToy("a", { peer: b.host.address, pings: 0, intervalMs: 10 });
    a.host.input({ type: "command", command: { kind: "cancelJob", jobId: jobId("j"), reason: "boom" } });
    const result = await a.host.exited;
    expect(result.code).toBe(EXIT_STEP_THREW);
    expect(result.reason).toMatch(/toy step threw: toy bug in a timer/);
    const entry = a.log.find((e) => e.event === "step-threw")!;
    expect(entry.level).toBe("error");
    expect(entry.fields).toMatchObject({
      role: "toy",
      input: { type: "timer", key: "boom" },
      error: expect.stringContaining("toy bug in a timer"),
    });
    a.host.input({ type: "command", command: { kind: "stop" } });
    expect(a.host.state.seen.at(-1)).toBe("timer:boom"); // nothing stepped after the throw
  });

  it("host: a message that makes step throw stops that node only; its peer carries on", async () => {
    const b = await startToy("b", { pings: 0, intervalMs: 10 });
    const a = await startToy("a", { peer: b.host.address, pings: 0, intervalMs: 10 });
    a.host.input({ type: "command", command: { kind: "stopApplication" } }); // a sends StopExecutor to b
    expect((await b.host.exited).code).toBe(EXIT_STEP_THREW);
    await waitFor(() => a.host.state.seen.includes(`peerDisconnected:${b.host.address}`), "a to see b go");
    expect(a.host.running).toBe(true);
  });

  it("host: delegated effects go to their handlers, which report back as inputs; a missing one is logged by name", async () => {
    const ran: unknown[] = [];
    const a = await startToy(
      "a",
      { pings: 0, intervalMs: 10 },
      {
        handlers: {
          runTask: (effect, host) => {
            ran.push(effect.task.taskId);
            host.input({ type: "taskFinished", taskId: effect.task.taskId, outcome: { kind: "success", value: 1, sizeBytes: 1 } });
          },
          persist: () => {
            throw new Error("disk full");
          },
        },
      },
    );
    a.host.input({ type: "command", command: { kind: "requestTotalExecutors", total: 42 } });
    expect(ran).toEqual([42]);
    expect(a.host.state.seen.slice(-2)).toEqual(["command:requestTotalExecutors", "taskFinished"]);
    expect(a.host.state.reentered).toBe(false); // the handler's input waited for the step to end
    expect(a.log.find((e) => e.event === "effect-unhandled")!.fields).toMatchObject({
      effect: "launch",
      why: expect.stringContaining("'launch'"),
    });
    expect(a.log.find((e) => e.event === "handler-threw")!.fields).toMatchObject({
      effect: "persist",
      error: expect.stringContaining("disk full"),
    });
    expect(a.host.running).toBe(true);
  });

  it("host: a send to its own address is delivered locally after the current step", async () => {
    const a = await startToy("a", { pings: 0, intervalMs: 10 });
    a.host.input({ type: "command", command: { kind: "killExecutors", executorIds: [a.host.address] } });
    expect(a.host.state.seen.slice(-3)).toEqual(["command:killExecutors", "message:ExecutorHeartbeat", "message:HeartbeatResponse"]);
  });

  it("host: ctx.now never decreases, even when the wall clock steps back", async () => {
    const times = [1_000, 2_000, 1_500, 900, 3_000];
    let i = 0;
    const a = await startToy("a", { pings: 0, intervalMs: 10 }, { clock: () => times[Math.min(i++, times.length - 1)]! });
    for (let k = 0; k < 4; k++) a.host.input({ type: "command", command: { kind: "stop" } });
    expect(a.host.state.nows).toEqual([1_000, 2_000, 2_000, 2_000, 3_000]);
  });

  it("host: inputs are stepped one at a time, in arrival order, across a flood larger than one turn", async () => {
    const a = await startToy("a", { pings: 0, intervalMs: 10 });
    for (let k = 0; k < 2_500; k++) a.host.input({ type: "command", command: { kind: "stop" } });
    await waitFor(() => a.host.state.seen.length === 2_500, "2,500 steps");
    expect(a.host.state.reentered).toBe(false);
  });

  it("host: stop() from outside ends the node once, with its code, and closes the transport", async () => {
    const a = await startToy("a", { peer: "flint://127.0.0.1:9" as Address, pings: 100, intervalMs: 5 });
    await a.host.stop(0, "SIGTERM");
    await a.host.stop(1, "again");
    expect(a.exits).toEqual([{ code: 0, reason: "SIGTERM" }]);
    const steps = a.host.state.seen.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(a.host.state.seen.length).toBe(steps); // its timers died with it
    expect(() =>
      startHost(
        toy,
        { self: "x" as Address, pings: 0, intervalMs: 1 },
        { transport: new Transport({ logger: createMemoryLogger(), secret: SECRET }), logger: createMemoryLogger() },
      ),
    ).toThrow(/no address/);
  });

  it("host: log effects go to the file as JSON lines and to the console as readable lines", async () => {
    const dir = mkdtempSync(join(TMP, "log-"));
    const file = join(dir, "logs", "toy.jsonl");
    let console = "";
    const sink = new Writable({ write: (chunk, _e, cb) => ((console += String(chunk)), cb()) });
    const logger = createLogger({ node: "toy-a", file, console: sink });
    const b = await startToy("b", { pings: 0, intervalMs: 10 });
    const a = await startToy("a", { peer: b.host.address, pings: 1, intervalMs: 5 }, { logger });
    await a.host.exited;
    await logger.close();
    const lines = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l["event"] === "toy-started")).toMatchObject({
      level: "info",
      node: "toy-a",
      peer: b.host.address,
      ts: expect.stringMatching(/^\d{4}-/),
    });
    expect(lines.find((l) => l["event"] === "exit")).toMatchObject({ code: 0, reason: "all pongs received" });
    expect(console).toMatch(/\d\d:\d\d:\d\d\.\d{3} INFO {2}toy-a toy-started peer=flint:\/\/127\.0\.0\.1:\d+/);
    expect(console).toMatch(/exit code=0 reason="all pongs received"/);
  });

  it("host: a timer that went off but was cancelled before its turn is not delivered", async () => {
    const cmd = (reason: string) => ({ type: "command" as const, command: { kind: "cancelJob" as const, jobId: jobId("j"), reason } });
    const a = await startToy(
      "a",
      { pings: 0, intervalMs: 10 },
      {
        handlers: {
          // Floods the queue from inside a step, so the host yields mid-queue and the timer goes off meanwhile.
          runTask: (_effect, host) => {
            host.input(cmd("set:x:0"));
            for (let k = 0; k < 30_000; k++) host.input({ type: "command", command: { kind: "stop" } });
            host.input(cmd("cancel:x"));
          },
        },
      },
    );
    a.host.input({ type: "command", command: { kind: "requestTotalExecutors", total: 1 } });
    await waitFor(() => a.host.state.seen.at(-1) === "command:cancelJob" && a.host.state.seen.length > 30_000, "the whole flood");
    await new Promise((r) => setTimeout(r, 30));
    expect(a.log.some((e) => e.event === "timer-stale" && e.fields["key"] === "x")).toBe(true); // it did go off mid-flood
    expect(a.host.state.seen).not.toContain("timer:x");
    expect(a.host.state.reentered).toBe(false);
  });

  it("host: misbehaving callbacks and unknown effects are logged, never fatal; trace logs steps", async () => {
    const cmd = (reason: string) => ({ type: "command" as const, command: { kind: "cancelJob" as const, jobId: jobId("j"), reason } });
    const a = await startToy(
      "a",
      { pings: 0, intervalMs: 10 },
      {
        trace: true,
        onNotify: () => {
          throw new Error("notify bug");
        },
        onExit: () => {
          throw new Error("exit bug");
        },
      },
    );
    a.host.input(cmd("notify"));
    a.host.input(cmd("unknown-effect"));
    expect(a.host.running).toBe(true);
    const threw = a.log.filter((e) => e.event === "handler-threw").map((e) => e.fields);
    expect(threw[0]).toMatchObject({ effect: "notify", error: expect.stringContaining("notify bug") });
    expect(a.log.find((e) => e.event === "effect-unknown")!.fields["effect"]).toContain("teleport");
    expect(a.log.filter((e) => e.event === "step").length).toBe(2);
    await a.host.stop(3, "test");
    expect(a.log.filter((e) => e.event === "handler-threw").at(-1)!.fields).toMatchObject({ handler: "onExit" });
    expect(await a.host.exited).toEqual({ code: 3, reason: "test" });
  });
});
