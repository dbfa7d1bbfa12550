/**
 * The scenario language: every mistake that used to pass silently (a misspelled selector, a field of
 * another fault kind, a target outside the cluster) is an error when the file loads, and `flint sim`
 * exits 2 naming the field; the expectations a scenario can state (exact counts, message fields,
 * order) can fail; a recovery store and injected messages can be written as data.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "../../src/cli/commands/sim.js";
import { runScenario } from "../../src/sim/cluster.js";
import { ROLES } from "../../src/sim/roles.js";
import { parseScenario, ScenarioError } from "../../src/sim/scenario.js";
import { dropNodes, loadable } from "../../src/sim/shrink/index.js";
import { captureOutput, SCENARIO_DIR } from "./helpers.js";

const out = captureOutput();
const dir = mkdtempSync(join(tmpdir(), "flint-lang-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Json = Record<string, any>;
const shipped = (name: string): Json => JSON.parse(readFileSync(join(SCENARIO_DIR, name), "utf8"));

let files = 0;
/** Runs `flint sim` on the scenario written to a temp file; returns the exit status. */
async function sim(scenario: Json, ...args: string[]): Promise<number> {
  const file = join(dir, `s${++files}.json`);
  writeFileSync(file, JSON.stringify(scenario));
  return run([file, ...args]);
}

