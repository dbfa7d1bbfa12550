/**
 * The executor's task pool (src/real/tasks/pool.ts) over its shared-memory channel: quick tasks
 * collected in the call that launched them, slow and async ones through the port, payloads too
 * large for the channel, failures, kills and a thread's leftover timers. Runs the compiled thread
 * from dist/ (build first: `npm run build`).
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import type { TaskId } from "../../src/protocol/ids.js";
import type { TaskOutcome } from "../../src/protocol/io.js";
import type { TaskDescription } from "../../src/protocol/messages.js";
import type * as PoolModule from "../../src/real/tasks/pool.js";
import { assertFreshBuild } from "../hygiene/build.js";

const DIST_POOL = fileURLToPath(new URL("../../dist/real/tasks/pool.js", import.meta.url));
const DIST_READY = existsSync(DIST_POOL) && existsSync(fileURLToPath(new URL("../../dist/real/tasks/channel.js", import.meta.url)));

// These tests run dist/: after an edit without a build they would test the old code.
assertFreshBuild();

const dir = mkdtempSync(join(tmpdir(), "flint-pool-"));
const MODULE = join(dir, "app.mjs");
writeFileSync(
  MODULE,
  `
export function echo(x) { return x; }
export function big(n) { return "x".repeat(n); }
export function size(s) { return s.length; }
export async function nap({ ms, value }) { await new Promise((r) => setTimeout(r, ms)); return value; }
export function boom(x) { throw new RangeError("input " + x + " is out of range"); }
export function fn() { return () => 1; }
export function spin({ ms }) { const end = Date.now() + ms; while (Date.now() < end) {} return "spun"; }
export function later() { setTimeout(() => { globalThis.leftover = "ran"; }, 10); return null; }
export function leftover() { return globalThis.leftover ?? "not yet"; }
`,
);
const BROKEN = join(dir, "broken.mjs");
writeFileSync(BROKEN, "export function f() {}\nthrow new Error('cannot load');\n");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Finished = { taskId: TaskId; outcome: TaskOutcome; inRun: boolean };

const pools: PoolModule.TaskPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

let nextTaskId = 1;
function task(fn: string, input: unknown, module = "app"): TaskDescription {
  const taskId = nextTaskId++ as TaskId;
  return {
    taskId,
    attemptNumber: 0,
    executorId: "1",
    taskSetId: "ts",
    index: taskId,
    cpus: 1,
    payload: { data: { module, fn, input }, sizeBytes: 1 },
  } as unknown as TaskDescription;
}

/** A pool whose completions are recorded, with whether they came inside `run` (the quick path). */
async function makePool(threads = 1, syncWaitMs?: number, poolUrl = pathToFileURL(DIST_POOL).href) {
  const { TaskPool } = (await import(poolUrl)) as typeof PoolModule;
  const finished: Finished[] = [];
  let inRun = false;
  const waiters: Array<() => void> = [];
  const pool = new TaskPool({
    threads,
    ...(syncWaitMs !== undefined ? { syncWaitMs } : {}),
    moduleUrl: (hash) => (hash === "app" ? pathToFileURL(MODULE).href : hash === "broken" ? pathToFileURL(BROKEN).href : undefined),
    onFinished: (taskId, outcome) => {
      finished.push({ taskId, outcome, inRun });
      for (const w of waiters.splice(0)) w();
    },
  });
  pools.push(pool);
  const run = (t: TaskDescription): void => {
    inRun = true;
    try {
      pool.run(t);
    } finally {
      inRun = false;
    }
  };
  /** Runs one task and waits for its outcome. */
  const runOne = async (t: TaskDescription): Promise<Finished> => {
    run(t);
    return waitFor(t.taskId);
  };
  const waitFor = async (taskId: TaskId, timeoutMs = 10_000): Promise<Finished> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = finished.find((f) => f.taskId === taskId);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`task ${taskId} did not finish within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  };
  return { pool, finished, run, runOne, waitFor };
}

const success = (value: unknown) => expect.objectContaining({ kind: "success", value });

describe.skipIf(!DIST_READY)("task pool (shared-memory channel)", () => {
  it("pool: quick tasks return their results, and once they have been quick are collected inside run()", async () => {
    const p = await makePool();
    const outcomes: Finished[] = [];
    for (let i = 0; i < 20; i++) outcomes.push(await p.runOne(task("echo", { i, s: "é✓" })));
    outcomes.forEach((f, i) => expect(f.outcome).toEqual(success({ i, s: "é✓" })));
    expect(outcomes[0]!.outcome).toMatchObject({ sizeBytes: Buffer.byteLength(JSON.stringify({ i: 0, s: "é✓" })) });
    // The first task imports the module (not quick); later ones are awaited on the doorbell.
    expect(outcomes[0]!.inRun).toBe(false);
    expect(outcomes.slice(5).filter((f) => f.inRun).length).toBeGreaterThan(10);
  });

  it("pool: with syncWaitMs 0 the main thread never waits on the doorbell", async () => {
    const p = await makePool(1, 0);
    // The wait itself is what syncWaitMs 0 rules out, so the waits are counted. (Whether a result
    // comes inside run() is no measure of it: a reply the thread finished before run() looked, as a
    // main thread preempted on a loaded machine lets it, is collected there without waiting.)
    const waits = vi.spyOn(Atomics, "wait");
    try {
      for (let i = 0; i < 10; i++) expect((await p.runOne(task("echo", i))).outcome).toEqual(success(i));
      expect(waits).not.toHaveBeenCalled();
    } finally {
      waits.mockRestore();
    }
  });

  it("pool: a slow task does not hold run() longer than the wait bound, and its result comes later", async () => {
    const p = await makePool();
    for (let i = 0; i < 5; i++) await p.runOne(task("echo", i));
    const t = task("nap", { ms: 300, value: "late" });
    const started = performance.now();
    p.run(t);
    expect(performance.now() - started).toBeLessThan(100);
    const f = await p.waitFor(t.taskId);
    expect(f.outcome).toEqual(success("late"));
    expect(f.inRun).toBe(false);
    // The slot learns again that tasks are quick.
    const again: Finished[] = [];
    for (let i = 0; i < 5; i++) again.push(await p.runOne(task("echo", i)));
    expect(again.some((x) => x.inRun)).toBe(true);
  });

  it("pool: an input and a result too large for the channel travel on the port, quick or not", async () => {
    const p = await makePool();
    for (let i = 0; i < 5; i++) await p.runOne(task("echo", i));
    const large = "y".repeat(200_000);
    expect((await p.runOne(task("size", large))).outcome).toEqual(success(200_000));
    const f = await p.runOne(task("big", 100_000));
    expect(f.outcome).toEqual(expect.objectContaining({ kind: "success", value: "x".repeat(100_000), sizeBytes: 100_002 }));
    expect((await p.runOne(task("echo", "after"))).outcome).toEqual(success("after"));
  });

  it("pool: failures come back with message and stack, quick or not: thrown, not serializable, missing function, module that fails to load", async () => {
    const p = await makePool();
    for (let i = 0; i < 5; i++) await p.runOne(task("echo", i));
    const thrown = await p.runOne(task("boom", 7));
    expect(thrown.outcome).toMatchObject({ kind: "failure", message: "RangeError: input 7 is out of range" });
    expect((thrown.outcome as { stack?: string }).stack).toMatch(/at boom/);
    expect((await p.runOne(task("fn", null))).outcome).toMatchObject({ kind: "failure", notSerializable: true });
    expect((await p.runOne(task("nothing", null))).outcome).toMatchObject({
      kind: "failure",
      message: "the application module exports no function 'nothing'",
    });
    expect((await p.runOne(task("f", null, "broken"))).outcome).toMatchObject({ kind: "failure", message: "Error: cannot load" });
    expect((await p.runOne(task("f", null, "unknown"))).outcome).toMatchObject({
      kind: "failure",
      message: "module unknown was not shipped to this executor",
    });
    expect((await p.runOne(task("echo", "fine"))).outcome).toEqual(success("fine"));
  });

  it("pool: killing a running task terminates its thread; a fresh thread runs the next task", async () => {
    const p = await makePool();
    for (let i = 0; i < 5; i++) await p.runOne(task("echo", i));
    const t = task("spin", { ms: 20_000 });
    p.run(t);
    await new Promise((r) => setTimeout(r, 50));
    p.pool.kill(t.taskId, "stop");
    expect((await p.waitFor(t.taskId)).outcome).toEqual({ kind: "killed", reason: "stop" });
    expect((await p.runOne(task("echo", "next"))).outcome).toEqual(success("next"));
  });

  it("pool: killing a queued task answers it at once; the running one finishes", async () => {
    const p = await makePool();
    const running = task("nap", { ms: 100, value: "done" });
    const queued = task("echo", "never");
    p.run(running);
    p.run(queued);
    p.pool.kill(queued.taskId, "not needed");
    expect((await p.waitFor(queued.taskId)).outcome).toEqual({ kind: "killed", reason: "not needed" });
    expect((await p.waitFor(running.taskId)).outcome).toEqual(success("done"));
    expect(p.finished.filter((f) => f.taskId === queued.taskId)).toHaveLength(1);
  });

  it("pool: two threads run two tasks at once; quick ones are collected from both", async () => {
    const p = await makePool(2);
    const slow = [task("nap", { ms: 200, value: 1 }), task("nap", { ms: 200, value: 2 })];
    const started = performance.now();
    for (const t of slow) p.run(t);
    for (const t of slow) await p.waitFor(t.taskId);
    expect(performance.now() - started).toBeLessThan(390);
    for (let round = 0; round < 10; round++) {
      const pair = [task("echo", round * 2), task("echo", round * 2 + 1)];
      for (const t of pair) p.run(t);
      for (const [i, t] of pair.entries()) expect((await p.waitFor(t.taskId)).outcome).toEqual(success(round * 2 + i));
    }
  });

  it("pool: timers a task left behind still fire while the thread is idle", async () => {
    const p = await makePool();
    await p.runOne(task("echo", 0));
    await p.runOne(task("later", null));
    await new Promise((r) => setTimeout(r, 250));
    expect((await p.runOne(task("leftover", null))).outcome).toEqual(success("ran"));
  });

  it("pool: failures and successes alternating on one thread keep their own outcomes (a failure's late DONE never leaks into the next task)", async () => {
    // A failure's reply is posted on the port before the thread marks the task DONE. Posting it wakes
    // the main thread; were the task counted as finished on that reply alone, the main thread could
    // hand over the next task before the thread's swap to DONE, which then marks the next task DONE:
    // a run() meanwhile took the stale DONE as its reply ("the reply was announced but is missing").
    // Naturally the thread must be preempted right after posting (about once per 5,000 failures);
    // here a copy of the thread pauses 2 ms at exactly that point, so every round opens the window.
    const copy = mkdtempSync(join(tmpdir(), "flint-pool-race-"));
    try {
      const threadJs = readFileSync(fileURLToPath(new URL("../../dist/real/tasks/thread.js", import.meta.url)), "utf8");
      const post = "if (length < 0)\n            port.postMessage(result);";
      expect(threadJs.split(post)).toHaveLength(2);
      writeFileSync(
        join(copy, "thread.js"),
        threadJs.replace(post, `${post} { const until = performance.now() + 2; while (performance.now() < until) {} }`),
      );
      for (const file of ["pool.js", "channel.js", "serializable.js"])
        copyFileSync(fileURLToPath(new URL(`../../dist/real/tasks/${file}`, import.meta.url)), join(copy, file));
      for (const file of ["pool.js", "channel.js", "thread.js", "serializable.js"])
        copyFileSync(fileURLToPath(new URL(`../../dist/real/tasks/${file}.map`, import.meta.url)), join(copy, `${file}.map`));
      const p = await makePool(1, undefined, pathToFileURL(join(copy, "pool.js")).href);
      const expected = new Map<TaskId, { kind: string; message?: string; value?: unknown }>();
      for (let round = 0; round < 40; round++) {
        const failing = task("boom", round);
        const next = round % 2 === 0 ? task("spin", { ms: 8 }) : task("boom", -round);
        const probe = task("echo", round);
        expected.set(failing.taskId, { kind: "failure", message: `RangeError: input ${round} is out of range` });
        expected.set(
          next.taskId,
          round % 2 === 0
            ? { kind: "success", value: "spun" }
            : { kind: "failure", message: `RangeError: input ${-round} is out of range` },
        );
        expected.set(probe.taskId, { kind: "success", value: round });
        p.run(failing);
        p.run(next);
        // The failure comes back while the main thread sleeps; a new task arrives while `next` runs.
        await new Promise((r) => setTimeout(r, 4));
        p.run(probe);
        await p.waitFor(probe.taskId);
      }
      const wrong: string[] = [];
      for (const f of p.finished) {
        const want = expected.get(f.taskId);
        const got =
          f.outcome.kind === "failure"
            ? { kind: "failure", message: f.outcome.message }
            : f.outcome.kind === "success"
              ? { kind: "success", value: f.outcome.value }
              : f.outcome;
        if (JSON.stringify(got) !== JSON.stringify(want))
          wrong.push(`task ${f.taskId}: want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
      }
      expect({ wrong: wrong.slice(0, 3), count: wrong.length }).toEqual({ wrong: [], count: 0 });
      expect(p.finished).toHaveLength(expected.size);
    } finally {
      await Promise.all(pools.splice(0).map((q) => q.close()));
      rmSync(copy, { recursive: true, force: true });
    }
  }, 30_000);

  it("pool: close() terminates idle threads (sleeping in Atomics.wait) promptly", async () => {
    const p = await makePool(2);
    await p.runOne(task("echo", 1));
    const started = performance.now();
    await p.pool.close();
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
