/**
 * Trace records and the trace hash. Every delivered input (and every role `init`) is one record:
 * virtual time, node, the input, and the effects it produced. The trace hash is FNV-1a 64 over a
 * canonical encoding of each record's summary fields (time, node, input kind and its identifying
 * fields, each effect's kind and identifying fields), fed field by field so that the hot path
 * builds no strings and no JSON.
 */
import type { Effect, Input } from "../protocol/index.js";
import { fnv32Word, type Fnv64 } from "./hash.js";

/** One step of one node, as the trace and the `--trace` file hold it. */
export interface TraceRecord {
  /** Step number in the run: the id of this step's input, which its effects' records name as `cause`. */
  step: number;
  /** Virtual ms since the run started. */
  timeMs: number;
  node: string;
  /**
   * The step whose effects caused this input (its stimulus): a message's sending step, a timer's
   * setting step, a task's launching step. -1 when no step did: a fault, the scenario's workload,
   * or the network (a connection that broke). Not part of the trace hash.
   */
  cause: number;
  /** The input, or null for a role's `init`. */
  input: Input | null;
  effects: readonly Effect[];
}

/**
 * The hash words of the input and effect kinds, computed once (each is `fnv32Word` of the kind's name,
 * so mixing one is the same as `str(kind)`; the hot path skips the string cache).
 */
const W_INIT = fnv32Word("init");
const W_INPUT: Readonly<Record<Input["type"], number>> = {
  message: fnv32Word("message"),
  timer: fnv32Word("timer"),
  peerDisconnected: fnv32Word("peerDisconnected"),
  processLaunched: fnv32Word("processLaunched"),
  processLaunchFailed: fnv32Word("processLaunchFailed"),
  processExited: fnv32Word("processExited"),
  taskFinished: fnv32Word("taskFinished"),
  leaderElected: fnv32Word("leaderElected"),
  leadershipRevoked: fnv32Word("leadershipRevoked"),
  command: fnv32Word("command"),
};
const W_MESSAGE = W_INPUT.message;
const W_TIMER = W_INPUT.timer;
const W_TASK_FINISHED = W_INPUT.taskFinished;
const W_SEND = fnv32Word("send");
const W_SET_TIMER = fnv32Word("setTimer");
const W_CANCEL_TIMER = fnv32Word("cancelTimer");
const W_LAUNCH = fnv32Word("launch");
const W_KILL = fnv32Word("kill");
const W_RUN_TASK = fnv32Word("runTask");
const W_KILL_TASK = fnv32Word("killTask");
const W_CLEANUP_APP = fnv32Word("cleanupApp");
const W_PERSIST = fnv32Word("persist");
const W_UNPERSIST = fnv32Word("unpersist");
const W_EXIT = fnv32Word("exit");
const W_LOG = fnv32Word("log");
const W_NOTIFY = fnv32Word("notify");

export function hashInput(h: Fnv64, input: Input | null): void {
  if (input === null) {
    h.word(W_INIT);
    return;
  }
  switch (input.type) {
    case "message":
      h.word(W_MESSAGE).str(input.from).str(input.message.type);
      return;
    case "timer":
      h.word(W_TIMER).str(input.key);
      return;
    case "peerDisconnected":
      h.word(W_INPUT.peerDisconnected).str(input.peer);
      return;
    case "processLaunched":
    case "processLaunchFailed":
      h.word(W_INPUT[input.type]).str(processName(input.process));
      return;
    case "processExited":
      h.word(W_INPUT.processExited).str(processName(input.process)).num(input.exitCode);
      return;
    case "taskFinished":
      h.word(W_TASK_FINISHED).num(input.taskId).str(input.outcome.kind);
      return;
    case "leaderElected":
      h.word(W_INPUT.leaderElected).num(input.stored.apps.length).num(input.stored.drivers.length).num(input.stored.workers.length);
      return;
    case "leadershipRevoked":
      h.word(W_INPUT.leadershipRevoked);
      return;
    case "command":
      h.word(W_INPUT.command).str(input.command.kind);
      return;
  }
}

/** `hashInput` of a message input whose sender's name has the hash word `fromWord` (`fnv32Word(input.from)`). */
export function hashMessageInput(h: Fnv64, input: Extract<Input, { type: "message" }>, fromWord: number): void {
  h.word(W_MESSAGE).word(fromWord).str(input.message.type);
}

/** `hashEffect` of a send whose receiver's name has the hash word `toWord` (`fnv32Word(e.to)`), or null when unknown. */
export function hashSendEffect(h: Fnv64, e: Extract<Effect, { type: "send" }>, toWord: number | null): void {
  h.word(W_SEND);
  if (toWord === null) h.str(e.to);
  else h.word(toWord);
  h.str(e.message.type);
}

export function hashEffect(h: Fnv64, e: Effect): void {
  switch (e.type) {
    case "send":
      h.word(W_SEND).str(e.to).str(e.message.type);
      return;
    case "setTimer":
      h.word(W_SET_TIMER).str(e.key).num(e.afterMs);
      return;
    case "cancelTimer":
      h.word(W_CANCEL_TIMER).str(e.key);
      return;
    case "launch":
      h.word(W_LAUNCH).str(e.spec.kind === "executor" ? `${e.spec.appId}/${e.spec.execId}` : e.spec.driverId);
      return;
    case "kill":
      h.word(W_KILL).str(processName(e.process));
      return;
    case "runTask":
      h.word(W_RUN_TASK).num(e.task.taskId);
      return;
    case "killTask":
      h.word(W_KILL_TASK).num(e.taskId);
      return;
    case "cleanupApp":
      h.word(W_CLEANUP_APP).str(e.appId);
      return;
    case "persist":
      h.word(W_PERSIST).str(e.key);
      return;
    case "unpersist":
      h.word(W_UNPERSIST).str(e.key);
      return;
    case "exit":
      h.word(W_EXIT).num(e.code);
      return;
    case "log":
      h.word(W_LOG).str(e.event);
      return;
    case "notify":
      h.word(W_NOTIFY).str(e.notification.kind);
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
