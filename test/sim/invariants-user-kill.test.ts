/**
 * I29: the driver API's killExecutors (never forced) asks the master to kill idle executors only
 * (Spark's SPARK-9552). Fed a step that breaks it, and a run where the user kills executors.
 */
import { describe, expect, it } from "vitest";
import type { DriverRoleState } from "../../src/protocol/driver/state.js";
import type { Effect, Input } from "../../src/protocol/index.js";
import { checkUserKillSparesBusy, newDriverLedger, type DriverStepView } from "../../src/sim/invariants/driver.js";

function view(running: Record<string, number[]>, effects: Effect[], input: Input): { v: DriverStepView; reports: string[] } {
  const reports: string[] = [];
  const s = { scheduler: { executorIdToRunningTaskIds: running, taskSets: {} } } as unknown as DriverRoleState;
  const v: DriverStepView = {
    name: "drv-pi",
    s,
    input,
    effects,
    ledger: newDriverLedger(),
    report: (check: string) => void reports.push(check),
  };
  return { v, reports };
}

const killCommand: Input = { type: "command", command: { kind: "killExecutors", executorIds: ["1", "2"] } };
const killSent = (ids: string[]): Effect => ({
  type: "send",
  to: "master-1" as never,
  message: { type: "KillExecutors", appId: "app-1" as never, executorIds: ids },
});

describe("I29: the user's killExecutors spares busy executors", () => {
  it("I29: a kill request naming an executor that runs a task breaks it", () => {
    const { v, reports } = view({ "1": [7] }, [killSent(["1", "2"])], killCommand);
    checkUserKillSparesBusy(v);
    expect(reports).toEqual(["I29:user-kill-spares-busy-executors"]);
  });

  it("I29: killing idle executors only holds", () => {
    const { v, reports } = view({ "1": [7] }, [killSent(["2"])], killCommand);
    checkUserKillSparesBusy(v);
    expect(reports).toEqual([]);
  });
});
