/** Small factories for the worker's unit tests. */
import { resolveConfig, type ProtocolConfig } from "../../../src/protocol/config.js";
import { address, appId, driverId, workerId, type Address } from "../../../src/protocol/ids.js";
import type { Effect, Input, ProcessRef } from "../../../src/protocol/io.js";
import type { DriverDescription, LaunchDriver, LaunchExecutor, Message } from "../../../src/protocol/messages.js";
import type { WorkerConfig } from "../../../src/protocol/roles.js";
import { worker, type WorkerState } from "../../../src/protocol/worker/index.js";

export const M1 = address("master-1");
export const M2 = address("master-2");
export const W = address("worker-1");
export const DRIVER_ADDRESS = address("driver-1");
export const APP = appId("app-20240101000000-0000");
export const APP2 = appId("app-20240101000000-0001");
export const DRIVER = driverId("driver-20240101000000-0000");

export function workerConfig(overrides: Partial<WorkerConfig> = {}, protocol: Partial<ProtocolConfig> = {}): WorkerConfig {
  return {
    workerId: workerId("worker-20240101000000-10.0.0.1-7078"),
    host: "10.0.0.1",
    port: 7078,
    address: W,
    cores: 8,
    memoryMb: 8192,
    masterAddresses: [M1, M2],
    protocol: resolveConfig(protocol),
    seed: 42,
    ...overrides,
  };
}

export function startWorker(
  overrides: Partial<WorkerConfig> = {},
  protocol: Partial<ProtocolConfig> = {},
): { state: WorkerState; effects: Effect[] } {
  return worker.init(workerConfig(overrides, protocol), { now: 0 });
}

export function step(state: WorkerState, input: Input, now = 0): Effect[] {
  return worker.step(state, input, { now });
}

export const fromPeer = (from: Address, message: Message): Input => ({ type: "message", from, message });
export const timer = (key: string): Input => ({ type: "timer", key });

export function registeredMessage(master: Address = M1, duplicate = false): Message {
  return { type: "RegisteredWorker", masterAddress: master, configuredMasterAddress: master, duplicate };
}

/** A worker that registered with `master` (M1 by default). */
export function registeredWorker(
  overrides: Partial<WorkerConfig> = {},
  protocol: Partial<ProtocolConfig> = {},
  master: Address = M1,
): WorkerState {
  const { state } = startWorker(overrides, protocol);
  step(state, fromPeer(master, registeredMessage(master)));
  return state;
}

export function launchExecutor(overrides: Partial<LaunchExecutor> = {}): LaunchExecutor {
  return {
    type: "LaunchExecutor",
    masterUrl: M1,
    appId: APP,
    execId: 0,
    appDesc: { name: "pi", memoryPerExecutorMb: 1024, coresPerExecutor: 2, command: { module: "pi.js", args: ["1"] } },
    driverAddress: DRIVER_ADDRESS,
    cores: 2,
    memoryMb: 1024,
    ...overrides,
  };
}

export function driverDesc(overrides: Partial<DriverDescription> = {}): DriverDescription {
  return { cores: 1, memoryMb: 512, supervise: false, command: { module: "app.js" }, ...overrides };
}

export function launchDriver(desc: Partial<DriverDescription> = {}, id = DRIVER): LaunchDriver {
  return { type: "LaunchDriver", driverId: id, desc: driverDesc(desc) };
}

export const executorRef = (execId = 0, app = APP): ProcessRef => ({ kind: "executor", appId: app, execId });
export const driverRef = (id = DRIVER): ProcessRef => ({ kind: "driver", driverId: id });

/** The messages sent, optionally only to `to`. */
export function sent(effects: Effect[], to?: Address): Message[] {
  return effects.flatMap((e) => (e.type === "send" && (to === undefined || e.to === to) ? [e.message] : []));
}

export function sentOfType<T extends Message["type"]>(effects: Effect[], type: T): Extract<Message, { type: T }>[] {
  return sent(effects).filter((m): m is Extract<Message, { type: T }> => m.type === type);
}

/** The `why` of every ignored(...) effect. */
export function ignoredReasons(effects: Effect[]): unknown[] {
  return effects.flatMap((e) => (e.type === "log" && e.event === "ignored" ? [e.fields.why] : []));
}

export function exits(effects: Effect[]): Extract<Effect, { type: "exit" }>[] {
  return effects.filter((e): e is Extract<Effect, { type: "exit" }> => e.type === "exit");
}

export function timersSet(effects: Effect[]): Extract<Effect, { type: "setTimer" }>[] {
  return effects.filter((e): e is Extract<Effect, { type: "setTimer" }> => e.type === "setTimer");
}

/**
 * A tiny virtual clock that carries out the worker's timer effects, for timing tests: it fires the
 * earliest pending timer, feeds it to the worker and applies the effects (setTimer replaces,
 * cancelTimer removes), until `stop` says so or no timer is left.
 */
export function runTimers(
  state: WorkerState,
  initial: Effect[],
  stop: (effects: Effect[], now: number) => boolean,
  maxSteps = 1000,
): { now: number; effects: Effect[]; log: { now: number; key: string; effects: Effect[] }[] } {
  const pending = new Map<string, number>();
  const apply = (effects: Effect[], now: number) => {
    for (const e of effects) {
      if (e.type === "setTimer") pending.set(e.key, now + e.afterMs);
      if (e.type === "cancelTimer") pending.delete(e.key);
    }
  };
  apply(initial, 0);
  const history: { now: number; key: string; effects: Effect[] }[] = [];
  for (let i = 0; i < maxSteps && pending.size > 0; i++) {
    const [key, due] = [...pending.entries()].sort((a, b) => a[1] - b[1])[0]!;
    pending.delete(key);
    const effects = step(state, timer(key), due);
    history.push({ now: due, key, effects });
    apply(effects, due);
    if (stop(effects, due)) return { now: due, effects, log: history };
  }
  throw new Error("runTimers: stop condition never met");
}
