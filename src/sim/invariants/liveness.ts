/**
 * Liveness (L1): once the faults of a run have stopped, every submitted job of a live driver ends
 * — succeeds, or fails by the retry rules — within LIVENESS_BOUND_MS of virtual time, as long as a
 * master process and a worker process that could hold one of the app's executors (beside the
 * cluster-mode drivers it runs) are up. Nothing
 * else excuses a stall: not a leader that lost its workers (a worker stuck on an old master), not
 * a driver that never registered, not a behaviour Spark shares (a hang is never a weakness). A
 * stall names the job, its pending and running tasks, and the executors involved.
 * What stays unjudged is narrow and named (`LivenessVerdict.unjudged`): an explicitly lossy
 * network, faults that never heal, no master or no fitting worker process left, the driver gone.
 */
import type { DriverRoleState } from "../../protocol/driver/state.js";
import { runningTaskIds } from "../../protocol/driver/attempts.js";
import type { MasterState } from "../../protocol/master/state.js";
import type { WorkerConfig } from "../../protocol/index.js";
import type { WorkerState } from "../../protocol/worker/state.js";
import type { FaultSpec, Scenario } from "../scenario.js";
import type { SimNode } from "../world.js";
import type { Violation } from "./report.js";

/** Virtual time after the last fault has healed within which every job must have ended. */
export const LIVENESS_BOUND_MS = 300_000;

/** When a fault stops acting: its time plus its duration or restart delay (a lasting fault without a duration: never). */
export function faultEndMs(f: FaultSpec): number {
  // A message fault that only drops the first N messages is spent early; one with a probability and no end never heals.
  if (f.kind === "messages" && f.durationMs === undefined)
    return (f.dropProbability ?? 0) > 0 || (f.delayMs ?? 0) > 0 || (f.duplicateProbability ?? 0) > 0 ? Number.MAX_SAFE_INTEGER : f.atMs;
  if (f.kind === "partition" && f.durationMs === undefined) return Number.MAX_SAFE_INTEGER;
  return f.atMs + (f.durationMs ?? f.restartAfterMs ?? 0);
}

/**
 * Messages the protocol retries or re-sends periodically (docs/protocol.md §5.3, with the replies that
 * end a retried exchange): silently losing one of these must not stall a job. Every other message
 * is sent exactly once, and Spark has no way to notice its silent loss on a live connection.
 */
export const RETRIED_MESSAGES: readonly string[] = [
  "RegisterWorker",
  "RegisteredWorker",
  "RegisterWorkerFailed",
  "MasterInStandby",
  "Heartbeat",
  "RegisterApplication",
  "RegisteredApplication",
  "ExecutorStateChanged",
  "ExecutorStateChangedResponse",
];

/**
 * Whether liveness is a property of the protocol under these faults. Always on the TCP network
 * (network.ts: a live connection never loses a message, a broken one is noticed by both ends). On
 * the explicitly lossy network, not when a silent partition or a message fault can silently lose
 * a message that is sent exactly once (§5.3, §5.4).
 */
export function livenessApplies(scenario: Scenario): boolean {
  if (scenario.network?.lossy !== true) return true;
  if (scenario.randomFaults?.kinds.includes("partitionWorker")) return false;
  for (const f of scenario.faults) {
    if (f.kind === "partition") return false;
    if (
      f.kind === "messages" &&
      ((f.dropProbability ?? 0) > 0 || (f.dropFirst ?? 0) > 0) &&
      (f.messageType === undefined || !RETRIED_MESSAGES.includes(f.messageType))
    )
      return false;
  }
  return true;
}

/** The virtual time the scenario's explicit faults have all healed. */
export function healedAtMs(scenario: Scenario): number {
  let end = 0;
  for (const f of scenario.faults) end = Math.max(end, faultEndMs(f));
  if (scenario.randomFaults !== null) end = Math.max(end, scenario.randomFaults.untilMs + scenario.randomFaults.durationMs);
  return end;
}

export interface LivenessInput {
  scenario: Scenario;
  nodes: readonly SimNode[];
  nowMs: number;
  jobs: Record<string, { app: string; state: string }>;
}

/** Why a run's liveness was not judged (each a stable name, counted by the fuzzer). */
export type LivenessUnjudged = "lossy-network" | "not-healed-long-enough" | "no-master" | "no-capacity" | "driver-gone";

export interface LivenessVerdict {
  /** The first stall, or null. */
  stall: Violation | null;
  /** Null when every unfinished job was judged (or none was unfinished); else why one was not. */
  unjudged: LivenessUnjudged | null;
}

/** The live ALIVE master, if any. */
function leaderOf(nodes: readonly SimNode[]): SimNode | null {
  for (const n of nodes) if (n.kind === "master" && n.alive && !n.paused && (n.state as MasterState).recoveryState === "ALIVE") return n;
  return null;
}

/**
 * "Enough workers": the app's executor fits its own core limit and some live worker process,
 * counted empty of executors (a worker frees their cores when other apps end) but not of the
 * cluster-mode drivers it runs (a driver stays where it was launched until its app ends). Judged
 * on the processes, not on the leader's view: a leader that does not know a live worker is the
 * stall to report.
 */
