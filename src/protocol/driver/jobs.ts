/**
 * The part of the DAG scheduler flint keeps. A job is a list of stages that run one after
 * another; each stage is one task set of ResultTasks with no locality preference (no shuffle, no
 * parent re-runs, no stage retries). The job's results are the last stage's values by index.
 * The scheduler's events are settled after the handler, as Spark's DAG event loop does.
 */
import { assert, assertNever } from "../assert.js";
import { ignored, log, notify, type TaskSetSpec } from "../io.js";
import type { JobId } from "../ids.js";
import { copyPlain } from "../copy.js";
import { taskSetIdOf } from "./pool.js";
import {
  MAX_ACTIVE_JOBS,
  MAX_DAG_EVENTS_PER_STEP,
  MAX_TASKS_PER_TASK_SET,
  NO_DAG_EVENTS,
  RETAINED_FINISHED_JOBS,
  type DagEvent,
  type DriverStep,
  type JobState,
  type StageSpec,
} from "./state.js";
import { cancelTasks, submitTasks } from "./taskScheduler.js";
import { createTaskSetManager } from "./taskSetManager.js";

function invalidTaskSet(spec: TaskSetSpec, defaultCpus: number): string | null {
  const cpus = spec.cpusPerTask ?? defaultCpus;
  if (!Number.isInteger(cpus) || cpus <= 0) return `cpusPerTask must be a positive integer (got ${cpus})`;
  if (!Array.isArray(spec.tasks)) return "tasks must be a list";
  if (spec.tasks.length > MAX_TASKS_PER_TASK_SET) return `a task set may hold at most ${MAX_TASKS_PER_TASK_SET} tasks`;
  return null;
}

/** submitJob: a new job starts its first non-empty stage; a duplicate id is ignored. */
export function submitJob(d: DriverStep, jobId: JobId, taskSets: TaskSetSpec[]): void {
  const jobs = d.s.jobs;
  if (jobs.active[jobId] !== undefined || jobs.finished[jobId] !== undefined || leftoverTaskSet(d, jobId, taskSets.length)) {
    d.fx.push(ignored("duplicate-job", { jobId }));
    return;
  }
  const defaultCpus = d.s.protocol.taskCpus;
  let problem: string | null =
    Object.keys(jobs.active).length >= MAX_ACTIVE_JOBS ? `too many active jobs (limit ${MAX_ACTIVE_JOBS})` : null;
  for (const spec of taskSets) problem ??= invalidTaskSet(spec, defaultCpus);
  if (problem !== null) {
    d.fx.push(ignored("invalid-job", { jobId, problem }));
    d.fx.push(notify({ kind: "jobFailed", jobId, reason: `Job ${jobId} rejected: ${problem}` }));
    return;
  }
  const job: JobState = {
    jobId,
    seq: jobs.nextJobSeq++,
    stages: taskSets.map((spec) => stageSpec(spec, defaultCpus)),
    currentStage: 0,
    tasksTotal: taskSets.reduce((sum, spec) => sum + spec.tasks.length, 0),
    tasksFinished: 0,
    results: [],
  };
  jobs.active[jobId] = job;
  d.fx.push(log("info", "jobSubmitted", { jobId, stages: taskSets.length, tasks: job.tasksTotal }));
  startStage(d, job, 0);
}

/** A stage as the job keeps it: the payloads copied out of the command into parallel arrays (no object per task). */
function stageSpec(spec: TaskSetSpec, defaultCpus: number): StageSpec {
  const payloadData = spec.tasks.map((payload) => copyPlain(payload.data));
  const payloadSizeBytes = spec.tasks.map((payload) => payload.sizeBytes);
  return { payloadData, payloadSizeBytes, cpusPerTask: spec.cpusPerTask ?? defaultCpus, numTasks: spec.tasks.length };
}

/** A zombie task set of an evicted job with the same id may still linger in the pool. */
function leftoverTaskSet(d: DriverStep, jobId: JobId, stages: number): boolean {
  for (let stage = 0; stage < stages; stage++) if (d.s.scheduler.taskSets[taskSetIdOf(jobId, stage)] !== undefined) return true;
  return false;
}

