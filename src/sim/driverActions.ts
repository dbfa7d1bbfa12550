/**
 * Driver actions of a scenario's timeline (requestExecutors, killExecutors, cancelJob, killTask):
 * what the application's user does through its SparkContext, turned into the driver's `command`
 * input. The targets are picked from what the driver itself knows, deterministically (lowest
 * executor ids, lowest running TID), as a user reading the status tracker would.
 */
import type { Command, JobId, TaskId } from "../protocol/index.js";
import type { DriverRoleState } from "../protocol/driver/state.js";
import type { FaultSpec } from "./scenario.js";

/** The command for this action and a line for the timeline, or why it cannot take effect now. */
export function driverAction(f: FaultSpec, d: DriverRoleState, index: number): { command: Command; detail: string } | string {
  if (d.phase !== "running") return `the driver of app ${f.app} has ${d.phase === "stopped" ? "stopped" : "died"}`;
  switch (f.kind) {
    case "requestExecutors":
      return { command: { kind: "requestTotalExecutors", total: f.total! }, detail: `app ${f.app} asks for ${f.total} executors in total` };
    case "killExecutors": {
      const ids = lowestExecutorIds(d, f.count!);
      if (ids.length === 0) return `the driver of app ${f.app} knows no executor to kill`;
      return { command: { kind: "killExecutors", executorIds: ids }, detail: `app ${f.app} kills executors ${ids.join(",")}` };
    }
    case "cancelJob":
      return {
        command: { kind: "cancelJob", jobId: f.job! as JobId, reason: `Job ${f.job} cancelled by the user (scenario action #${index})` },
        detail: `app ${f.app} cancels job ${f.job}`,
      };
    case "killTask": {
      const taskId = lowestRunningTaskId(d);
      if (taskId === null) return `the driver of app ${f.app} has no running task to kill`;
      return {
        command: { kind: "killTask", taskId, reason: `killed by the user (scenario action #${index})` },
        detail: `app ${f.app} kills task ${taskId}`,
      };
    }
    default:
      return `${f.kind} is not a driver action`;
  }
}

/** The driver's known executors, lowest ids first (ids are decimal numbers). */
export function lowestExecutorIds(d: DriverRoleState, count: number): string[] {
  return Object.keys(d.backend.executors)
    .sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, count);
}

/** The lowest TID the scheduler tracks as running on some executor, or null. */
export function lowestRunningTaskId(d: DriverRoleState): TaskId | null {
  let lowest: TaskId | null = null;
  for (const executorId of Object.keys(d.scheduler.executorIdToRunningTaskIds).sort()) {
    for (const taskId of d.scheduler.executorIdToRunningTaskIds[executorId]!) if (lowest === null || taskId < lowest) lowest = taskId;
  }
  return lowest;
}