function servable(d: DriverRoleState, nodes: readonly SimNode[], defaultCores: number): boolean {
  const desc = d.appDesc;
  const coresPerExecutor = desc.coresPerExecutor ?? 1;
  if ((desc.maxCores ?? defaultCores) < coresPerExecutor) return false;
  for (const n of nodes) {
    if (n.kind !== "worker" || !n.alive || n.paused) continue;
    const c = n.config as WorkerConfig;
    let cores = c.cores;
    let memoryMb = c.memoryMb;
    const drivers = (n.state as WorkerState).drivers;
    for (const id in drivers) {
      cores -= drivers[id]!.desc.cores;
      memoryMb -= drivers[id]!.desc.memoryMb;
    }
    if (cores >= coresPerExecutor && memoryMb >= desc.memoryPerExecutorMb) return true;
  }
  return false;
}

/** Describes what a stalled job waits for, from its driver's and the leader's state. */
function describeStall(jobId: string, driver: SimNode, leader: SimNode | null, nodes: readonly SimNode[]): string {
  const d = driver.state as DriverRoleState;
  const job = d.jobs.active[jobId];
  const parts: string[] = [];
  if (d.phase !== "running") parts.push(`driver ${driver.name} is ${d.phase} (${d.endReason ?? ""})`);
  if (!d.appClient.registered) parts.push(`driver ${driver.name} never registered its app`);
  if (job === undefined) parts.push(`driver ${driver.name} has no active job ${jobId}`);
  else {
    const tsm = Object.values(d.scheduler.taskSets).find((t) => t.jobId === jobId && !t.isZombie);
    if (tsm === undefined) parts.push(`stage ${job.currentStage} has no active task set`);
    else
      parts.push(
        `stage ${tsm.stageIndex}: ${tsm.numTasks - tsm.tasksSuccessful} of ${tsm.numTasks} tasks not done, ${tsm.attempts.runningCount} running (TIDs ${runningTaskIds(tsm.attempts).slice(0, 5).join(",")})`,
      );
  }
  const execs = Object.values(d.backend.executors).map(
    (e) => `${e.executorId}@${e.host} ${e.freeCores}/${e.totalCores} free${e.launched ? "" : " (not launched)"}`,
  );
  parts.push(`driver sees ${execs.length} executors${execs.length > 0 ? `: ${execs.slice(0, 5).join(", ")}` : ""}`);
  const workers = nodes.filter((n) => n.kind === "worker" && n.alive).length;
  if (leader === null) {
    parts.push(
      `no ALIVE leader (${nodes.filter((n) => n.kind === "master" && n.alive).length} master processes up, ${workers} worker processes up)`,
    );
    return parts.join("; ");
  }
  const m = leader.state as MasterState;
  const app = d.appClient.appId === null ? undefined : m.apps[d.appClient.appId];
  if (app === undefined) parts.push(`leader ${leader.name} has no app ${d.appClient.appId ?? "(unregistered)"}`);
  else {
    const execsM = Object.values(app.executors).map((e) => `${e.id}:${e.state}@${e.workerId}`);
    parts.push(`leader ${leader.name}: app ${app.id} ${app.state}, ${app.coresGranted} cores granted, executors [${execsM.join(", ")}]`);
  }
  const alive = Object.values(m.workers).filter((w) => w.state === "ALIVE");
  parts.push(
    `${alive.length} ALIVE workers at the leader (${workers} worker processes up), ${alive.reduce((s, w) => s + w.cores - w.coresUsed, 0)} cores free`,
  );
  return parts.join("; ");
}

/** L1 as a stall or null (see `judgeLiveness` for why a run may go unjudged). */
export function checkLiveness(x: LivenessInput): Violation | null {
  return judgeLiveness(x).stall;
}

/**
 * L1: every submitted job of a live driver has ended, if the run went on at least
 * LIVENESS_BOUND_MS past healing. Returns the first stall, and why a job could not be judged.
 */
export function judgeLiveness(x: LivenessInput): LivenessVerdict {
  let unjudged: LivenessUnjudged | null = null;
  const skip = (why: LivenessUnjudged): void => {
    unjudged ??= why;
  };
  const unfinished = Object.entries(x.jobs).filter(([, job]) => job.state === "unfinished");
  if (unfinished.length === 0) return { stall: null, unjudged: null };
  if (!livenessApplies(x.scenario)) return { stall: null, unjudged: "lossy-network" };
  const healed = healedAtMs(x.scenario);
  if (x.nowMs < healed + LIVENESS_BOUND_MS) return { stall: null, unjudged: "not-healed-long-enough" };
  if (!x.nodes.some((n) => n.kind === "master" && n.alive)) return { stall: null, unjudged: "no-master" };
  const leader = leaderOf(x.nodes);
  for (const [jobId, job] of unfinished) {
    const driver = x.nodes.find((n) => n.kind === "driver" && n.alive && !n.paused && n.labels["app"] === job.app);
    if (driver === undefined) {
      skip("driver-gone");
      continue;
    }
    const d = driver.state as DriverRoleState;
    if (d.jobs.active[jobId] === undefined && d.jobs.finished[jobId] === undefined) continue; // not submitted yet
    const defaultCores = leader === null ? d.protocol.defaultCores : (leader.state as MasterState).config.defaultCores;
    if (!servable(d, x.nodes, defaultCores)) {
      skip("no-capacity");
      continue;
    }
    const stall: Violation = {
      check: "L1:jobs-finish-after-healing",
      timeMs: x.nowMs,
      step: -1,
      node: driver.name,
      nodes: leader === null ? [driver.name] : [driver.name, leader.name],
      detail: `job ${jobId} (app ${job.app}) unfinished ${x.nowMs - healed} ms after the faults healed: ${describeStall(jobId, driver, leader, x.nodes)}`,
    };
    return { stall, unjudged };
  }
  return { stall: null, unjudged };
}
