/** The worker's start (Spark's Worker.onStart): draw the registration fuzz, then register. */
import { assert } from "../assert.js";
import type { Effect } from "../io.js";
import { nextFloat, seedRng } from "../random.js";
import type { WorkerConfig } from "../roles.js";
import { registerWithMaster } from "./registration.js";
import type { WorkerState } from "./state.js";

/**
 * round(base x fuzz), to whole seconds as Spark does (`round(10 * f)` seconds). A test that uses a
 * base under a second would round to 0, so then the rounding is to whole milliseconds instead.
 */
export function fuzzedIntervalMs(baseMs: number, fuzz: number): number {
  const wholeSecondsMs = Math.round((baseMs / 1000) * fuzz) * 1000;
  return wholeSecondsMs > 0 ? wholeSecondsMs : Math.round(baseMs * fuzz);
}

export function initWorker(config: WorkerConfig): { state: WorkerState; effects: Effect[] } {
  assert(config.masterAddresses.length > 0, "a worker needs at least one master address");
  const random = { rng: seedRng(config.seed) };
  // Drawn once per worker process: f in [0.5, 1.5).
  const fuzz = 0.5 + nextFloat(random);
  const protocol = { ...config.protocol, bugs: config.protocol.bugs.slice() };
  const initialRegistrationIntervalMs = fuzzedIntervalMs(protocol.initialRegistrationIntervalBaseMs, fuzz);
  const prolongedRegistrationIntervalMs = fuzzedIntervalMs(protocol.prolongedRegistrationIntervalBaseMs, fuzz);
  assert(
    initialRegistrationIntervalMs > 0 && prolongedRegistrationIntervalMs > 0,
    "registration retry intervals must be positive",
  );
  const state: WorkerState = {
    workerId: config.workerId,
    host: config.host,
    port: config.port,
    address: config.address,
    cores: config.cores,
    memoryMb: config.memoryMb,
    masterAddresses: config.masterAddresses.slice(),
    protocol,
    random,
    initialRegistrationIntervalMs,
    prolongedRegistrationIntervalMs,
    masterAddress: null,
    activeMasterUrl: null,
    masterAddressToConnect: null,
    masterSender: null,
    registered: false,
    connected: false,
    connectionAttemptCount: 0,
    registrationRetryArmed: false,
    registrationIntervalMs: initialRegistrationIntervalMs,
    heartbeatStarted: false,
    executors: {},
    finishedExecutors: [],
    drivers: {},
    finishedDrivers: [],
    finishedApps: {},
    coresUsed: 0,
    memoryUsed: 0,
    pendingExecutorStateSyncs: {},
  };
  const effects: Effect[] = [];
  registerWithMaster(state, effects);
  return { state, effects };
}