/** Start the first stage at or after `stageIndex` that has tasks; a job with none left succeeds. */
function startStage(d: DriverStep, job: JobState, stageIndex: number): void {
  let stage = stageIndex;
  while (stage < job.stages.length && job.stages[stage]!.numTasks === 0) stage++;
  if (stage >= job.stages.length) {
    finishJob(d, job, "succeeded");
    d.fx.push(notify({ kind: "jobSucceeded", jobId: job.jobId, results: job.results.map(copyPlain) }));
    return;
  }
  job.currentStage = stage;
  const spec = job.stages[stage]!;
  if (stage === job.stages.length - 1) job.results = new Array<unknown>(spec.numTasks).fill(null);
  const { payloadData, payloadSizeBytes } = spec;
  spec.payloadData = [];
  spec.payloadSizeBytes = [];
  submitTasks(d, createTaskSetManager(job.jobId, job.seq, stage, payloadData, payloadSizeBytes, spec.cpusPerTask));
}

function finishJob(d: DriverStep, job: JobState, outcome: "succeeded" | "failed"): void {
  const jobs = d.s.jobs;
  delete jobs.active[job.jobId];
  jobs.finished[job.jobId] = outcome;
  jobs.finishedOrder.push(job.jobId);
  while (jobs.finishedOrder.length > RETAINED_FINISHED_JOBS) delete jobs.finished[jobs.finishedOrder.shift()!];
}

/**
 * Fail a running job: its current stage is cancelled (running attempts killed with "Stage
 * cancelled" when `killTasks`), as failJobAndIndependentStages does.
 */
export function failJob(d: DriverStep, job: JobState, reason: string, killTasks = true): void {
  finishJob(d, job, "failed");
  d.fx.push(notify({ kind: "jobFailed", jobId: job.jobId, reason }));
  const tsm = d.s.scheduler.taskSets[taskSetIdOf(job.jobId, job.currentStage)];
  if (tsm !== undefined && killTasks) cancelTasks(d, tsm, false);
}

/** cancelJob command: the job fails with the caller's reason. */
export function cancelJob(d: DriverStep, jobId: JobId, reason: string): void {
  const job = d.s.jobs.active[jobId];
  if (job !== undefined) return failJob(d, job, reason);
  d.fx.push(ignored(d.s.jobs.finished[jobId] !== undefined ? "job-already-finished" : "unknown-job", { jobId }));
}

/** Running jobs in submission order. */
export function activeJobsInOrder(d: DriverStep): JobState[] {
  return Object.values(d.s.jobs.active).sort((a, b) => a.seq - b.seq);
}

function onTaskSucceeded(d: DriverStep, event: Extract<DagEvent, { kind: "taskSucceeded" }>): void {
  const job = d.s.jobs.active[event.jobId];
  if (job === undefined || job.currentStage !== event.stageIndex) return; // the job already failed
  job.tasksFinished += 1;
  if (event.stageIndex === job.stages.length - 1) job.results[event.index] = event.value;
  d.fx.push(notify({ kind: "jobProgress", jobId: job.jobId, tasksFinished: job.tasksFinished, tasksTotal: job.tasksTotal }));
  if (event.stageDone) startStage(d, job, event.stageIndex + 1);
}

function onTaskSetFailed(d: DriverStep, event: Extract<DagEvent, { kind: "taskSetFailed" }>): void {
  const job = d.s.jobs.active[event.jobId];
  if (job === undefined || job.currentStage !== event.stageIndex) return; // already failed or cancelled
  failJob(d, job, event.reason);
}

/** Handle every pending DAG event, in order (handling one may queue more). */
export function processDagEvents(d: DriverStep): void {
  for (let i = 0; i < d.dagEvents.length; i++) {
    assert(i < MAX_DAG_EVENTS_PER_STEP, "DAG events do not settle");
    const event = d.dagEvents[i]!;
    switch (event.kind) {
      case "taskSucceeded":
        onTaskSucceeded(d, event);
        break;
      case "taskSetFailed":
        onTaskSetFailed(d, event);
        break;
      default:
        assertNever(event, "DAG event");
    }
  }
  d.dagEvents = NO_DAG_EVENTS;
}
