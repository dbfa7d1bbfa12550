/**
 * Liveness (L1): once the faults of a run have stopped and a healthy core of the cluster exists
 * (an ALIVE leader, an ALIVE worker that could hold one of the app's executors, the job's driver
 * running and registered),
 * every submitted job ends — succeeds, or fails by the retry rules — within LIVENESS_BOUND_MS of
 * virtual time. A stall names the job, its pending and running tasks, and the executors involved.
 * It is judged only under faults the protocol claims to survive (`livenessApplies`).
 */
import type { DriverRoleState } from "../../protocol/driver/state.js";
import { runningTaskIds } from "../../protocol/driver/attempts.js";
import type { MasterState } from "../../protocol/master/state.js";
import type { WorkerState as WorkerRoleState } from "../../protocol/worker/state.js";
import type { FaultSpec, Scenario } from "../scenario.js";
import type { SimNode } from "../world.js";
import type { Violation } from "./report.js";

/** Virtual time after the last fault has healed within which every job must have ended. */
export const LIVENESS_BOUND_MS = 300_000;

/** When a fault stops acting: its time plus its duration or restart delay (a lasting fault without a duration: never). */
export function faultEndMs(f: FaultSpec): number {
  // A message fault that only drops the first N messages is spent early; one with a probability and no end never heals.
  if (f.kind === "messages" && f.durationMs === undefined) return (f.dropProbability ?? 0) > 0 || (f.delayMs ?? 0) > 0 || (f.duplicateProbability ?? 0) > 0 ? Number.MAX_SAFE_INTEGER : f.atMs;
  if (f.kind === "partition" && f.durationMs === undefined) return Number.MAX_SAFE_INTEGER;
  return f.atMs + (f.durationMs ?? f.restartAfterMs ?? 0);
}

/**
 * Messages the protocol retries or re-sends periodically (docs/protocol.md §5.3, with the replies that
 * end a retried exchange): silently losing one of these must not stall a job. Every other message
 * is sent exactly once, and Spark has no way to notice its silent loss on a live connection.
 */
export const RETRIED_MESSAGES: readonly string[] = ["RegisterWorker", "RegisteredWorker", "RegisterWorkerFailed", "MasterInStandby", "Heartbeat", "RegisterApplication", "RegisteredApplication", "ExecutorStateChanged", "ExecutorStateChangedResponse"];

/**
 * Whether liveness is a property of the protocol under these faults: not when a silent partition
 * or a message fault can silently lose a message that is sent exactly once (§5.3, §5.4).
 */
