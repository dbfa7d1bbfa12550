/**
 * Swarm testing: from a base scenario and a seed, draw which fault kinds are on and at what rate
 * (so each seed stresses a different mix), then an explicit fault plan on the scenario's cluster.
 * The result is an ordinary scenario whose faults are all written out, so it replays with
 * `flint sim` and shrinks by editing data. Its expectation is liberal (jobs may fail by the retry
 * rules); safety checks and liveness decide whether the run failed.
 */
import { stream, type Stream } from "../rng.js";
import { livenessApplies } from "../invariants/liveness.js";
import { FORGED_MESSAGE_TYPES } from "../forge.js";
import type { FaultSpec, Scenario } from "../scenario.js";
import { planScenario, seeded, type PlanOptions } from "./planScenario.js";
import { drawSwarmPlan, isSwarmBase } from "./swarm.js";

export { planScenario, type PlanOptions } from "./planScenario.js";

/** The fault kinds the fuzzer draws from; each seed turns on a random subset. */
export const FAULT_KINDS = [
  "crashWorker",
  "pauseWorker",
  "partitionWorker",
  "crashExecutor",
  "crashLeader",
  "pauseLeader",
  "dropMessages",
  "delayMessages",
  "duplicateMessages",
] as const;
export type FuzzFaultKind = (typeof FAULT_KINDS)[number];

/** Message types whose loss, delay or duplication the protocol must survive (or is known not to). */
export const MESSAGE_TYPES = [
  "RegisterWorker",
  "RegisteredWorker",
  "Heartbeat",
  "MasterChanged",
  "WorkerSchedulerStateResponse",
  "MasterChangeAcknowledged",
  "RegisterApplication",
  "RegisteredApplication",
  "LaunchExecutor",
  "ExecutorAdded",
  "ExecutorUpdated",
  "ExecutorStateChanged",
  "LaunchDriver",
  "DriverStateChanged",
  "RegisterExecutor",
  "LaunchedExecutor",
  "LaunchTask",
  "StatusUpdate",
  "WorkerLatestState",
] as const;

/**
 * Fault kinds added after FAULT_KINDS. Each is switched on and drawn from RNG streams of its own
 * (`swarm/<kind>`, `plan/<kind>`) and its faults go after the others, so a seed that leaves it off
 * keeps, draw for draw, the plan it had before the kind existed, and one that turns it on keeps
 * every other fault:
 *  - executorRegistration: the driver's RegisteredExecutor reply is lost or held back (flint's
 *    stand-in for an executor whose construction fails or takes long, docs/protocol.md §1.6; §7 item 14,
 *    SPARK-29287). MESSAGE_TYPES leaves it out so that adding it reshuffles no seed's draws.
 *  - forge: a worker or a driver sends a worker an order only its active master may give
 *    (src/sim/forge.ts). The roles refuse it, so it changes no outcome; a role that obeyed it
 *    breaks I16.
 */
export const LATER_FAULT_KINDS = ["executorRegistration", "forge"] as const;
export type LaterFaultKind = (typeof LATER_FAULT_KINDS)[number];

/**
 * The share of seeds that run a scenario as written (its faults, its own expectations, only the
 * seed drawn), drawn from a stream of its own; a fault plan is drawn for the others.
 */
export const FIXED_POINT_CHANCE = 0.125;

/** The scenario as written, under another seed, with its own expectations and bug switches. */
function fixedPoint(base: Scenario, seed: number, options: PlanOptions): Scenario {
  return {
    ...seeded(base, seed, "the scenario as written, with its own expectations", options),
    faults: base.faults.map((f) => ({ ...f })),
  };
}

/** At most this many faults in one plan (a named limit on drawn data). */
export const MAX_FAULTS = 40;

/** The chance a seed turns a later kind on (as for each of FAULT_KINDS). */
export const LATER_KIND_CHANCE = 0.5;

/** At most this many faults of one later kind in a plan. */
export const MAX_LATER_FAULTS = 2;

export interface Swarm {
  kinds: FuzzFaultKind[];
  /** The later kinds this seed turns on (each drawn from its own stream). */
  laterKinds: LaterFaultKind[];
  perMinute: number;
  fromMs: number;
  untilMs: number;
  /** Whether one fault is placed at time 0 (start-up races). */
  atStart: boolean;
}

