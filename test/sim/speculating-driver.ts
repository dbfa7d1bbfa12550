/**
 * A speculating driver for the speculation checks' tests: four one-core executors running the four
 * tasks of job j1 (task set j1.0.0), every step of it handed to the checks under test, which may
 * first see the step's effects broken by a tamper.
 */
import { driver, SPECULATION_TIMER, type DriverRoleState } from "../../src/protocol/driver/index.js";
import type { TaskSetManagerState } from "../../src/protocol/driver/state.js";
import type { Effect, Input, ProtocolConfig, TaskDescription } from "../../src/protocol/index.js";
import { TidLedger } from "../../src/sim/invariants/dense.js";
import type { Report } from "../../src/sim/invariants/report.js";
import { addExecutor, launched, registeredDriver, statusUpdateInput, T0, taskSet } from "../protocol/driver/fixtures.js";

export type Tamper = (fx: Effect[], s: DriverRoleState) => Effect[];
/** The checks under test, for one step (the ledger already holds the step's launches). */
export type StepChecks = (s: DriverRoleState, tids: TidLedger, input: Input, fx: Effect[], now: number, report: Report) => void;

export function speculatingDriver(checkStep: StepChecks, overrides: Partial<ProtocolConfig> = {}) {
  const s = registeredDriver({ speculation: true, speculationQuantile: 0.5, ...overrides });
  for (let n = 1; n <= 4; n++) addExecutor(s, n, 1);
  const tids = new TidLedger();
  const checks: string[] = [];
  const details: string[] = [];
  const report: Report = (check, detail) => void (checks.push(check), details.push(detail));
  const stepAt = (input: Input, now: number, tamper?: Tamper): Effect[] => {
    let fx = driver.step(s, input, { now });
    if (tamper !== undefined) fx = tamper(fx, s);
    for (const task of launched(fx)) tids.launch(task.taskId, task.taskSetId, task.index, task.executorId);
    checkStep(s, tids, input, fx, now, report);
    return fx;
  };
  const update = (task: TaskDescription, state: "RUNNING" | "FINISHED" | "KILLED", now: number, tamper?: Tamper) =>
    stepAt(statusUpdateInput(task, state), now, tamper);
  const tasks = launched(
    stepAt({ type: "command", command: { kind: "submitJob", jobId: "j1" as never, taskSets: [taskSet(4)] } }, T0),
  ).sort((a, b) => a.index - b.index);
  for (const t of tasks) update(t, "RUNNING", T0);
  const tsm = (): TaskSetManagerState => s.scheduler.taskSets["j1.0.0"]!;
  const speculationCheck = (now: number, tamper?: Tamper) => launched(stepAt({ type: "timer", key: SPECULATION_TIMER }, now, tamper));
  return { s, tasks, tsm, stepAt, update, speculationCheck, checks, details };
}
