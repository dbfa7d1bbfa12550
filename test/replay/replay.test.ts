/**
 * The flight recorder and `flint replay` (issue 17): a real cluster with the recorder on runs jobs
 * while an executor, a worker and the master are killed with -9 (the master restarted on its
 * recovery directory); replaying its journals reproduces every step's effects and finds no
 * violation. A planted slip in another build's reducer is named by node, step and file, and bad
 * journals (truncated, corrupt, another format or protocol version) get an error naming the file
 * and the step.
 */
import { spawnSync } from "node:child_process";
import { cpSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalCluster } from "../../src/real/cluster/local.js";
import { connect, type Cluster } from "../../src/real/driver/api.js";
import { createMemoryLogger } from "../../src/real/log.js";
import { fileTempDir } from "../hygiene/tempDir.js";
import {
  DIST_READY,
  expected,
  executorsUnder,
  FAST_PROTOCOL,
  FLINT_BIN,
  kill,
  naps,
  ProcessTracker,
  ROOT,
  runUntil,
  SLOW_APP,
  startTestCluster,
  waitFor,
} from "../real/cluster/harness.js";

const tracker = new ProcessTracker();
const tmp = fileTempDir("flint-replay-");
let cluster: LocalCluster | undefined;
let driver: Cluster | undefined;
/** A copy of the recorded journals (the cluster's directory is removed when it stops). */
const journal = join(tmp, "journal");