/** Draws the per-seed swarm: a non-empty subset of kinds, a rate, and the fault window. */
export function drawSwarm(base: Scenario, seed: number): Swarm {
  const r = stream(seed, "swarm");
  const allowed = FAULT_KINDS.filter((k) => (k !== "crashLeader" && k !== "pauseLeader") || base.cluster.masters > 1);
  let kinds = allowed.filter(() => r.chance(0.5));
  if (kinds.length === 0) kinds = [allowed[r.int(0, allowed.length - 1)]!];
  const perMinute = 0.5 + r.next() * 7.5;
  const fromMs = r.int(0, 10_000);
  const untilMs = fromMs + r.int(20_000, Math.max(20_000, Math.min(180_000, Math.round(base.timeLimitMs / 2))));
  const atStart = r.chance(0.3);
  const laterKinds = LATER_FAULT_KINDS.filter((k) => stream(seed, `swarm/${k}`).chance(LATER_KIND_CHANCE));
  return { kinds, laterKinds, perMinute, fromMs, untilMs, atStart };
}

function workerCount(s: Scenario): number {
  return s.cluster.workers.reduce((sum, g) => sum + g.count, 0);
}

function drawFault(kind: FuzzFaultKind, atMs: number, r: Stream, workers: number): FaultSpec {
  const worker = `worker-${r.int(1, Math.max(1, workers))}`;
  // Up to 3 min: long enough to outlast the master's worker timeout (60-120 s) and the driver's executor timeout.
  const durationMs = r.int(1, 180) * 1000;
  switch (kind) {
    case "crashWorker":
      // A quarter of worker crashes are for good: nothing but the crash itself may trigger rescheduling.
      return r.chance(0.25) ? { atMs, kind: "crash", target: worker } : { atMs, kind: "crash", target: worker, restartAfterMs: durationMs };
    case "pauseWorker":
      return { atMs, kind: "pause", target: worker, durationMs };
    case "partitionWorker":
      return { atMs, kind: "partition", hosts: [worker], durationMs };
    case "crashExecutor":
      return { atMs, kind: "crash", target: "executor:*" };
    case "crashLeader":
      return { atMs, kind: "crash", target: "leader", restartAfterMs: durationMs };
    case "pauseLeader":
      return { atMs, kind: "pause", target: "leader", durationMs };
    case "dropMessages":
      return {
        atMs,
        kind: "messages",
        messageType: MESSAGE_TYPES[r.int(0, MESSAGE_TYPES.length - 1)]!,
        dropProbability: Math.round(r.next() * 100) / 100,
        durationMs: r.int(1, 30) * 1000,
      };
    case "delayMessages":
      return {
        atMs,
        kind: "messages",
        messageType: MESSAGE_TYPES[r.int(0, MESSAGE_TYPES.length - 1)]!,
        delayMs: r.int(1, 40) * 1000,
        durationMs: r.int(1, 30) * 1000,
      };
    case "duplicateMessages":
      return {
        atMs,
        kind: "messages",
        messageType: MESSAGE_TYPES[r.int(0, MESSAGE_TYPES.length - 1)]!,
        duplicateProbability: Math.round(r.next() * 100) / 100,
        durationMs: r.int(1, 30) * 1000,
      };
  }
}

/**
 * One fault of a later kind. executorRegistration: from time 0 half the time (the first
 * executors register within seconds of the start) or within the swarm's window (replacements
 * for lost executors), for 1-60 s: drop the first one or two replies, drop each with a drawn
 * probability, or delay each by up to 150 s (beyond the executor's 120 s ask timeout).
 * On the TCP network a drop resets the driver-executor connection, which both ends notice. On the
 * lossy network RegisteredExecutor is sent once (§5.3), so losing one silently puts a run outside
 * what liveness judges: `mayDrop` is false there when the plan is still judged, and then the fault
 * only delays, so that the kind never costs a seed its liveness check. Every value is drawn either
 * way (a stable stream).
 */
