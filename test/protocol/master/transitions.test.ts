/** The master's transition tables (src/protocol/master/transitions.ts) and the assertion on every state write. */
import { describe, expect, it } from "vitest";
import { AssertionError, type Message } from "../../../src/protocol/index.js";
import { canTransition, transition, TRANSITIONS, type EntityKind } from "../../../src/protocol/master/transitions.js";
import { addApp, addWorker, aliveMaster, deliver, ignoredWhy, messagesOf, workerAddr } from "./fixtures.js";

describe("master: transition tables", () => {
  it("an end state has no way out, and every edge leads to a state of the same table", () => {
    const ends: { [K in EntityKind]: string[] } = {
      worker: ["DEAD", "DECOMMISSIONED"],
      app: ["FINISHED", "FAILED", "KILLED"],
      executor: ["KILLED", "FAILED", "LOST", "EXITED"],
      driver: ["FINISHED", "KILLED", "FAILED", "ERROR", "UNKNOWN"],
    };
    for (const [kind, table] of Object.entries(TRANSITIONS) as Array<[EntityKind, Record<string, readonly string[]>]>) {
      for (const end of ends[kind]) expect(table[end], `${kind} ${end}`).toEqual([]);
      for (const targets of Object.values(table)) for (const to of targets) expect(Object.keys(table)).toContain(to);
    }
  });

  it("transition asserts the edge: a DEAD worker is never ALIVE again, an ended executor never RUNNING; staying put is allowed", () => {
    expect(() => transition("worker", { id: "w", state: "DEAD" }, "ALIVE")).toThrow(AssertionError);
    expect(() => transition("executor", { id: 1, state: "EXITED" }, "RUNNING")).toThrow(
      /executor 1: EXITED -> RUNNING is not an allowed transition/,
    );
    const app = { id: "a", state: "WAITING" as const };
    transition("app", app, "WAITING");
    expect(app.state).toBe("WAITING");
    expect(canTransition("driver", "SUBMITTED", "RUNNING")).toBe(true);
    expect(canTransition("driver", "FINISHED", "RUNNING")).toBe(false);
  });

  it("a worker's report asking for an edge the table forbids (RUNNING back to LAUNCHING) is ignored with a reason, not obeyed nor asserted", () => {
    const s = aliveMaster();
    addWorker(s, 1);
    const { id } = addApp(s, 1);
    const report = (state: "RUNNING" | "LAUNCHING"): Message => ({ type: "ExecutorStateChanged", appId: id, execId: 0, state });
    deliver(s, workerAddr(1), report("RUNNING"));
    const fx = deliver(s, workerAddr(1), report("LAUNCHING"));
    expect(ignoredWhy(fx)).toEqual(["executor-transition-not-allowed"]);
    expect(messagesOf(fx, "ExecutorUpdated")).toEqual([]);
    // Still answered, so that the worker stops retrying.
    expect(messagesOf(fx, "ExecutorStateChangedResponse")).toHaveLength(1);
    expect(s.apps[id]!.executors["0"]!.state).toBe("RUNNING");
  });
});
