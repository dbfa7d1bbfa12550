/**
 * D4 `job-results-from-successful-attempts` (docs/protocol.md §6, §4.5): judged from the successes
 * the driver accepted (a `taskEnded` FINISHED on a StatusUpdate carrying the attempt's result),
 * not from its own counters:
 *  - a job succeeds only once every task of every stage has an accepted success, and its results
 *    are the last stage's, one per task, each the value of one of that task's accepted successes;
 *  - each jobProgress counts the job's tasks with an accepted success, out of all its tasks.
 * O(1) per accepted success, O(tasks of the job) when it succeeds.
 */
import type { Effect, Input } from "../../protocol/index.js";
import type { DriverRoleState } from "../../protocol/driver/state.js";
import { taskSetIdOf } from "../../protocol/driver/pool.js";
import { jobId as toJobId, type JobId } from "../../protocol/ids.js";
import type { TidLedger } from "./dense.js";
import type { Report } from "./report.js";

/** What D4 remembers about one driver incarnation's running jobs. */
export interface DriverResultsLedger {
  /** Per running job: its stages' task counts, and how many of its tasks have an accepted success. */
  jobs: Map<JobId, { tasksPerStage: number[]; finished: number }>;
  /** Per task set of a running job: its job, and per index the values of its accepted successes (usually one). */
  values: Map<string, { jobId: JobId; byIndex: unknown[][] }>;
}

export const newDriverResultsLedger = (): DriverResultsLedger => ({ jobs: new Map(), values: new Map() });

const CHECK = "D4:job-results-from-successful-attempts";

/** D4 for one driver step. */
export function checkJobResults(
  name: string,
  s: DriverRoleState,
  tids: TidLedger,
  led: DriverResultsLedger,
  input: Input | null,
  effects: readonly Effect[],
  report: Report,
): void {
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type === "log") {
      if (e.event === "jobSubmitted") noteJob(s, led, toJobId(String(e.fields["jobId"])), input);
      continue;
    }
    if (e.type !== "notify") continue;
    const n = e.notification;
    if (n.kind === "taskEnded" && n.state === "FINISHED") noteSuccess(name, tids, led, input, n.taskId, n.index, report);
    else if (n.kind === "jobProgress") {
      const job = led.jobs.get(n.jobId);
      if (job === undefined) continue;
      const total = job.tasksPerStage.reduce((sum, count) => sum + count, 0);
      if (n.tasksFinished !== job.finished || n.tasksTotal !== total)
        report(
          CHECK,
          `${name} reports job ${n.jobId} at ${n.tasksFinished} of ${n.tasksTotal} tasks, but ${job.finished} of its ${total} tasks have a success`,
        );
    } else if (n.kind === "jobSucceeded") {
      // A job with no tasks at all succeeds in the step that submits it: its stages come from the command.
      if (!led.jobs.has(n.jobId)) noteJob(s, led, n.jobId, input);
      judgeSuccess(name, led, n.jobId, n.results, report);
      forgetJob(led, n.jobId);
    } else if (n.kind === "jobFailed") forgetJob(led, n.jobId);
  }
}

function noteJob(s: DriverRoleState, led: DriverResultsLedger, jobId: JobId, input: Input | null): void {
  const job = s.jobs.active[jobId];
  let tasksPerStage: number[] | null = job === undefined ? null : job.stages.map((stage) => stage.numTasks);
  if (tasksPerStage === null && input?.type === "command" && input.command.kind === "submitJob" && input.command.jobId === jobId)
    tasksPerStage = input.command.taskSets.map((spec) => spec.tasks.length);
  if (tasksPerStage === null) return;
  led.jobs.set(jobId, { tasksPerStage, finished: 0 });
  for (let stage = 0; stage < tasksPerStage.length; stage++) led.values.set(taskSetIdOf(jobId, stage), { jobId, byIndex: [] });
}

function noteSuccess(
  name: string,
  tids: TidLedger,
  led: DriverResultsLedger,
  input: Input | null,
  taskId: number,
  index: number,
  report: Report,
): void {
  const taskSetId = tids.taskSetOf(taskId);
  const taskSet = taskSetId === undefined ? undefined : led.values.get(taskSetId);
  if (taskSet === undefined) return; // not a task of a job this ledger follows (its job already ended)
  const m = input?.type === "message" ? input.message : null;
  if (m === null || m.type !== "StatusUpdate" || m.taskId !== taskId || m.state !== "FINISHED" || m.data.kind !== "result") {
    report(
      CHECK,
      `${name} reported TID ${taskId} (task ${index} of ${taskSetId}) succeeded on an input that is not its FINISHED update with a result`,
    );
    return;
  }
  if (tids.indexOf(taskId) !== index)
    report(
      CHECK,
      `${name} reported TID ${taskId} succeeded as task ${index} of ${taskSetId}, but launched it for task ${tids.indexOf(taskId)}`,
    );
  const seen = taskSet.byIndex[index];
  if (seen === undefined) {
    taskSet.byIndex[index] = [m.data.value];
    const job = led.jobs.get(taskSet.jobId);
    if (job !== undefined) job.finished += 1;
  } else seen.push(m.data.value);
}

function judgeSuccess(name: string, led: DriverResultsLedger, jobId: JobId, results: readonly unknown[], report: Report): void {
  const job = led.jobs.get(jobId);
  if (job === undefined) return;
  const stages = job.tasksPerStage;
  for (let stage = 0; stage < stages.length; stage++) {
    const values = led.values.get(taskSetIdOf(jobId, stage))?.byIndex ?? [];
    for (let index = 0; index < stages[stage]!; index++) {
      if (values[index] !== undefined) continue;
      report(CHECK, `${name} reported job ${jobId} succeeded, but task ${index} of its stage ${stage} never succeeded`);
      return;
    }
  }
  const last = stages.length - 1;
  const expected = last < 0 ? 0 : stages[last]!;
  if (results.length !== expected) {
    report(CHECK, `${name} reported job ${jobId} succeeded with ${results.length} results, but its last stage has ${expected} tasks`);
    return;
  }
  const values = last < 0 ? [] : (led.values.get(taskSetIdOf(jobId, last))?.byIndex ?? []);
  for (let index = 0; index < expected; index++) {
    if ((values[index] ?? []).some((v) => samePlain(v, results[index]))) continue;
    report(
      CHECK,
      `${name} reported job ${jobId}'s result ${index} as ${JSON.stringify(results[index])}, which no successful attempt of that task returned`,
    );
    return;
  }
}

function forgetJob(led: DriverResultsLedger, jobId: JobId): void {
  const job = led.jobs.get(jobId);
  if (job === undefined) return;
  for (let stage = 0; stage < job.tasksPerStage.length; stage++) led.values.delete(taskSetIdOf(jobId, stage));
  led.jobs.delete(jobId);
}

/** Deep equality of plain data (what a task returns: JSON-like values). */
function samePlain(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i]) return false;
    if (!samePlain((a as Record<string, unknown>)[ka[i]!], (b as Record<string, unknown>)[kb[i]!])) return false;
  }
  return true;
}
