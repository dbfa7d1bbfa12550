/**
 * Trace records and the trace hash. Every delivered input (and every role `init`) is one record:
 * virtual time, node, the input, and the effects it produced. The trace hash is FNV-1a 64 over a
 * canonical encoding of each record's summary fields (time, node, input kind and its identifying
 * fields, each effect's kind and identifying fields), fed field by field so that the hot path
 * builds no strings and no JSON.
 */
import type { Effect, Input } from "../protocol/index.js";
import { Fnv64 } from "./hash.js";

/** One step of one node, as the trace and the `--trace` file hold it. */
export interface TraceRecord {
  /** Step number in the run (a stimulus id: `<node>#<step>`). */
  step: number;
  /** Virtual ms since the run started. */
  timeMs: number;
  node: string;
  /** The input, or null for a role's `init`. */
  input: Input | null;
  effects: readonly Effect[];
}

export function hashInput(h: Fnv64, input: Input | null): void {
  if (input === null) {
    h.str("init");
    return;
  }
  h.str(input.type);
  switch (input.type) {
    case "message":
      h.str(input.from).str(input.message.type);
      return;
    case "timer":
      h.str(input.key);
      return;
    case "peerDisconnected":
      h.str(input.peer);
      return;
    case "processLaunched":
    case "processLaunchFailed":
      h.str(processName(input.process));
      return;
    case "processExited":
      h.str(processName(input.process)).num(input.exitCode);
      return;
    case "taskFinished":
      h.num(input.taskId).str(input.outcome.kind);
      return;
    case "leaderElected":
      h.num(input.stored.apps.length).num(input.stored.drivers.length).num(input.stored.workers.length);
      return;
    case "leadershipRevoked":
      return;
    case "command":
      h.str(input.command.kind);
      return;
  }
}

export function hashEffect(h: Fnv64, e: Effect): void {
  h.str(e.type);
  switch (e.type) {
    case "send":
      h.str(e.to).str(e.message.type);
      return;
    case "setTimer":
      h.str(e.key).num(e.afterMs);
      return;
    case "cancelTimer":
      h.str(e.key);
      return;
    case "launch":
      h.str(e.spec.kind === "executor" ? `${e.spec.appId}/${e.spec.execId}` : e.spec.driverId);
      return;
    case "kill":
      h.str(processName(e.process));
      return;
    case "runTask":
      h.num(e.task.taskId);
      return;
    case "killTask":
      h.num(e.taskId);
      return;
    case "cleanupApp":
      h.str(e.appId);
      return;
    case "persist":
    case "unpersist":
      h.str(e.key);
      return;
    case "exit":
      h.num(e.code);
      return;
    case "log":
      h.str(e.event);
      return;
    case "notify":
      h.str(e.notification.kind);
      return;
  }
}

export function processName(p: { kind: "executor"; appId: string; execId: number } | { kind: "driver"; driverId: string }): string {
  return p.kind === "executor" ? `${p.appId}/${p.execId}` : p.driverId;
}

/** A short human summary of an input, for timelines and stories. */
export function describeInput(input: Input | null): string {
  if (input === null) return "init";
  switch (input.type) {
    case "message":
      return `${input.message.type} from ${input.from}`;
    case "timer":
      return `timer ${input.key}`;
    case "peerDisconnected":
      return `peerDisconnected ${input.peer}`;
    case "processLaunched":
      return `processLaunched ${processName(input.process)}`;
    case "processLaunchFailed":
      return `processLaunchFailed ${processName(input.process)}: ${input.error}`;
    case "processExited":
      return `processExited ${processName(input.process)} code ${input.exitCode}`;
    case "taskFinished":
      return `taskFinished ${input.taskId} ${input.outcome.kind}`;
    case "leaderElected":
      return `leaderElected (store: ${input.stored.apps.length} apps, ${input.stored.drivers.length} drivers, ${input.stored.workers.length} workers)`;
    case "leadershipRevoked":
      return "leadershipRevoked";
    case "command":
      return `command ${input.command.kind}`;
  }
}

/** A short human summary of an effect. */
export function describeEffect(e: Effect): string {
  switch (e.type) {
    case "send":
      return `send ${e.message.type} -> ${e.to}`;
    case "setTimer":
      return `setTimer ${e.key} +${e.afterMs}ms`;
    case "cancelTimer":
      return `cancelTimer ${e.key}`;
    case "launch":
      return `launch ${e.spec.kind} ${e.spec.kind === "executor" ? `${e.spec.appId}/${e.spec.execId}` : e.spec.driverId}`;
    case "kill":
      return `kill ${processName(e.process)}`;
    case "runTask":
      return `runTask ${e.task.taskId} (${e.task.taskSetId}#${e.task.index})`;
    case "killTask":
      return `killTask ${e.taskId}`;
    case "cleanupApp":
      return `cleanupApp ${e.appId}`;
    case "persist":
      return `persist ${e.key}`;
    case "unpersist":
      return `unpersist ${e.key}`;
    case "exit":
      return `exit ${e.code} (${e.reason})`;
    case "log":
      return `log ${e.level} ${e.event}${e.fields["why"] !== undefined ? ` why=${String(e.fields["why"])}` : ""}`;
    case "notify":
      return `notify ${e.notification.kind}`;
  }
}
