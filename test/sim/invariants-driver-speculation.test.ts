/**
 * D10-D12 (src/sim/invariants/driver-speculation.ts) on a history made by the driver reducer
 * itself, then broken one way at a time: each broken history is caught, the true one is not.
 */
import { describe, expect, it } from "vitest";
import { speculatingDriver, type Tamper } from "./speculating-driver.js";
import { REVIVE_TIMER, SPECULATION_TIMER } from "../../src/protocol/driver/index.js";
import type { ProtocolConfig } from "../../src/protocol/index.js";
import { checkSpeculation, D11, D12, D13, D10, DID_NOT_COMMIT, newSpeculationLedger } from "../../src/sim/invariants/driver-speculation.js";
import { execAddr, launched, T0 } from "../protocol/driver/fixtures.js";

/** A speculating driver whose every step goes through D10-D12 (its LaunchTasks recorded as the step checks record them). */
function harness(overrides: Partial<ProtocolConfig> = {}) {
  const led = newSpeculationLedger();
  return speculatingDriver(
    (s, tids, input, fx, now, report) => checkSpeculation("drv", s, tids, led, input, fx, now - T0, report),
    overrides,
  );
}

/** A step's taskEnded notifications changed by `change` (a driver that reports an ending wrongly). */
function taskEndedAs(change: { state?: "FINISHED"; reason?: string }): Tamper {
  return (fx) =>
    fx.map((e) =>
      e.type === "notify" && e.notification.kind === "taskEnded" ? { ...e, notification: { ...e.notification, ...change } } : e,
    );
}

/** Indices 0 and 1 succeed after 100 ms; the check at 400 ms finds 2 and 3 slow and copies them. */
function copied(tamper?: Tamper) {
  const h = harness();
  h.update(h.tasks[0]!, "FINISHED", T0 + 100);
  h.update(h.tasks[1]!, "FINISHED", T0 + 100);
  const copies = launched(h.stepAt({ type: "timer", key: SPECULATION_TIMER }, T0 + 400, tamper)).sort((a, b) => a.index - b.index);
  return { ...h, copies };
}

describe("D10: a speculative copy is justified", () => {
  it("holds for copies of tasks the check found slow, on new hosts, after the pending tasks", () => {
    const h = copied();
    expect(h.copies.map((c) => c.index)).toEqual([2, 3]);
    expect(h.checks).toEqual([]);
  });

  it("a copy of a task no speculation check found slow is caught", () => {
    const h = harness();
    h.update(h.tasks[0]!, "FINISHED", T0 + 100);
    h.update(h.tasks[1]!, "FINISHED", T0 + 100);
    // Marked by hand, as a driver that skipped the threshold would: the next offer round copies it.
    h.tsm().speculatable[2] = true;
    h.tsm().speculatableQueue.push(2);
    expect(launched(h.stepAt({ type: "timer", key: REVIVE_TIMER }, T0 + 120))).toHaveLength(1);
    expect(h.checks).toEqual([D10]);
    expect(h.details[0]).toMatch(/second running attempt of task 2 of j1\.0\.0, which no speculation check found slow/);
  });

  it("a task that has not run longer than the threshold is not slow: a check at exactly the threshold allows no copy", () => {
    const h = harness();
    h.update(h.tasks[0]!, "FINISHED", T0 + 100);
    h.update(h.tasks[1]!, "FINISHED", T0 + 100);
    // Threshold 150 ms: at 150 the driver must not copy; one that does is caught.
    h.stepAt({ type: "timer", key: SPECULATION_TIMER }, T0 + 150, (fx, s) => {
      const tsm = s.scheduler.taskSets["j1.0.0"]!;
      tsm.speculatable[3] = true;
      tsm.speculatableQueue.push(3);
      return fx;
    });
    expect(launched(h.stepAt({ type: "timer", key: REVIVE_TIMER }, T0 + 150))).toHaveLength(1);
    expect(h.checks).toEqual([D10]);
  });

  it("a copy on a host where an attempt of its task ran is caught", () => {
    const h = copied((fx, s) => {
      const tsm = s.scheduler.taskSets["j1.0.0"]!;
      const t = tsm.attempts;
      const copy = launched(fx).find((c) => c.index === 2)!;
      t.host[copy.taskId - t.base] = t.host[tsm.attempts.previous[copy.taskId - t.base]! - t.base]!;
      return fx;
    });
    expect(h.checks).toEqual([D10]);
    expect(h.details[0]).toMatch(/second running attempt of task 2 of j1\.0\.0, on host host-\d, where its TID \d+ ran/);
  });

  it("a copy launched while a task of its task set waits with no attempt running is caught", () => {
    const h = copied((fx, s) => {
      const tsm = s.scheduler.taskSets["j1.0.0"]!;
      tsm.successful[0] = false; // as if task 0 had failed instead and waited in the queue
      tsm.copiesRunning[0] = 0;
      return fx;
    });
    expect(h.checks).toEqual([D10]);
    expect(h.details[0]).toMatch(/launched a speculative copy in j1\.0\.0 while its task 0 was pending with no attempt running/);
  });
});

