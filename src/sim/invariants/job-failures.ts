/**
 * C3, checks across roles: a job fails only for a reason that justifies it. Either the driver
 * ended or was told to (its app was removed or never registered, it was stopped, the job was
 * cancelled or rejected: a command, or the driver's phase is no longer "running"), or one task
 * index of the job failed taskMaxFailures times for reasons that may count against the app, or a
 * result could not be serialized, or the app's own sizes broke a limit: the FINISHED results of
 * one of its task sets came to more than maxResultSizeBytes, or one of its tasks was at least
 * maxMessageSizeBytes when submitted (both tallied here from the inputs, not the driver's counters).
 *
 * The failures are tallied here from what reached the driver, not from the driver's own counters:
 * each failed attempt it reports (`taskEnded`) counts unless the input that ended it shows that
 * the cluster, not the app, was at fault: the task was killed, or the master reported its
 * executor gone with an exit code that is not the app's (EXIT_CODES_NOT_CAUSED_BY_APP) or with
 * its worker lost (`workerHost`). The tally is an upper bound of what the retry rules count (it
 * also counts, e.g., an attempt that was still launching), so a driver that counts right never
 * trips it; one that counts a cluster-caused loss against the app does, once a job fails for it.
 *
 * C4, the same tally on every failed attempt: the driver's own count of an index's failures
 * (numFailures) never exceeds it. This catches a cluster-caused loss counted against the app the
 * first time it happens, long before it could fail a job.
 */
import type { Effect, Input } from "../../protocol/index.js";
import { EXIT_CODES_NOT_CAUSED_BY_APP, type DriverRoleState } from "../../protocol/driver/state.js";
import type { TidLedger } from "./dense.js";
import type { TasksInFlight } from "./tasks-across.js";
import type { Report } from "./report.js";

/** Whether a failed attempt (ended in `state`) may count against the app, judged by the input that ended it (a task's own failure always may). */
function mayCountAgainstApp(input: Input | null, state: string): boolean {
  if (state === "KILLED") return false;
  if (input === null || input.type !== "message") return true;
  const m = input.message;
  if (m.type === "ExecutorUpdated") {
    if (m.exitStatus !== undefined) return !EXIT_CODES_NOT_CAUSED_BY_APP.includes(m.exitStatus);
    return m.workerHost === undefined;
  }
  return true;
}

/** C3 for one driver step: tallies its failed attempts, then judges each job it failed. */
export function checkJobFailures(
  driverName: string,
  d: DriverRoleState,
  tids: TidLedger,
  led: TasksInFlight,
  input: Input | null,
  effects: readonly Effect[],
  report: Report,
): void {
  noteSizes(tids, led, input);
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type !== "notify" || e.notification.kind !== "taskEnded" || e.notification.state === "FINISHED") continue;
    const n = e.notification;
    if (!mayCountAgainstApp(input, n.state)) continue;
    const taskSetId = tids.taskSetOf(n.taskId);
    if (taskSetId === undefined) continue;
    let byIndex = led.failures.get(taskSetId);
    if (byIndex === undefined) {
      byIndex = new Map();
      led.failures.set(taskSetId, byIndex);
    }
    byIndex.set(n.index, (byIndex.get(n.index) ?? 0) + 1);
  }
  // C4: the driver's own count of an index's failures never exceeds the tally (checked on every failed attempt, not only when a job fails).
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type !== "notify" || e.notification.kind !== "taskEnded" || e.notification.state === "FINISHED") continue;
    const n = e.notification;
    const taskSetId = tids.taskSetOf(n.taskId);
    const counted = taskSetId === undefined ? undefined : d.scheduler.taskSets[taskSetId]?.numFailures[n.index];
    if (counted === undefined) continue;
    const mayCount = led.failures.get(taskSetId!)?.get(n.index) ?? 0;
    if (counted > mayCount)
      report(
        "C4:only-app-failures-counted",
        `${driverName} counts ${counted} failures against task ${n.index} of ${taskSetId} (TID ${n.taskId} just ended ${n.state}), but only ${mayCount} of its failed attempts may count against the app (the rest were the cluster's: killed, or an executor lost with its worker or with an exit code not the app's)`,
      );
  }
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type !== "notify" || e.notification.kind !== "jobFailed") continue;
    if (d.phase !== "running" || input === null || input.type === "command") continue; // the driver ended, or was told to
    const { jobId, reason } = e.notification;
    if (reason.includes("not serializable")) continue;
    if (justifiedByFailures(led, jobId, d.protocol.taskMaxFailures)) continue;
    if (justifiedBySizes(led, jobId, d)) continue;
    report(
      "C3:job-fails-for-app-failures",
      `${driverName} failed job ${jobId} (${reason}), but no task of it failed ${d.protocol.taskMaxFailures} times for reasons that may count against the app`,
    );
  }
}

/** The sizes C3 tallies: a submitted job's biggest task, and each FINISHED result the driver steps on. */
function noteSizes(tids: TidLedger, led: TasksInFlight, input: Input | null): void {
  if (input === null) return;
  if (input.type === "command" && input.command.kind === "submitJob") {
    let biggest = 0;
    for (const ts of input.command.taskSets) for (const t of ts.tasks) biggest = Math.max(biggest, t.sizeBytes);
    led.biggestTaskBytes.set(input.command.jobId, biggest);
    return;
  }
  if (input.type !== "message" || input.message.type !== "StatusUpdate" || input.message.state !== "FINISHED") return;
  const data = input.message.data;
  if (data.kind !== "result") return;
  const taskSetId = tids.taskSetOf(input.message.taskId);
  if (taskSetId !== undefined) led.resultBytes.set(taskSetId, (led.resultBytes.get(taskSetId) ?? 0) + data.sizeBytes);
}

/** Whether the job's own sizes broke a limit: a task at least maxMessageSizeBytes, or results of one task set above maxResultSizeBytes. */
function justifiedBySizes(led: TasksInFlight, jobId: string, d: DriverRoleState): boolean {
  if ((led.biggestTaskBytes.get(jobId) ?? 0) >= d.protocol.maxMessageSizeBytes) return true;
  const maxResultBytes = d.protocol.maxResultSizeBytes;
  if (maxResultBytes <= 0) return false;
  const prefix = `${jobId}.`;
  for (const [taskSetId, bytes] of led.resultBytes) if (taskSetId.startsWith(prefix) && bytes > maxResultBytes) return true;
  return false;
}

function justifiedByFailures(led: TasksInFlight, jobId: string, maxFailures: number): boolean {
  const prefix = `${jobId}.`;
  for (const [taskSetId, byIndex] of led.failures) {
    if (!taskSetId.startsWith(prefix)) continue;
    for (const count of byIndex.values()) if (count >= maxFailures) return true;
  }
  return false;
}
