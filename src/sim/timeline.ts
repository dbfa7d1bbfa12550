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

/** Appends the entries this step deserves to `out`. Runs after every step: it allocates nothing for a step that shows nothing. */
export function timelineOf(node: SimNode, timeMs: number, input: Input | null, effects: readonly Effect[], out: TimelineEntry[]): void {
  if (input !== null && input.type !== "taskFinished" && input.type !== "timer") timelineOfInput(node, timeMs, input, out);
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type === "exit") out.push({ timeMs, kind: "exit", node: node.name, text: `exited with code ${e.code}: ${e.reason}` });
    else if (e.type === "notify") {
      const n = e.notification;
      if (n.kind === "jobSucceeded")
        out.push({ timeMs, kind: "job", node: node.name, text: `job ${n.jobId} succeeded (${n.results.length} results)` });
      else if (n.kind === "jobFailed") out.push({ timeMs, kind: "job", node: node.name, text: `job ${n.jobId} FAILED: ${n.reason}` });
      else if (n.kind === "appDead") out.push({ timeMs, kind: "job", node: node.name, text: `application dead: ${n.reason}` });
    } else if (e.type === "log" && SHOWN_LOGS.has(e.event)) {
      out.push({ timeMs, kind: e.level === "error" ? "exit" : "cluster", node: node.name, text: `${e.event} ${fields(e.fields)}` });
    }
  }
}

function add(out: TimelineEntry[], timeMs: number, node: SimNode, kind: TimelineKind, text: string): void {
  out.push({ timeMs, kind, node: node.name, text });
}

function timelineOfInput(node: SimNode, timeMs: number, input: Input, out: TimelineEntry[]): void {
  switch (input.type) {
    case "leaderElected":
      add(
        out,
        timeMs,
        node,
        "election",
        `elected leader; store holds ${input.stored.apps.length} apps, ${input.stored.drivers.length} drivers, ${input.stored.workers.length} workers`,
      );
      break;
    case "leadershipRevoked":
      add(out, timeMs, node, "election", "leadership revoked");
      break;
    case "message": {
      const m = input.message;
      switch (m.type) {
        case "MasterChanged":
          add(out, timeMs, node, "election", `MasterChanged: now follows ${m.masterAddress}`);
          break;
        case "ReconnectWorker":
          add(out, timeMs, node, "cluster", `told to reconnect by ${input.from}`);
          break;
        case "RegisteredApplication":
          add(out, timeMs, node, "cluster", `application registered as ${m.appId} with ${input.from}`);
          break;
        case "ApplicationRemoved":
          add(out, timeMs, node, "cluster", `application removed by the master: ${m.message}`);
          break;
        case "ExecutorAdded":
          add(out, timeMs, node, "executor", `executor ${m.execId} added on ${m.workerId} (${m.cores} cores)`);
          break;
        case "ExecutorUpdated":
          if (m.state !== "RUNNING" && m.state !== "LAUNCHING")
            add(
              out,
              timeMs,
              node,
              "executor",
              `executor ${m.execId} ${m.state}${m.message ? `: ${m.message}` : ""}${m.exitStatus !== undefined ? ` (exit ${m.exitStatus})` : ""}`,
            );
          break;
        case "SubmitDriverResponse":
          add(
            out,
            timeMs,
            node,
            "cluster",
            m.success ? `driver submitted as ${m.driverId} via ${input.from}` : `submission refused by ${input.from}: ${m.message}`,
          );
          break;
        case "DriverStateChanged":
          add(out, timeMs, node, "cluster", `driver ${m.driverId} ${m.state}${m.exception ? `: ${m.exception}` : ""}`);
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