describe("D13: no attempt of a task that already succeeded", () => {
  it("holds for the copies; a launch of a task already successful is caught", () => {
    const h = copied();
    expect(h.checks).toEqual([]);
    const broken = harness();
    broken.update(broken.tasks[0]!, "FINISHED", T0 + 100);
    // A driver that kept a successful task pending: the next offer round launches it again.
    broken.tsm().copiesRunning[0] = 0;
    broken.tsm().pending.items.push(0);
    expect(launched(broken.stepAt({ type: "timer", key: REVIVE_TIMER }, T0 + 120))).toEqual([]);
    broken.tsm().successful[0] = false;
    broken.tsm().pending.items.push(0);
    broken.stepAt({ type: "timer", key: REVIVE_TIMER }, T0 + 130, (fx, s) => {
      s.scheduler.taskSets["j1.0.0"]!.successful[0] = true;
      return fx;
    });
    expect(broken.checks).toEqual([D13]);
    expect(broken.details[0]).toMatch(/launched TID \d+ of task 0 of j1\.0\.0, which had already succeeded/);
  });
});

describe("D11: the other attempts are asked to stop when one succeeds", () => {
  it("holds when the copy's success kills the original; a success that leaves the original running unasked is caught", () => {
    const ok = copied();
    ok.update(ok.copies[0]!, "FINISHED", T0 + 500);
    expect(ok.checks).toEqual([]);
    const broken = copied();
    broken.update(broken.copies[0]!, "FINISHED", T0 + 500, (fx) => fx.filter((e) => !(e.type === "send" && e.message.type === "KillTask")));
    expect(broken.checks).toEqual([D11]);
    expect(broken.details[0]).toBe(
      `drv: TID ${broken.copies[0]!.taskId} of task 2 of j1.0.0 succeeded, but its other running attempt TID ${broken.tasks[2]!.taskId} was not asked to stop (KillTask, interrupting)`,
    );
  });

  it("a KillTask that does not interrupt the loser's thread is caught", () => {
    const h = copied();
    h.update(h.tasks[3]!, "FINISHED", T0 + 500, (fx) =>
      fx.map((e) => (e.type === "send" && e.message.type === "KillTask" ? { ...e, message: { ...e.message, interruptThread: false } } : e)),
    );
    expect(h.checks).toEqual([D11]);
  });
});

describe("D12: a killed attempt's failure is not counted", () => {
  it("holds when the original, killed after its copy succeeded, ends KILLED; a count it adds is caught", () => {
    const ok = copied();
    ok.update(ok.copies[0]!, "FINISHED", T0 + 500);
    ok.update(ok.tasks[2]!, "KILLED", T0 + 510);
    expect(ok.checks).toEqual([]);
    const broken = copied();
    broken.update(broken.copies[0]!, "FINISHED", T0 + 500);
    broken.update(broken.tasks[2]!, "KILLED", T0 + 510, (fx, s) => {
      s.scheduler.taskSets["j1.0.0"]!.numFailures[2] = 1;
      return fx;
    });
    expect(broken.checks).toEqual([D12]);
    expect(broken.details[0]).toMatch(
      /was asked to stop because another attempt succeeded, but its KILLED moved the task's failure count from 0 to 1/,
    );
  });

  it("the killed original delivering its result anyway is KILLED ('did not commit'); a FINISHED end is caught", () => {
    const ok = copied();
    ok.update(ok.copies[0]!, "FINISHED", T0 + 500);
    ok.update(ok.tasks[2]!, "FINISHED", T0 + 510);
    expect(ok.checks).toEqual([]);
    const broken = copied();
    broken.update(broken.copies[0]!, "FINISHED", T0 + 500);
    broken.update(broken.tasks[2]!, "FINISHED", T0 + 510, taskEndedAs({ state: "FINISHED" }));
    expect(broken.checks).toEqual([D12]);
    expect(broken.details[0]).toMatch(/was asked to stop because another attempt succeeded, but ended FINISHED, as a second success/);
  });

  it("the killed original's late result ends with Spark's 'did not commit' reason; another reason is caught", () => {
    const ok = copied();
    ok.update(ok.copies[0]!, "FINISHED", T0 + 500);
    const fx = ok.update(ok.tasks[2]!, "FINISHED", T0 + 510);
    expect(fx).toContainEqual(
      expect.objectContaining({ type: "notify", notification: expect.objectContaining({ state: "KILLED", reason: DID_NOT_COMMIT }) }),
    );
    expect(ok.checks).toEqual([]);
    const broken = copied();
    broken.update(broken.copies[0]!, "FINISHED", T0 + 500);
    broken.update(broken.tasks[2]!, "FINISHED", T0 + 510, taskEndedAs({ reason: "TaskKilled ()" }));
    expect(broken.checks).toEqual([D12]);
    expect(broken.details[0]).toMatch(
      /delivered its result after another attempt succeeded, but ended KILLED \(TaskKilled \(\)\), not KILLED with "TaskKilled \(Finish but did not commit/,
    );
  });

  it("an executor loss after the kill does not count either (a real driver run: no report)", () => {
    const h = copied();
    h.update(h.copies[1]!, "FINISHED", T0 + 500);
    h.stepAt({ type: "peerDisconnected", peer: execAddr(Number(h.tasks[3]!.executorId)) }, T0 + 510);
    expect(h.tsm().numFailures[3]).toBe(0);
    expect(h.checks).toEqual([]);
  });
});
