import { master, type MasterState } from "../../../src/protocol/master/index.js";
import {
  address,
  appId,
  resolveConfig,
  workerId,
  type Address,
  type ApplicationDescription,
  type Effect,
  type Input,
  type Message,
  type ProtocolConfig,
  type StoredRecords,
} from "../../../src/protocol/index.js";

export const MASTER = address("master-1");
export const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

export function newMaster(overrides: Partial<ProtocolConfig> = {}): MasterState {
  return master.init({ address: MASTER, protocol: resolveConfig(overrides), seed: 7 }, { now: T0 }).state;
}

/** A master elected with an empty store: ALIVE. */
export function aliveMaster(overrides: Partial<ProtocolConfig> = {}): MasterState {
  const s = newMaster(overrides);
  master.step(s, { type: "leaderElected", stored: { apps: [], drivers: [], workers: [] } }, { now: T0 });
  return s;
}

export function step(s: MasterState, input: Input, now = T0): Effect[] {
  return master.step(s, input, { now });
}

export function deliver(s: MasterState, from: Address | string, message: Message, now = T0): Effect[] {
  return step(s, { type: "message", from: address(String(from)), message }, now);
}

export const workerAddr = (n: number): Address => address(`worker-${n}`);
export const wid = (n: number) => workerId(`worker-id-${n}`);

export function registerWorkerMsg(n: number, cores = 8, memoryMb = 16_384): Message {
  return {
    type: "RegisterWorker",
    workerId: wid(n),
    host: `host-${n}`,
    port: 7000 + n,
    workerAddress: workerAddr(n),
    cores,
    memoryMb,
    masterAddress: MASTER,
  };
}

export function addWorker(s: MasterState, n: number, cores = 8, memoryMb = 16_384, now = T0): Effect[] {
  return deliver(s, workerAddr(n), registerWorkerMsg(n, cores, memoryMb), now);
}

export function appDesc(over: Partial<ApplicationDescription> = {}): ApplicationDescription {
  return { name: "app", memoryPerExecutorMb: 1024, command: {}, ...over };
}

export const driverAddr = (n: number): Address => address(`driver-${n}`);

/** Registers an app from driver n and returns its id and the effects. */
export function addApp(s: MasterState, n: number, over: Partial<ApplicationDescription> = {}, now = T0) {
  const fx = deliver(s, driverAddr(n), { type: "RegisterApplication", appDesc: appDesc(over), driverAddress: driverAddr(n) }, now);
  const reg = fx.find((e) => e.type === "send" && e.message.type === "RegisteredApplication");
  if (reg?.type !== "send" || reg.message.type !== "RegisteredApplication") throw new Error("app not registered");
  return { id: reg.message.appId, fx };
}

export const sends = (fx: Effect[], type?: Message["type"]) =>
  fx.flatMap((e) => (e.type === "send" && (type === undefined || e.message.type === type) ? [e] : []));

export const messagesOf = <T extends Message["type"]>(fx: Effect[], type: T) =>
  sends(fx, type).map((e) => (e as unknown as { message: Extract<Message, { type: T }> }).message);

export const ignoredWhy = (fx: Effect[]) => fx.flatMap((e) => (e.type === "log" && e.event === "ignored" ? [String(e.fields["why"])] : []));

export const EMPTY: StoredRecords = { apps: [], drivers: [], workers: [] };
export { appId };
