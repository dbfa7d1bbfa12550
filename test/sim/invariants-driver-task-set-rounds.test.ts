/**
 * D20-D21 (src/sim/invariants/driver-task-set-rounds.ts) on a history made by the driver reducer
 * itself, then broken one way at a time: each broken history is caught, the true one is not.
 */
import { describe, expect, it } from "vitest";
import { speculatingDriver } from "./speculating-driver.js";
import { checkFinishedTaskSets, checkSpeculatableOffered, D20, D21 } from "../../src/sim/invariants/driver-task-set-rounds.js";
import { T0 } from "../protocol/driver/fixtures.js";

const TASK_SET = "j1.0.0";

/** A speculating driver with four one-core executors running the four tasks of j1, every step checked by D20-D21. */
function harness() {
  return speculatingDriver((s, tids, input, fx, _now, report) => {
    checkSpeculatableOffered("drv", s, input, fx, report);
    checkFinishedTaskSets("drv", s, tids, fx, report);
  });
}

/** Hides the executors of tasks 0 and 1 from the offers (no free cores, as if busy elsewhere): a check then has nowhere to copy to. */
function busyFreedExecutors(h: ReturnType<typeof harness>): void {
  for (const n of [1, 2]) h.s.backend.executors[String(h.tasks[n - 1]!.executorId)]!.freeCores = 0;
}

describe("D20: a task marked speculatable is offered at once", () => {
  it("holds when the check copies both slow tasks onto the executors that just freed", () => {
    const h = harness();
    h.update(h.tasks[0]!, "FINISHED", T0 + 100);
    h.update(h.tasks[1]!, "FINISHED", T0 + 100);
    expect(h.speculationCheck(T0 + 400).map((c) => c.index)).toEqual([2, 3]);
    expect(h.checks).toEqual([]);
  });

  it("holds when no executor can take a copy; an executor left idle after the marking step is caught", () => {
    const ok = harness();
    ok.update(ok.tasks[0]!, "FINISHED", T0 + 100);
    ok.update(ok.tasks[1]!, "FINISHED", T0 + 100);
    busyFreedExecutors(ok);
    expect(ok.speculationCheck(T0 + 400)).toEqual([]);
    expect(ok.checks).toEqual([]);
    const broken = harness();
    broken.update(broken.tasks[0]!, "FINISHED", T0 + 100);
    broken.update(broken.tasks[1]!, "FINISHED", T0 + 100);
    busyFreedExecutors(broken);
    // A driver that marked the tasks but never offered: executor 1 is free after the step.
    broken.speculationCheck(T0 + 400, (fx, s) => {
      s.backend.executors[String(broken.tasks[0]!.executorId)]!.freeCores = 1;
      return fx;
    });
    expect(broken.checks).toEqual([D20, D20]);
    expect(broken.details[0]).toMatch(
      /marked task 2 of j1\.0\.0 speculatable, but launched no copy while executor \S+ on host \S+, where no attempt of it ran, had 1 free cores/,
    );
  });

  it("a taskSpeculatable log naming another TID than the task's running attempt is caught", () => {
    const h = harness();
    h.update(h.tasks[0]!, "FINISHED", T0 + 100);
    h.update(h.tasks[1]!, "FINISHED", T0 + 100);
    h.speculationCheck(T0 + 400, (fx) =>
      fx.map((e) =>
        e.type === "log" && e.event === "taskSpeculatable" && e.fields["index"] === 2
          ? { ...e, fields: { ...e.fields, taskId: h.tasks[0]!.taskId } }
          : e,
      ),
    );
    expect(h.checks).toEqual([D20]);
    expect(h.details[0]).toBe(
      `drv marked task 2 of j1.0.0 speculatable naming TID ${h.tasks[0]!.taskId}, which is no running attempt of that task`,
    );
  });
});

describe("D21: a task set whose every task succeeded leaves the pool once nothing of it runs", () => {
  it("holds through the losers' ends; a task set kept in the pool after them is caught", () => {
    for (const keep of [false, true]) {
      const h = harness();
      h.update(h.tasks[0]!, "FINISHED", T0 + 100);
      h.update(h.tasks[1]!, "FINISHED", T0 + 100);
      const copies = h.speculationCheck(T0 + 400).sort((a, b) => a.index - b.index);
      h.update(copies[0]!, "FINISHED", T0 + 500);
      h.update(copies[1]!, "FINISHED", T0 + 500);
      // Every task succeeded; the originals of 2 and 3, asked to stop, still run: the task set stays.
      expect(h.s.scheduler.taskSets[TASK_SET]).toBeDefined();
      h.update(h.tasks[2]!, "KILLED", T0 + 510);
      const tsm = h.s.scheduler.taskSets[TASK_SET]!;
      h.update(h.tasks[3]!, "KILLED", T0 + 510, (fx, s) => {
        if (keep) {
          // A driver that never made it a zombie keeps it in the pool.
          s.scheduler.taskSets[TASK_SET] = tsm;
          s.scheduler.pool.push(TASK_SET);
        }
        return fx;
      });
      if (!keep) {
        expect(h.s.scheduler.taskSets[TASK_SET]).toBeUndefined();
        expect(h.checks).toEqual([]);
      } else {
        expect(h.checks).toEqual([D21]);
        expect(h.details[0]).toBe("drv: every task of j1.0.0 has succeeded and none of its attempts runs, but it is still in the pool");
      }
    }
  });
});
