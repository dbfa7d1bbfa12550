/**
 * The timeline: what a person wants to read about a run (registrations, elections, failovers,
 * executors and workers lost, jobs finished, faults), picked out of each step. No colours here:
 * the CLI's printer adds them.
 */
import type { Effect, Input } from "../protocol/index.js";
import type { SimNode } from "./world.js";

export type TimelineKind = "fault" | "election" | "cluster" | "executor" | "job" | "exit" | "check";

export interface TimelineEntry {
  timeMs: number;
  kind: TimelineKind;
  node: string;
  text: string;
}

/** Log events of the roles that the timeline shows (the rest are in the full trace). */
const SHOWN_LOGS = new Set([
  "workerRegistered",
  "applicationRegistered",
  "applicationFailed",
  "reconnectWorker",
  "driverSubmitted",
  "workerRemoved",
  "applicationRemoved",
  "driverRelaunched",
  "driverRemoved",
  "recoveryCompleted",
  "duplicateWorkerRegistration",
  "master-disconnected",
  "worker-registration-failed",
  "executor-state-sync-failed",
]);

function fields(f: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(f)) parts.push(`${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  return parts.join(" ");
}

/** Appends the entries this step deserves to `out`. */
export function timelineOf(node: SimNode, timeMs: number, input: Input | null, effects: readonly Effect[], out: TimelineEntry[]): void {
  const add = (kind: TimelineKind, text: string): void => {
    out.push({ timeMs, kind, node: node.name, text });
  };
  if (input !== null) {
    switch (input.type) {
      case "leaderElected":
        add("election", `elected leader; store holds ${input.stored.apps.length} apps, ${input.stored.drivers.length} drivers, ${input.stored.workers.length} workers`);
        break;
      case "leadershipRevoked":
        add("election", "leadership revoked");
        break;
      case "message": {
        const m = input.message;
        switch (m.type) {
          case "MasterChanged":
            add("election", `MasterChanged: now follows ${m.masterAddress}`);
            break;
          case "ReconnectWorker":
            add("cluster", `told to reconnect by ${input.from}`);
            break;
          case "RegisteredApplication":
            add("cluster", `application registered as ${m.appId} with ${input.from}`);
            break;
          case "ApplicationRemoved":
            add("cluster", `application removed by the master: ${m.message}`);
            break;
          case "ExecutorAdded":
            add("executor", `executor ${m.execId} added on ${m.workerId} (${m.cores} cores)`);
            break;
          case "ExecutorUpdated":
            if (m.state !== "RUNNING" && m.state !== "LAUNCHING") add("executor", `executor ${m.execId} ${m.state}${m.message ? `: ${m.message}` : ""}${m.exitStatus !== undefined ? ` (exit ${m.exitStatus})` : ""}`);
            break;
          case "SubmitDriverResponse":
            add("cluster", m.success ? `driver submitted as ${m.driverId} via ${input.from}` : `submission refused by ${input.from}: ${m.message}`);
            break;
          case "DriverStateChanged":
            add("cluster", `driver ${m.driverId} ${m.state}${m.exception ? `: ${m.exception}` : ""}`);
            break;
          default:
            break;
        }
        break;
      }
      default:
        break;
    }
  }
  for (const e of effects) {
    if (e.type === "exit") add("exit", `exited with code ${e.code}: ${e.reason}`);
    else if (e.type === "notify") {
      const n = e.notification;
      if (n.kind === "jobSucceeded") add("job", `job ${n.jobId} succeeded (${n.results.length} results)`);
      else if (n.kind === "jobFailed") add("job", `job ${n.jobId} FAILED: ${n.reason}`);
      else if (n.kind === "appDead") add("job", `application dead: ${n.reason}`);
    } else if (e.type === "log" && SHOWN_LOGS.has(e.event)) add(e.level === "error" ? "exit" : "cluster", `${e.event} ${fields(e.fields)}`);
  }
}