export function livenessApplies(scenario: Scenario): boolean {
  if (scenario.randomFaults !== null && scenario.randomFaults.kinds.includes("partitionWorker")) return false;
  for (const f of scenario.faults) {
    if (f.kind === "partition") return false;
    if (f.kind === "messages" && ((f.dropProbability ?? 0) > 0 || (f.dropFirst ?? 0) > 0) && (f.messageType === undefined || !RETRIED_MESSAGES.includes(f.messageType))) return false;
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

/** The live ALIVE master, if any. */
function leaderOf(nodes: readonly SimNode[]): SimNode | null {
  for (const n of nodes) if (n.kind === "master" && n.alive && !n.paused && (n.state as MasterState).recoveryState === "ALIVE") return n;
  return null;
}

/**
 * "Enough workers": the app's executor fits its own core limit and some ALIVE worker, counted
 * empty (a worker frees its cores when other apps end), could hold one.
 */
function servable(d: DriverRoleState, m: MasterState): boolean {
  const desc = d.appDesc;
  const coresPerExecutor = desc.coresPerExecutor ?? 1;
  if ((desc.maxCores ?? m.config.defaultCores) < coresPerExecutor) return false;
  for (const id in m.workers) {
    const w = m.workers[id]!;
    if (w.state === "ALIVE" && w.cores >= coresPerExecutor && w.memoryMb >= desc.memoryPerExecutorMb) return true;
  }
  return false;
}

/** Describes what a stalled job waits for, from its driver's and the leader's state. */
function describeStall(jobId: string, driver: SimNode, leader: SimNode): string {
  const d = driver.state as DriverRoleState;
  const m = leader.state as MasterState;
  const job = d.jobs.active[jobId];
  const parts: string[] = [];
  if (job === undefined) parts.push(`driver ${driver.name} has no active job ${jobId}`);
  else {
    const tsm = Object.values(d.scheduler.taskSets).find((t) => t.jobId === jobId && !t.isZombie);
    if (tsm === undefined) parts.push(`stage ${job.currentStage} has no active task set`);
    else parts.push(`stage ${tsm.stageIndex}: ${tsm.numTasks - tsm.tasksSuccessful} of ${tsm.numTasks} tasks not done, ${tsm.attempts.runningCount} running (TIDs ${runningTaskIds(tsm.attempts).slice(0, 5).join(",")})`);
  }
  const execs = Object.values(d.backend.executors).map((e) => `${e.executorId}@${e.host} ${e.freeCores}/${e.totalCores} free${e.launched ? "" : " (not launched)"}`);
  parts.push(`driver sees ${execs.length} executors${execs.length > 0 ? `: ${execs.slice(0, 5).join(", ")}` : ""}`);
  const app = d.appClient.appId === null ? undefined : m.apps[d.appClient.appId];
  if (app === undefined) parts.push(`leader ${leader.name} has no app ${d.appClient.appId ?? "(unregistered)"}`);
  else {
    const execsM = Object.values(app.executors).map((e) => `${e.id}:${e.state}@${e.workerId}`);
    parts.push(`leader ${leader.name}: app ${app.id} ${app.state}, ${app.coresGranted} cores granted, executors [${execsM.join(", ")}]`);
  }
  const alive = Object.values(m.workers).filter((w) => w.state === "ALIVE");
  parts.push(`${alive.length} ALIVE workers, ${alive.reduce((s, w) => s + w.cores - w.coresUsed, 0)} cores free`);
  return parts.join("; ");
}

/**
 * L1: every job of a driver that is healthy at the end has ended, if the run went on at least
 * LIVENESS_BOUND_MS past healing. Returns the stall, or null when the run is live (or unjudgeable).
 */
export function checkLiveness(x: LivenessInput): Violation | null {
  if (!livenessApplies(x.scenario)) return null;
  const healed = healedAtMs(x.scenario);
  if (x.nowMs < healed + LIVENESS_BOUND_MS) return null;
  const leader = leaderOf(x.nodes);
  if (leader === null) return null;
  const aliveWorkers = Object.values((leader.state as MasterState).workers).filter((w) => w.state === "ALIVE").length;
  if (aliveWorkers === 0) return null;
  for (const [jobId, job] of Object.entries(x.jobs)) {
    if (job.state !== "unfinished") continue;
    const driver = x.nodes.find((n) => n.kind === "driver" && n.alive && !n.paused && n.labels["app"] === job.app);
    if (driver === undefined) continue;
    const d = driver.state as DriverRoleState;
    if (d.phase !== "running" || !d.appClient.registered) continue;
    if (d.jobs.active[jobId] === undefined && d.jobs.finished[jobId] === undefined) continue; // not submitted yet
    if (!servable(d, leader.state as MasterState)) continue; // no healthy core can ever run this app's executors
    const weakness = explainedStall(d, leader, x.nodes);
    return {
      ...(weakness !== null ? { weakness } : {}),
      check: "L1:jobs-finish-after-healing",
      timeMs: x.nowMs,
      step: -1,
      node: driver.name,
      nodes: [driver.name, leader.name],
      detail: `job ${jobId} (app ${job.app}) unfinished ${x.nowMs - healed} ms after the faults healed: ${describeStall(jobId, driver, leader)}`,
    };
  }
  return null;
}

/**
 * A stall docs/protocol.md documents for Spark itself, or null:
 *  - §7 item 19: every executor the leader gave the app is LAUNCHING on a worker that never heard
 *    of it (the worker dropped a LaunchExecutor from a master it did not yet accept), so the app's
 *    cores are held by ghosts for ever;
 *  - §3.5.3 / §3.5.1: the leader does not know the app the driver believes registered (finished
 *    silently during recovery, or registered by a deposed leader), and the driver is never told.
 */
function explainedStall(d: DriverRoleState, leader: SimNode, nodes: readonly SimNode[]): string | null {
  const m = leader.state as MasterState;
  const app = d.appClient.appId === null ? undefined : m.apps[d.appClient.appId];
  if (app === undefined) return "§3.5.3 the leader does not know the driver's app, and never tells it";
  const execs = Object.values(app.executors);
  if (execs.length === 0) return null;
  for (const e of execs) {
    if (e.state !== "LAUNCHING") return null;
    const w = m.workers[e.workerId];
    const node = w === undefined ? undefined : nodes.find((n) => n.name === w.address && n.alive);
    if (node === undefined || (node.state as WorkerRoleState).executors[`${e.appId}/${e.id}`] !== undefined) return null;
  }
  return "§7.19 executors stranded in LAUNCHING by a LaunchExecutor the worker dropped";
}