function drawLaterFault(kind: LaterFaultKind, swarm: Swarm, r: Stream, mayDrop: boolean, base: Scenario): FaultSpec {
  switch (kind) {
    case "forge": {
      // Half the time a worker forges, else an application's driver; never an executor, whose
      // choice would draw from the run's fault stream and so move the other faults' targets.
      const atMs = r.int(swarm.fromMs, swarm.untilMs - 1);
      const workers = workerCount(base);
      const byWorker = r.chance(0.5) || base.apps.length === 0;
      const worker = `worker-${r.int(1, Math.max(1, workers))}`;
      const app = base.apps.length === 0 ? "" : base.apps[r.int(0, base.apps.length - 1)]!.name;
      const messageType = FORGED_MESSAGE_TYPES[r.int(0, FORGED_MESSAGE_TYPES.length - 1)]!;
      return { atMs, kind: "forge", target: byWorker ? worker : `app:${app}`, messageType };
    }
    case "executorRegistration": {
      const atMs = r.chance(0.5) ? 0 : r.int(swarm.fromMs, swarm.untilMs - 1);
      const durationMs = r.int(1, 60) * 1000;
      const shape = r.next();
      const dropFirst = r.int(1, 2);
      const dropProbability = Math.max(0.01, Math.round(r.next() * 100) / 100);
      const delayMs = r.int(1, 150) * 1000;
      const fault: FaultSpec = { atMs, kind: "messages", messageType: "RegisteredExecutor", durationMs };
      if (mayDrop && shape < 0.5) fault.dropFirst = dropFirst;
      else if (mayDrop && shape < 0.7) fault.dropProbability = dropProbability;
      else fault.delayMs = delayMs;
      return fault;
    }
  }
}

/** The scenario a fuzz seed runs: the base with a drawn, explicit fault plan and a liberal expectation. */
export function drawPlan(base: Scenario, seed: number, options: PlanOptions = {}): Scenario {
  // The swarm base draws its cluster and workload too (swarm.ts); every other base keeps its own.
  if (isSwarmBase(base)) return drawSwarmPlan(seed, options);
  // A shipped scenario is a fixed point of the space: some seeds run it as written, its own
  // expectations included (a timing only that scenario checks is checked under fuzzing too).
  if (isFixedPoint(seed)) return fixedPoint(base, seed, options);
  return drawFaultPlan(base, seed, options);
}

/** Whether a seed runs a shipped scenario as written (its own stream: the fault draws of every seed are unchanged by it). */
export function isFixedPoint(seed: number): boolean {
  return stream(seed, "fixed-point").chance(FIXED_POINT_CHANCE);
}

/** The base with a fault plan drawn from the seed (what every seed that is not a fixed point runs). */
export function drawFaultPlan(base: Scenario, seed: number, options: PlanOptions = {}): Scenario {
  const swarm = drawSwarm(base, seed);
  const r = stream(seed, "plan");
  const faults: FaultSpec[] = base.faults.map((f) => ({ ...f }));
  const workers = workerCount(base);
  let t = swarm.fromMs;
  // Start-up races: some seeds put their first fault at time 0, before anything has registered.
  if (swarm.atStart) faults.push(drawFault(swarm.kinds[r.int(0, swarm.kinds.length - 1)]!, 0, r, workers));
  while (faults.length < MAX_FAULTS) {
    t += Math.max(1, Math.round((-Math.log(1 - r.next()) * 60_000) / swarm.perMinute));
    if (t >= swarm.untilMs) break;
    faults.push(drawFault(swarm.kinds[r.int(0, swarm.kinds.length - 1)]!, t, r, workers));
  }
  if (swarm.laterKinds.length > 0) {
    // On the TCP network a drop resets the connection (both ends notice), which liveness survives.
    const mayDrop = base.network?.lossy !== true || !livenessApplies({ ...base, faults, randomFaults: null });
    for (const kind of swarm.laterKinds) {
      const rk = stream(seed, `plan/${kind}`);
      for (let n = rk.int(1, MAX_LATER_FAULTS); n > 0 && faults.length < MAX_FAULTS; n--)
        faults.push(drawLaterFault(kind, swarm, rk, mayDrop, base));
    }
  }
  const kinds = [...swarm.kinds, ...swarm.laterKinds].join("+");
  return planScenario(base, seed, faults, `swarm ${kinds} at ${swarm.perMinute.toFixed(1)}/min`, options);
}