function flint(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [FLINT_BIN, ...args], { encoding: "utf8", timeout: 60_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** A fresh copy of the recorded journals, to damage. */
function copyOfJournal(name: string): string {
  const dir = join(tmp, name);
  cpSync(journal, dir, { recursive: true });
  return dir;
}

const files = (dir: string, prefix: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.startsWith(prefix))
    .sort()
    .map((f) => join(dir, f));

describe.skipIf(!DIST_READY)("flight recorder and flint replay", () => {
  beforeAll(async () => {
    const c = (cluster = await startTestCluster(tracker));
    expect(c.journalDir).toBeDefined();
    const d = (driver = await connect({
      master: c.masterUrl,
      module: SLOW_APP,
      secret: c.secret,
      protocol: FAST_PROTOCOL,
      logger: createMemoryLogger("driver"),
      journal: c.journalDir!,
    }));
    // An executor killed mid-job.
    let run = runUntil(d, 30, 100, 4);
    await run.reached;
    kill(executorsUnder(c.workers[0]!.pid)[0] ?? executorsUnder(c.workers[1]!.pid)[0]!, "SIGKILL");
    expect(await run.job).toEqual(expected(30));
    // A worker killed mid-job.
    run = runUntil(d, 30, 100, 4);
    await run.reached;
    kill(c.workers[0]!.pid, "SIGKILL");
    expect(await run.job).toEqual(expected(30));
    // The master killed mid-job and restarted on its recovery directory.
    run = runUntil(d, 20, 100, 4);
    await run.reached;
    kill(c.master.pid, "SIGKILL");
    await c.master.exited;
    tracker.track((await c.restartMaster(0)).pid);
    await waitFor(
      "the restarted master ALIVE",
      async () => (await c.status().catch(() => undefined))?.recoveryState === "ALIVE",
      20_000,
      100,
    );
    expect(await run.job).toEqual(expected(20));
    expect(await d.run("nap", naps(4, 10))).toEqual(expected(4));
    await d.close();
    driver = undefined;
    await c.stop({ graceMs: 3_000, keepDir: true });
    cpSync(c.journalDir!, journal, { recursive: true });
    rmSync(c.dir, { recursive: true, force: true });
    cluster = undefined;
  }, 120_000);

  afterAll(async () => {
    await driver?.close().catch(() => {});
    if (cluster) {
      await cluster.stop({ graceMs: 3_000 });
    }
    expect(tracker.cleanup()).toEqual([]);
  });

  it("every node journaled: two masters (one restart), two workers, the driver, the executors", () => {
    expect(files(journal, "master-")).toHaveLength(2);
    expect(files(journal, "worker-")).toHaveLength(2);
    expect(files(journal, "driver-")).toHaveLength(1);
    expect(files(journal, "executor-").length).toBeGreaterThanOrEqual(3);
  });

  it("replay reproduces every step's effects and finds no violation", () => {
    const r = flint("replay", journal);
    expect(r.out).toMatch(/every effect as recorded, no invariant broken/);
    expect(r.status).toBe(0);
  });

  it("every message between journaled nodes carries its send's id: the receipt's `m` names a send of that message to it", () => {
    type Rec = {
      s: number;
      i: { type: string; from?: string; message?: unknown };
      e: Array<{ type: string; to?: string; message?: unknown }>;
      m?: number[];
    };
    const journals = readdirSync(journal).map((f) => {
      const [header, ...lines] = readFileSync(join(journal, f), "utf8").trimEnd().split("\n");
      const h = JSON.parse(header!) as { node: string; pid: number; initEffects?: Rec["e"] };
      return { ...h, records: lines.map((l) => JSON.parse(l) as Rec) };
    });
    const senders = new Map(journals.map((j) => [`${j.node}|${j.pid}`, j]));
    const journaledNodes = new Set(journals.map((j) => j.node));
    let paired = 0;
    let lostTail = 0;
    for (const j of journals)
      for (const r of j.records) {
        if (r.i.type !== "message" || !journaledNodes.has(r.i.from!)) continue;
        expect(r.m, `${j.node} step ${r.s}`).toEqual([expect.any(Number), expect.any(Number), expect.any(Number)]);
        const [pid, step, index] = r.m!;
        const sender = senders.get(`${r.i.from}|${pid}`);
        expect(sender, `${j.node} step ${r.s}: a journal of pid ${pid} at ${r.i.from}`).toBeDefined();
        const effects = step === 0 ? sender!.initEffects : sender!.records.find((x) => x.s === step)?.e;
        if (effects === undefined && step > (sender!.records.at(-1)?.s ?? 0)) {
          lostTail++; // the killed sender's last buffered records
          continue;
        }
        expect(effects?.[index], `${j.node} step ${r.s} <- ${r.i.from} ${step}/${index}`).toEqual({
          type: "send",
          to: j.node,
          message: r.i.message,
        });
        paired++;
      }
    expect(paired).toBeGreaterThan(200);
    expect(lostTail).toBeLessThan(paired / 10);
  });

  it("a receipt whose id was corrupted is reported, naming the receiver's step and what the sender's journal holds", () => {
    const dir = copyOfJournal("bad-id");
    const file = files(dir, "executor-")[0]!;
    const lines = readFileSync(file, "utf8").split("\n");
    const at = lines.findIndex((l) => /"m":\[\d+,\d+,\d+\]\}$/.test(l));
    expect(at).toBeGreaterThan(0);
    const step = (JSON.parse(lines[at]!) as { s: number }).s;
    lines[at] = lines[at]!.replace(/"m":\[(\d+),(\d+),(\d+)\]\}$/, '"m":[$1,$2,99]}');
    writeFileSync(file, lines.join("\n"));
    const r = flint("replay", dir);
    expect(r.status, r.out).toBe(1);
    expect(r.out).toMatch(
      new RegExp(
        `a received message names no recorded send: executor \\S+: step ${step} received \\w+ from \\S+ with id \\d+/\\d+/99 \\(pid/step/effect\\), in ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}, but step \\d+ of .* has \\d+ effects, none at index 99`,
      ),
    );
    // An id that is not [pid, step, index] at all is a corrupt record.
    lines[at] = lines[at]!.replace(/"m":\[[^\]]*\]\}$/, '"m":"x"}');
    writeFileSync(file, lines.join("\n"));
    const bad = flint("replay", dir);
    expect(bad.status).toBe(2);
    expect(bad.out).toContain(
      `${file}:${at + 1}: corrupt record: its message id 'm' is "x", not [pid, step, index]${step > 1 ? ` (after step ${step - 1})` : ""}`,
    );
  });

  it("a killed process's lost last records: its messages that arrived are counted, not taken for a FIFO violation", () => {
    const dir = copyOfJournal("lost-tail");
    // An executor's journal cut after its last step that sent a task's status (the writer's buffer lost with kill -9).
    const file = files(dir, "executor-").find((f) => readFileSync(f, "utf8").includes('"StatusUpdate"'))!;
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");
    let cut = lines.length - 1;
    while (cut > 1 && !lines[cut]!.includes('"type":"send"')) cut--;
    writeFileSync(file, lines.slice(0, cut).join("\n") + "\n");
    const r = flint("replay", dir);
    expect(r.out).toMatch(/every effect as recorded, no invariant broken \(.*[1-9]\d* messages whose sending step was lost/);
    expect(r.status).toBe(0);
  });

  it("replay --code with a planted slip in the worker's reducer names the first step that differs", () => {
    const other = join(tmp, "other-build");
    cpSync(join(ROOT, "dist"), join(other, "dist"), { recursive: true });
    // Another build is a checkout with its dependencies (the protocol's schemas import TypeBox).
    symlinkSync(join(ROOT, "node_modules"), join(other, "node_modules"));
    const file = join(other, "dist", "protocol", "worker", "registration.js");
    const source = readFileSync(file, "utf8");
    const line = "fx.push(setTimer(TIMER_HEARTBEAT, s.protocol.workerHeartbeatIntervalMs));";
    expect(source).toContain(line);
    writeFileSync(file, source.replace(line, "fx.push(setTimer(TIMER_HEARTBEAT, s.protocol.workerHeartbeatIntervalMs + 1));"));
    // The same journals replay cleanly with an unchanged copy... (checked above); with the slip:
    const r = flint("replay", journal, "--code", other);
    expect(r.status).toBe(1);
    const m = /worker (flint:\/\/\S+): step (\d+) gives other effects than recorded \(effect \d+\), in (\S+)/.exec(r.out);
    expect(m, r.out).not.toBeNull();
    const [, , step, named] = m!;
    // The named step is a heartbeat timer of that worker, and the first one it handled after registering.
    const records = readFileSync(named!, "utf8")
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => JSON.parse(l) as { s: number; i: { type: string; key?: string } });
    const firstHeartbeat = records.find((rec) => rec.i.type === "timer" && rec.i.key === "heartbeat");
    expect(firstHeartbeat?.s).toBe(Number(step));
    expect(r.out).toMatch(/"key":"heartbeat","afterMs":(\d+)\}\n {2}replayed: .*"afterMs":\d+/);
  });

  it("--to-scenario writes the observed cluster, workload and faults as a scenario the simulator accepts", async () => {
    const file = join(tmp, "recorded.json");
    const r = flint("replay", journal, "--to-scenario", file);
    expect(r.status, r.out).toBe(0);
    const scenario = JSON.parse(readFileSync(file, "utf8")) as {
      cluster: { masters: number; workers: Array<{ count: number; cores: number }> };
      apps: Array<{ name: string; jobs: Array<{ stages: Array<{ tasks: number }> }> }>;
      faults: Array<{ kind: string; target: string; restartAfterMs?: number }>;
    };
    const { parseScenario } = await import("../../src/sim/scenario.js");
    expect(() => parseScenario(scenario)).not.toThrow();
    expect(scenario.cluster).toMatchObject({ masters: 1, workers: [{ count: 2, cores: 1 }] });
    expect(scenario.apps).toHaveLength(1);
    expect(scenario.apps[0]!.jobs.map((j) => j.stages[0]!.tasks)).toEqual([30, 30, 20, 4]);
    // The three kills: an executor, worker-1 (never back), the master (restarted on its directory).
    expect(scenario.faults.some((f) => f.kind === "crash" && f.target.startsWith("executor:"))).toBe(true);
    expect(scenario.faults.some((f) => f.kind === "crash" && f.target === "master-1" && (f.restartAfterMs ?? -1) >= 0)).toBe(true);
    expect(scenario.faults.filter((f) => f.target.startsWith("worker-"))).toHaveLength(1);
  });

  it("a truncated journal: an error naming the file and the step", () => {
    const dir = copyOfJournal("truncated");
    const file = files(dir, "master-")[0]!;
    const text = readFileSync(file, "utf8");
    const lines = text.trimEnd().split("\n");
    writeFileSync(file, text.slice(0, text.length - 20));
    const r = flint("replay", dir);
    expect(r.status).toBe(2);
    expect(r.out).toContain(`${file}:${lines.length}: truncated: the last record is incomplete (after step ${lines.length - 2})`);
  });

  it("a corrupt record: an error naming the file, the line and the step", () => {
    const dir = copyOfJournal("corrupt");
    const file = files(dir, "worker-")[0]!;
    const lines = readFileSync(file, "utf8").split("\n");
    lines[3] = lines[3]!.slice(0, 30) + "#" + lines[3]!.slice(31);
    writeFileSync(file, lines.join("\n"));
    const r = flint("replay", dir);
    expect(r.status).toBe(2);
    expect(r.out).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:4: corrupt record: .* \\(after step 2\\)`));
  });

  it("a missing record: an error naming the step expected", () => {
    const dir = copyOfJournal("gap");
    const file = files(dir, "driver-")[0]!;
    const lines = readFileSync(file, "utf8").split("\n");
    lines.splice(5, 1);
    writeFileSync(file, lines.join("\n"));
    const r = flint("replay", dir);
    expect(r.status).toBe(2);
    expect(r.out).toContain(`${file}:6: step 6 where step 5 was expected (a record is missing) (after step 4)`);
  });

  it("another journal format or protocol version: an error naming the file", () => {
    const dir = copyOfJournal("version");
    const file = files(dir, "executor-")[0]!;
    const text = readFileSync(file, "utf8");
    writeFileSync(file, text.replace('"flintJournal":1,', '"flintJournal":9,'));
    let r = flint("replay", dir);
    expect(r.status).toBe(2);
    expect(r.out).toContain(`${file}:1: journal format 9; this flint reads format 1`);
    writeFileSync(file, text.replace(/"protocolVersion":\d+,/, '"protocolVersion":1,'));
    r = flint("replay", dir);
    expect(r.status).toBe(2);
    expect(r.out).toMatch(/:1: written by protocol version 1; the code replaying it speaks version \d+/);
  });

  it("bad usage: no directory, an empty directory, a --code without a build", () => {
    expect(flint("replay").status).toBe(2);
    const empty = join(tmp, "empty");
    cpSync(journal, empty, { recursive: true, filter: (src) => src === journal });
    const r = flint("replay", empty);
    expect(r.status).toBe(2);
    expect(r.out).toMatch(/holds no journal/);
    const c = flint("replay", journal, "--code", tmp);
    expect(c.status).toBe(2);
    expect(c.out).toMatch(/--code .*: no built flint there/);
  });
});
