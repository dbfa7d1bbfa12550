/** Small factories for the executor's unit tests. */
import { expect } from "vitest";
import { resolveConfig, type ProtocolConfig } from "../../../src/protocol/config.js";
import { executor, type ExecutorBackendState } from "../../../src/protocol/executor/index.js";
import { address, appId, executorId, type Address } from "../../../src/protocol/ids.js";
import type { Effect, Input } from "../../../src/protocol/io.js";
import type { LaunchTask, Message, TaskDescription } from "../../../src/protocol/messages.js";
import type { ExecutorConfig } from "../../../src/protocol/roles.js";

export const DRIVER = address("driver-1");
export const WORKER = address("worker-1");
export const SELF = address("executor-app-0");
export const STRANGER = address("someone-else");
export const EXEC_ID = executorId(0);

export function executorConfig(overrides: Partial<ExecutorConfig> = {}, protocol: Partial<ProtocolConfig> = {}): ExecutorConfig {
  return {
    appId: appId("app-20240101000000-0000"),
    execId: 0,
    executorId: EXEC_ID,
    address: SELF,
    hostname: "10.0.0.2",
    cores: 4,
    driverAddress: DRIVER,
    workerAddress: WORKER,
    protocol: resolveConfig(protocol),
    seed: 99,
    ...overrides,
  };
}

export function startExecutor(
  overrides: Partial<ExecutorConfig> = {},
  protocol: Partial<ProtocolConfig> = {},
): { state: ExecutorBackendState; effects: Effect[] } {
  return executor.init(executorConfig(overrides, protocol), { now: 0 });
}

export function step(state: ExecutorBackendState, input: Input, now = 0): Effect[] {
  return executor.step(state, input, { now });
}

export const fromPeer = (from: Address, message: Message): Input => ({ type: "message", from, message });
export const fromDriver = (message: Message): Input => fromPeer(DRIVER, message);
export const timer = (key: string): Input => ({ type: "timer", key });

/** An executor the driver accepted (RegisteredExecutor delivered). */
export function constructedExecutor(protocol: Partial<ProtocolConfig> = {}): ExecutorBackendState {
  const { state } = startExecutor({}, protocol);
  step(state, fromDriver({ type: "RegisteredExecutor" }));
  return state;
}

export function task(overrides: Partial<TaskDescription> = {}): TaskDescription {
  return {
    taskId: 7,
    attemptNumber: 0,
    executorId: EXEC_ID,
    taskSetId: "job-1.0.0",
    index: 3,
    cpus: 1,
    payload: { data: { fn: "pi", samples: [1, 2, 3] }, sizeBytes: 64 },
    ...overrides,
  };
}

export const launchTask = (overrides: Partial<TaskDescription> = {}): LaunchTask => ({ type: "LaunchTask", task: task(overrides) });

export function sent(effects: Effect[], to?: Address): Message[] {
  return effects.flatMap((e) => (e.type === "send" && (to === undefined || e.to === to) ? [e.message] : []));
}

export function ignoredReasons(effects: Effect[]): unknown[] {
  return effects.flatMap((e) => (e.type === "log" && e.event === "ignored" ? [e.fields.why] : []));
}

export function exits(effects: Effect[]): Extract<Effect, { type: "exit" }>[] {
  return effects.filter((e): e is Extract<Effect, { type: "exit" }> => e.type === "exit");
}

/** The executor's running tasks as (TID, CPUs) pairs, read from its two parallel lists (which must stay of one length). */
export function running(state: ExecutorBackendState): Array<{ taskId: number; cpus: number }> {
  expect(state.runningTaskCpus).toHaveLength(state.runningTaskIds.length);
  return state.runningTaskIds.map((taskId, i) => ({ taskId, cpus: state.runningTaskCpus[i]! }));
}
