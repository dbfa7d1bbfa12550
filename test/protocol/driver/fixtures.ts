import { expect } from "vitest";
import { driver, checkDriverInvariants, type DriverRoleState } from "../../../src/protocol/driver/index.js";
import {
  address,
  appId,
  executorId,
  jobId,
  resolveConfig,
  type Address,
  type Effect,
  type ExecutorId,
  type Input,
  type Message,
  type Notification,
  type ProtocolConfig,
  type StatusData,
  type TaskDescription,
  type TaskFailureData,
  type TaskPayload,
  type TaskSetSpec,
  type TaskState,
} from "../../../src/protocol/index.js";

export const DRIVER = address("driver-1");
export const MASTER = address("master-1");
export const MASTER2 = address("master-2");
export const APP = appId("app-20260101000000-0000");
export const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

export interface DriverOptions {
  masters?: Address[];
  seed?: number;
}

export function initDriver(overrides: Partial<ProtocolConfig> = {}, options: DriverOptions = {}) {
  return driver.init(
    {
      address: DRIVER,
      host: "driver-host",
      masterAddresses: options.masters ?? [MASTER],
      appDesc: { name: "pi", memoryPerExecutorMb: 1024, command: { module: "pi.js", args: ["10"] } },
      protocol: resolveConfig(overrides),
      seed: options.seed ?? 42,
    },
    { now: T0 },
  );
}

export function newDriver(overrides: Partial<ProtocolConfig> = {}, options: DriverOptions = {}): DriverRoleState {
  return initDriver(overrides, options).state;
}

/** One step, then the invariants must hold (Dask's validate_state after every test step). */
export function step(s: DriverRoleState, input: Input, now = T0): Effect[] {
  const fx = driver.step(s, input, { now });
  expect(checkDriverInvariants(s)).toEqual([]);
  return fx;
}

export function deliver(s: DriverRoleState, from: Address | string, message: Message, now = T0): Effect[] {
  return step(s, { type: "message", from: address(String(from)), message }, now);
}

export const command = (s: DriverRoleState, c: Extract<Input, { type: "command" }>["command"], now = T0) =>
  step(s, { type: "command", command: c }, now);

export const timer = (s: DriverRoleState, key: string, now = T0) => step(s, { type: "timer", key }, now);

/** A driver the master accepted. */
export function registeredDriver(overrides: Partial<ProtocolConfig> = {}, options: DriverOptions = {}): DriverRoleState {
  const s = newDriver(overrides, options);
  deliver(s, MASTER, { type: "RegisteredApplication", appId: APP, masterAddress: MASTER });
  return s;
}

export const execAddr = (n: number): Address => address(`executor-${n}`);
export const eid = (n: number): ExecutorId => executorId(n);

export function registerExecutor(s: DriverRoleState, n: number, cores = 4, now = T0): Effect[] {
  return deliver(
    s,
    execAddr(n),
    { type: "RegisterExecutor", executorId: eid(n), executorAddress: execAddr(n), hostname: `host-${n}`, cores },
    now,
  );
}

/** Registers executor n and sends its LaunchedExecutor; returns the LaunchedExecutor step's effects. */
export function addExecutor(s: DriverRoleState, n: number, cores = 4, now = T0): Effect[] {
  registerExecutor(s, n, cores, now);
  return deliver(s, execAddr(n), { type: "LaunchedExecutor", executorId: eid(n) }, now);
}

export const payload = (data: unknown, sizeBytes = 100): TaskPayload => ({ data, sizeBytes });

/** A task set of n tasks whose payload is the task's index. */
export function taskSet(n: number, cpusPerTask?: number, sizeBytes = 100): TaskSetSpec {
  const tasks = Array.from({ length: n }, (_, i) => payload(i, sizeBytes));
  return cpusPerTask === undefined ? { tasks } : { tasks, cpusPerTask };
}

export function submit(s: DriverRoleState, id: string, ...taskSets: TaskSetSpec[]): Effect[] {
  return command(s, { kind: "submitJob", jobId: jobId(id), taskSets });
}

export function statusUpdate(
  s: DriverRoleState,
  n: number,
  taskId: number,
  state: TaskState,
  data: StatusData = { kind: "none" },
  taskCpus = 1,
  now = T0,
): Effect[] {
  return deliver(s, execAddr(n), { type: "StatusUpdate", executorId: eid(n), taskId, state, data, taskCpus }, now);
}

/** The StatusUpdate an executor sends for `task`: its index as the result when FINISHED, a kill (another attempt won) when KILLED. */
export function statusUpdateInput(task: TaskDescription, state: "RUNNING" | "FINISHED" | "KILLED"): Input {
  return {
    type: "message",
    from: execAddr(Number(task.executorId)),
    message: {
      type: "StatusUpdate",
      executorId: task.executorId,
      taskId: task.taskId,
      state,
      data:
        state === "FINISHED"
          ? { kind: "result", value: task.index, sizeBytes: 10 }
          : state === "KILLED"
            ? { kind: "failure", failure: { kind: "killed", reason: "another attempt succeeded" } }
            : { kind: "none" },
      taskCpus: 1,
    },
  };
}

export const finish = (s: DriverRoleState, task: TaskDescription, value: unknown = `r${task.index}`, sizeBytes = 10, now = T0) =>
  statusUpdate(s, Number(task.executorId), task.taskId, "FINISHED", { kind: "result", value, sizeBytes }, task.cpus, now);

export const fail = (
  s: DriverRoleState,
  task: TaskDescription,
  failure: TaskFailureData = { kind: "exception", message: "boom" },
  state: TaskState = "FAILED",
  now = T0,
) => statusUpdate(s, Number(task.executorId), task.taskId, state, { kind: "failure", failure }, task.cpus, now);

export const running = (s: DriverRoleState, task: TaskDescription, now = T0) =>
  statusUpdate(s, Number(task.executorId), task.taskId, "RUNNING", { kind: "none" }, task.cpus, now);

// ---- Effect readers ---------------------------------------------------------------------------

export const sends = (fx: Effect[], type?: Message["type"]) =>
  fx.flatMap((e) => (e.type === "send" && (type === undefined || e.message.type === type) ? [e] : []));

export const messagesOf = <T extends Message["type"]>(fx: Effect[], type: T): Array<Extract<Message, { type: T }>> =>
  sends(fx, type).map((e) => e.message as unknown as Extract<Message, { type: T }>);

export const launched = (fx: Effect[]): TaskDescription[] => messagesOf(fx, "LaunchTask").map((m) => m.task);

export const notes = <K extends Notification["kind"]>(fx: Effect[], kind: K): Array<Extract<Notification, { kind: K }>> =>
  fx.flatMap((e) => (e.type === "notify" && e.notification.kind === kind ? [e.notification as Extract<Notification, { kind: K }>] : []));

export const ignoredWhy = (fx: Effect[]) => fx.flatMap((e) => (e.type === "log" && e.event === "ignored" ? [String(e.fields["why"])] : []));

export const logEvents = (fx: Effect[]) => fx.flatMap((e) => (e.type === "log" ? [e.event] : []));

export const exits = (fx: Effect[]) => fx.flatMap((e) => (e.type === "exit" ? [e] : []));

/** Drive every launched task to FINISHED until nothing more launches; returns every effect seen. */
export function runToCompletion(s: DriverRoleState, first: Effect[]): Effect[] {
  const all: Effect[] = [...first];
  const queue = launched(first);
  while (queue.length > 0) {
    const fx = finish(s, queue.shift()!);
    all.push(...fx);
    queue.push(...launched(fx));
  }
  return all;
}

export { address, executorId, jobId };
