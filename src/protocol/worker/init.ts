/** The worker's start (Spark's Worker.onStart): draw the registration fuzz, then register. */
import { assert } from "../assert.js";
import type { ProtocolConfig } from "../config.js";
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

/** The fuzz f in [0.5, 1.5), drawn once per worker process from its seed (the first draw of its PRNG). */
function drawRegistrationFuzz(random: { rng: number }): number {
  return 0.5 + nextFloat(random);
}

/** The worker's two registration retry periods, from its protocol config and its fuzz. */
export function registrationIntervalsMs(protocol: ProtocolConfig, fuzz: number): { initialMs: number; prolongedMs: number } {
  return {
    initialMs: fuzzedIntervalMs(protocol.initialRegistrationIntervalBaseMs, fuzz),
    prolongedMs: fuzzedIntervalMs(protocol.prolongedRegistrationIntervalBaseMs, fuzz),
  };
}

/**
 * How long after it starts a worker that no master ever answers gives up ("All masters are
 * unresponsive!", docs/protocol.md §2.2): initialRegistrationRetries initial intervals, then
 * prolonged intervals up to totalRegistrationRetries (one more, the attempt that gives up). The
 * simulator predicts a scenario's `"atMs": "workerGiveUp"` with it; the worker draws the same fuzz.
 */
export function workerGiveUpAfterMs(protocol: ProtocolConfig, seed: number): number {
  const { initialMs, prolongedMs } = registrationIntervalsMs(protocol, drawRegistrationFuzz({ rng: seedRng(seed) }));
  const initial = protocol.initialRegistrationRetries;
  const prolonged = protocol.totalRegistrationRetries - initial + 1;
  return initial * initialMs + prolonged * prolongedMs;
}

export function initWorker(config: WorkerConfig): { state: WorkerState; effects: Effect[] } {
  assert(config.masterAddresses.length > 0, "a worker needs at least one master address");
  const random = { rng: seedRng(config.seed) };
  const fuzz = drawRegistrationFuzz(random);
  const protocol = { ...config.protocol, bugs: config.protocol.bugs.slice() };
  const { initialMs: initialRegistrationIntervalMs, prolongedMs: prolongedRegistrationIntervalMs } = registrationIntervalsMs(
    protocol,
    fuzz,
  );
  assert(initialRegistrationIntervalMs > 0 && prolongedRegistrationIntervalMs > 0, "registration retry intervals must be positive");
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
