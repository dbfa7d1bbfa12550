/** A running application's web page (Spark's port 4040): its jobs and their progress, its executors. */
import type { Registry } from "prom-client";
import type { Notification } from "../../protocol/io.js";
import { clockTime, escapeHtml, progress, section, seconds, table } from "./html.js";
import type { WebSite } from "./server.js";

/** Finished jobs and removed executors kept for the page (Spark's spark.ui.retainedJobs). */
export const RETAINED_UI_JOBS = 1000;
export const RETAINED_UI_EXECUTORS = 1000;

export interface AppJob {
  jobId: string;
  state: "RUNNING" | "SUCCEEDED" | "FAILED";
  tasksFinished: number;
  tasksTotal: number;
  tasksFailed: number;
  submittedAtMs: number;
  endedAtMs: number | null;
  failure: string | null;
}

export interface AppExecutor {
  executorId: string;
  host: string;
  cores: number;
  state: "ACTIVE" | "REMOVED";
  reason: string | null;
}

export interface AppPageModel {
  appId: string | null;
  name: string;
  state: "RUNNING" | "DEAD";
  deadReason: string | null;
  startedAtMs: number;
  jobs: AppJob[];
  executors: AppExecutor[];
}

/** Builds the page's model from the driver's notifications (nothing else of the driver is read). */
export class AppModel {
  private readonly model: AppPageModel;
  private readonly jobs = new Map<string, AppJob>();
  private readonly executors = new Map<string, AppExecutor>();

  constructor(
    name: string,
    private readonly now: () => number = Date.now,
  ) {
    this.model = { appId: null, name, state: "RUNNING", deadReason: null, startedAtMs: now(), jobs: [], executors: [] };
  }

  onNotification(n: Notification): void {
    switch (n.kind) {
      case "appRegistered":
        this.model.appId = n.appId;
        return;
      case "appDead":
        this.model.state = "DEAD";
        this.model.deadReason = n.reason;
        return;
      case "executorAdded":
        this.executors.delete(n.executorId);
        this.executors.set(n.executorId, { executorId: n.executorId, host: n.host, cores: n.cores, state: "ACTIVE", reason: null });
        this.trim(this.executors, RETAINED_UI_EXECUTORS, (e) => e.state === "REMOVED");
        return;
      case "executorRemoved": {
        const e = this.executors.get(n.executorId);
        if (e) {
          e.state = "REMOVED";
          e.reason = n.reason;
        }
        return;
      }
      case "jobProgress": {
        const job = this.job(n.jobId);
        job.tasksFinished = n.tasksFinished;
        job.tasksTotal = n.tasksTotal;
        return;
      }
      case "jobSucceeded": {
        const job = this.job(n.jobId);
        job.state = "SUCCEEDED";
        job.tasksFinished = Math.max(job.tasksFinished, n.results.length);
        job.tasksTotal = Math.max(job.tasksTotal, n.results.length);
        job.endedAtMs = this.now();
        return;
      }
      case "jobFailed": {
        const job = this.job(n.jobId);
        job.state = "FAILED";
        job.failure = n.reason;
        job.endedAtMs = this.now();
        return;
      }
      case "taskEnded":
        if (n.state === "FAILED") this.job(n.jobId).tasksFailed++;
        return;
      case "driverSubmitted":
      case "driverSubmissionFailed":
        return; // the submission client's, not an application's
      default: {
        const never: never = n;
        return never;
      }
    }
  }

  /** A job submitted by the API, before the driver's first progress. */
  jobSubmitted(jobId: string, tasksTotal: number): void {
    this.job(jobId).tasksTotal = tasksTotal;
  }

  snapshot(): AppPageModel {
    return {
      ...this.model,
      jobs: [...this.jobs.values()].reverse().map((j) => ({ ...j })),
      executors: [...this.executors.values()].map((e) => ({ ...e })),
    };
  }

  private job(jobId: string): AppJob {
    let job = this.jobs.get(jobId);
    if (job === undefined) {
      job = {
        jobId,
        state: "RUNNING",
        tasksFinished: 0,
        tasksTotal: 0,
        tasksFailed: 0,
        submittedAtMs: this.now(),
        endedAtMs: null,
        failure: null,
      };
      this.jobs.set(jobId, job);
      this.trim(this.jobs, RETAINED_UI_JOBS, (j) => j.state !== "RUNNING");
    }
    return job;
  }

  /** Drops the oldest entries that `removable` allows once over `max`. */
  private trim<T>(map: Map<string, T>, max: number, removable: (v: T) => boolean): void {
    if (map.size <= max) return;
    for (const [key, value] of map) {
      if (map.size <= max) return;
      if (removable(value)) map.delete(key);
    }
  }
}

export function renderApp(m: AppPageModel, nowMs: number): string {
  const running = m.jobs.filter((j) => j.state === "RUNNING");
  const summary = `<ul id="summary">
<li>Application: ${escapeHtml(m.appId ?? "not registered yet")} (${escapeHtml(m.name)})</li>
<li>State: ${escapeHtml(m.state)}${m.deadReason !== null ? `: ${escapeHtml(m.deadReason)}` : ""}</li>
<li>Started: ${escapeHtml(clockTime(m.startedAtMs))}, up ${escapeHtml(seconds(nowMs - m.startedAtMs))}</li>
<li>Jobs: ${running.length} running, ${m.jobs.length - running.length} finished</li>
<li>Executors: ${m.executors.filter((e) => e.state === "ACTIVE").length} active</li>
</ul>`;
  const jobs = table(
    "jobs",
    ["Job", "State", "Progress", "Failed tasks", "Submitted", "Duration", "Failure"],
    m.jobs.map((j) => [
      j.jobId,
      j.state,
      progress(j.tasksFinished, j.tasksTotal),
      j.tasksFailed,
      clockTime(j.submittedAtMs),
      seconds((j.endedAtMs ?? nowMs) - j.submittedAtMs),
      j.failure ?? "",
    ]),
  );
  const executors = table(
    "executors",
    ["Executor", "Host", "Cores", "State", "Reason"],
    m.executors.map((e) => [e.executorId, e.host, e.cores, e.state, e.reason ?? ""]),
  );
  return [summary, section("Jobs", jobs), section("Executors", executors)].join("\n");
}

export function appSite(model: AppModel, registry: Registry): WebSite {
  return {
    title: `flint application ${model.snapshot().name}`,
    registry,
    api: { app: () => model.snapshot() },
    render: () => renderApp(model.snapshot(), Date.now()),
  };
}