function errorOf(v: unknown): ScenarioError {
  try {
    parseScenario(v);
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error("expected a ScenarioError");
}

/** A small cluster with one short job: runs in a few virtual seconds. */
const small = (extra: Json = {}): Json => ({
  name: "small",
  comment: "a test scenario",
  timeLimitMs: 120_000,
  cluster: { masters: 1, workers: [{ count: 2, cores: 2, memoryMb: 2048 }] },
  apps: [{ name: "pi", submitAtMs: 500, jobs: [{ id: "pi-1", afterMs: 500, stages: [{ tasks: 4, durationMs: 500 }] }] }],
  ...extra,
});

const verdictOf = (s: Json) => runScenario(parseScenario(s), ROLES).verdict;

describe("scenario language: mistakes are errors at load (flint sim exits 2 naming the field)", () => {
  it("a misspelled log event in an `absent` expectation (partition-heal) is an error, not a PASS", async () => {
    const s = shipped("partition-heal.json");
    s.expect.events[0].effect = "log:wrokerRemoved";
    expect(await sim(s)).toBe(2);
    expect(out.stderr).toContain(
      'expect.events[0].effect: unknown effect selector "log:wrokerRemoved" (did you mean "log:workerRemoved"?)',
    );
  });

  it("a misspelled message type in an `absent` expectation (partition-heal) is an error, not a PASS", async () => {
    const s = shipped("partition-heal.json");
    s.expect.events[1].input = "message:ReconectWorker";
    expect(await sim(s)).toBe(2);
    expect(out.stderr).toContain(
      'expect.events[1].input: unknown input selector "message:ReconectWorker" (did you mean "message:ReconnectWorker"?)',
    );
  });

  it("a crash with durationMs is an error naming the field and the crash's own", async () => {
    const s = small({ faults: [{ atMs: 1000, kind: "crash", target: "worker-1", durationMs: 5000 }] });
    expect(await sim(s)).toBe(2);
    expect(out.stderr).toContain('faults[0].durationMs: not a field of a "crash" fault (did you mean restartAfterMs?)');
  });

  it("a field of another fault kind is named with the kinds it belongs to", () => {
    const e = errorOf(small({ faults: [{ atMs: 1000, kind: "pause", target: "worker-1", durationMs: 5000, hosts: ["worker-2"] }] }));
    expect(e.path).toBe("faults[0].hosts");
    expect(e.message).toContain('not a field of a "pause" fault; hosts belongs to "partition"');
  });

  it("a fault target outside the cluster (worker-99 of 2 workers) is an error at load, not at the end of the run", async () => {
    const s = small({ faults: [{ atMs: 1000, kind: "crash", target: "worker-99" }] });
    expect(await sim(s)).toBe(2);
    expect(out.stderr).toContain('faults[0].target: no node "worker-99" in this cluster');
    expect(errorOf(small({ faults: [{ atMs: 1, kind: "partition", hosts: ["worker-1"], others: ["master-3"] }] })).path).toBe(
      "faults[0].others[0]",
    );
    expect(errorOf(small({ faults: [{ atMs: 1, kind: "crash", target: "app:nope" }] })).message).toContain(
      'app "nope" is not in the scenario',
    );
    expect(errorOf(small({ faults: [{ atMs: 1, kind: "restart", target: "leader" }] })).path).toBe("faults[0].target");
  });

  it("an expectation's node pattern that matches no node is an error", async () => {
    const s = small({ expect: { events: [{ node: "wroker-*", effect: "log:workerRegistered" }] } });
    expect(await sim(s)).toBe(2);
    expect(out.stderr).toContain('expect.events[0].node: "wroker-*" matches no node');
    expect(errorOf(small({ expect: { events: [{ node: "master-2", input: "init" }] } })).message).toContain(
      'no node "master-2" in this cluster',
    );
    expect(errorOf(small({ expect: { events: [{ node: "app:py", input: "init" }] } })).message).toContain(
      'app "py" is not in the scenario (did you mean "pi"?)',
    );
    expect(errorOf(small({ expect: { events: [{ node: "driver:pi", input: "init" }] } })).path).toBe("expect.events[0].node");
    // Nodes named at run time: executors exist when an app does.
    expect(parseScenario(small({ expect: { events: [{ node: "exec-*", input: "init" }] } })).expect.events).toHaveLength(1);
  });

  it("selectors are checked against the protocol's lists: notifications, input types, sub-selectors", () => {
    expect(errorOf(small({ expect: { events: [{ node: "app:pi", effect: "notify:jobSucceded" }] } })).message).toContain(
      'did you mean "notify:jobSucceeded"?',
    );
    expect(errorOf(small({ expect: { events: [{ node: "master-1", input: "leaderElectd" }] } })).message).toContain(
      'did you mean "leaderElected"?',
    );
    // An effect without sub-selectors cannot take one (it would never match).
    expect(errorOf(small({ expect: { events: [{ node: "master-1", effect: "exit:1" }] } })).path).toBe("expect.events[0].effect");
    expect(errorOf(small({ expect: { events: [{ node: "master-1", effect: "log", code: 1 }] } })).path).toBe("expect.events[0].code");
    expect(
      errorOf(small({ expect: { events: [{ node: "master-1", input: "timer:checkForWorkerTimeOut", fields: { a: 1 } }] } })).path,
    ).toBe("expect.events[0].fields");
    // Timer keys come from the roles' own constants; per-entity keys by their prefix.
    expect(errorOf(small({ expect: { events: [{ node: "app:pi", input: "timer:revival" }] } })).message).toContain(
      'did you mean "timer:revive"?',
    );
    expect(errorOf(small({ expect: { events: [{ node: "worker-1", effect: "setTimer:hartbeat" }] } })).message).toContain(
      'did you mean "setTimer:heartbeat"?',
    );
    expect(
      parseScenario(small({ expect: { events: [{ node: "worker-*", effect: "setTimer:driverRelaunch:driver-1", absent: true }] } })).expect
        .events,
    ).toHaveLength(1);
  });

  it("count, before and labels are checked", () => {
    const ev = (extra: Json) =>
      small({
        expect: {
          events: [
            { node: "master-1", effect: "log:workerRegistered", ...extra },
            { node: "master-1", effect: "log:applicationRegistered", label: "app" },
          ],
        },
      });
    expect(errorOf(ev({ count: 2, minCount: 2 })).path).toBe("expect.events[0].count");
    expect(errorOf(ev({ count: 2, absent: true })).path).toBe("expect.events[0].count");
    expect(errorOf(ev({ before: "ap" })).message).toContain('no expectation is labelled "ap" (labels: app)');
    expect(errorOf(ev({ before: 5 })).path).toBe("expect.events[0].before");
    expect(errorOf(ev({ before: 0 })).message).toContain("before itself");
    expect(parseScenario(ev({ before: "app" })).expect.events[0]!.before).toBe(1);
  });

  it("injected messages and driver actions are checked against the protocol and the scenario", () => {
    const inject = (message: Json) => small({ faults: [{ atMs: 1000, kind: "inject", from: "worker-1", to: "master-1", message }] });
    expect(errorOf(inject({ type: "Hartbeat" })).message).toBe(
      'faults[0].message.type: unknown message type "Hartbeat" (did you mean "Heartbeat"?)',
    );
    expect(errorOf(inject({ workerId: "w" })).path).toBe("faults[0].message.type");
    expect(
      errorOf(small({ faults: [{ atMs: 1, kind: "inject", from: "worker-7", to: "master-1", message: { type: "Heartbeat" } }] })).path,
    ).toBe("faults[0].from");
    expect(errorOf(small({ faults: [{ atMs: 1, kind: "requestExecutors", app: "pi", count: 2 }] })).message).toContain(
      'not a field of a "requestExecutors" fault',
    );
    expect(errorOf(small({ faults: [{ atMs: 1, kind: "killExecutors", app: "po", count: 1 }] })).path).toBe("faults[0].app");
    expect(errorOf(small({ faults: [{ atMs: 1, kind: "cancelJob", app: "pi", job: "pi-2" }] })).message).toContain(
      'job of app "pi": "pi-2" is not in the scenario',
    );
    expect(errorOf(small({ faults: [{ atMs: 1, kind: "killTask" }] })).path).toBe("faults[0].app");
    expect(parseScenario(small({ faults: [{ atMs: 1, kind: "requestExecutors", app: "pi", total: 3 }] })).faults[0]).toEqual({
      atMs: 1,
      kind: "requestExecutors",
      app: "pi",
      total: 3,
    });
  });

  it("the messages an inject fault sends are checked field by field (flint sim)", async () => {
    const s = small({
      faults: [{ atMs: 1000, kind: "inject", from: "worker-1", to: "master-1", message: { type: "Heartbeat", workerAddress: "worker-1" } }],
    });
    expect(await sim(s)).toBe(2);
    expect(out.stderr).toContain("faults[0].message: Heartbeat.workerId: expected a string, got nothing");
  });

  it("the shrinker skips variants that would no longer load (a fault aimed at the worker it removed)", () => {
    const s = parseScenario(
      small({
        cluster: { masters: 1, workers: [{ count: 3, cores: 2, memoryMb: 2048 }] },
        faults: [{ atMs: 1000, kind: "pause", target: "worker-3", durationMs: 1000 }],
      }),
    );
    const variants = dropNodes(s);
    const fewer = variants.find((v) => v.cluster.workers[0]!.count === 2)!;
    expect(loadable(fewer)).toBe(false);
    expect(loadable(s)).toBe(true);
  });

  it("a store needs a recovery mode, and its records are checked", () => {
    const store = { workers: [{ id: "worker-gone", host: "gone", address: "gone", cores: 4, memoryMb: 1024 }] };
    expect(errorOf(small({ store })).path).toBe("store");
    expect(
      errorOf(
        small({
          store: { workers: [{ id: "w", host: "h", address: "a", cores: 0, memoryMb: 1 }] },
          cluster: { masters: 1, recoveryMode: "filesystem", workers: [] },
        }),
      ).path,
    ).toBe("store.workers[0].cores");
  });
});

describe("scenario language: expectations can fail", () => {
  it("count: exactly N (two workers register once each)", () => {
    expect(verdictOf(small({ expect: { events: [{ node: "master-1", effect: "log:workerRegistered", count: 2 }] } })).ok).toBe(true);
    const v = verdictOf(small({ expect: { events: [{ node: "master-1", effect: "log:workerRegistered", count: 3 }] } }));
    expect(v.reasons).toEqual(["master-1 effect log:workerRegistered: expected exactly 3, saw 2"]);
    // More than N fails too (minCount could not say this).
    expect(verdictOf(small({ expect: { events: [{ node: "master-1", effect: "log:workerRegistered", count: 1 }] } })).reasons).toEqual([
      "master-1 effect log:workerRegistered: expected exactly 1, saw 2",
    ]);
  });

  it("fields: the message's fields must have the values given", () => {
    const ev = (fields: Json, count: number) =>
      small({ expect: { events: [{ node: "master-1", input: "message:RegisterWorker", fields, count }] } });
    expect(verdictOf(ev({ host: "worker-1", cores: 2 }, 1)).ok).toBe(true);
    expect(verdictOf(ev({ host: "worker-1", cores: 3 }, 1)).reasons[0]).toContain("expected exactly 1, saw 0");
    expect(
      verdictOf(small({ expect: { events: [{ node: "app:pi", effect: "notify:jobSucceeded", fields: { jobId: "pi-1" } }] } })).ok,
    ).toBe(true);
  });

  it("fields: a field name no event of the type carries fails the run, even for an absent event", () => {
    const v = verdictOf(
      small({ expect: { events: [{ node: "master-1", input: "message:RegisterWorker", fields: { hots: "worker-1" }, absent: true }] } }),
    );
    expect(v.ok).toBe(false);
    expect(v.reasons[0]).toContain('none with a field "hots"');
  });

  it("before: order between two expectations", () => {
    const events = (first: string, second: string) => [
      { node: "master-1", effect: `log:${first}`, before: "second" },
      { node: "master-1", effect: `log:${second}`, label: "second" },
    ];
    expect(verdictOf(small({ expect: { events: events("workerRegistered", "applicationRegistered") } })).ok).toBe(true);
    const v = verdictOf(small({ expect: { events: events("applicationRegistered", "workerRegistered") } }));
    expect(v.ok).toBe(false);
    expect(v.reasons[0]).toContain("expected before expect.events[1] ([second] master-1 effect log:workerRegistered)");
  });
});

describe("scenario language: recovery store and injected messages as data", () => {
  it("store: a master recovers the records given up front and removes the worker that never answers", () => {
    const s = small({
      cluster: { masters: 1, recoveryMode: "filesystem", workers: [{ count: 1, cores: 2, memoryMb: 2048 }] },
      config: { workerTimeoutMs: 8000 },
      store: { workers: [{ id: "worker-gone", host: "gone", address: "gone", cores: 4, memoryMb: 1024 }] },
      expect: {
        events: [
          { node: "master-1", effect: "log:electedLeader", fields: { workers: 1 }, count: 1 },
          {
            node: "master-1",
            effect: "log:workerRemoved",
            fields: { workerId: "worker-gone", message: "Not responding for recovery" },
            count: 1,
          },
        ],
      },
    });
    const r = runScenario(parseScenario(s), ROLES);
    expect(r.verdict).toEqual({ ok: true, reasons: [] });
    // Preloaded records are what the master found, not writes it made.
    expect(r.store.writes).toBeGreaterThan(0);
    const { store: _, ...without } = s;
    expect(verdictOf(without).ok).toBe(false);
  });

  it("inject: a message sent from a named node reaches its target (a heartbeat from a worker id the master never saw)", () => {
    const s = small({
      faults: [
        {
          atMs: 3000,
          kind: "inject",
          from: "worker-1",
          to: "master-1",
          message: { type: "Heartbeat", workerId: "worker-bogus", workerAddress: "worker-1" },
        },
      ],
      expect: {
        events: [
          {
            node: "master-1",
            effect: "log:reconnectWorker",
            fields: { workerId: "worker-bogus" },
            count: 1,
            afterMs: 3000,
          },
        ],
      },
    });
    const r = runScenario(parseScenario(s), ROLES);
    expect(r.verdict).toEqual({ ok: true, reasons: [] });
    expect(r.faults[0]).toMatchObject({ kind: "inject", fired: true, target: "worker-1->master-1" });
  });
});
