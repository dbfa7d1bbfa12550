/**
 * M7 `recovery-ends-as-it-should` (docs/protocol.md §3.2-§3.3): how a master's recovery ends,
 * judged on the step that takes it from RECOVERING to ALIVE against what it held after its
 * previous step (M1 checks the other half: a master still RECOVERING after a step waits for
 * someone):
 *  - it ends early only on what the step's input settled: a worker or app that had not answered
 *    and is gone after the step was the input's own peer (its message or its disconnection), or a
 *    worker the CheckForWorkerTimeOut timer dropped as silent; only the completeRecovery timer
 *    gives up on the others ("Not responding for recovery");
 *  - completeRecovery leaves alone every driver a live worker runs: it is still placed on that
 *    worker (Spark relaunches or fails only the drivers no worker reported);
 *  - a driver that no worker reported and that is not already queued is relaunched (a new id on
 *    the queue, the old one RELAUNCHING) if it is supervised, and ends ERROR if not.
 *  - a driver a worker reports running in its answer, that the master knows and no other worker
 *    holds, is adopted on that worker.
 * Cost: a scan of the master's workers, apps and drivers after each step it stays RECOVERING (a
 * recovery is short); nothing otherwise.
 */
import type { Input } from "../../protocol/index.js";
import type { MasterState } from "../../protocol/master/state.js";
import { COMPLETE_RECOVERY_TIMER } from "../../protocol/master/recovery.js";
import { CHECK_WORKER_TIMEOUT_TIMER } from "../../protocol/master/index.js";
import type { MasterStepView } from "./master.js";

export const M7 = "M7:recovery-ends-as-it-should";

/** What a RECOVERING master held after its last step: who had not answered, and where its drivers were. */
interface RecoveryView {
  /** Workers that had not answered (UNKNOWN, or revived and owing their report), by id: their address. */
  workers: Map<string, string>;
  /** Apps that had not answered (UNKNOWN), by id: their driver's address. */
  apps: Map<string, string>;
  /** Drivers placed on a worker, by id: the worker's id. */
  placed: Map<string, string>;
  /** Drivers on no worker and not queued, by id: whether they are supervised. */
  unplaced: Map<string, boolean>;
}

/** Per master incarnation (`name#incarnation`): its view while it is RECOVERING. */
export type RecoveryEndLedger = Map<string, RecoveryView>;

export const newRecoveryEndLedger = (): RecoveryEndLedger => new Map();

function viewOf(s: MasterState): RecoveryView {
  const v: RecoveryView = { workers: new Map(), apps: new Map(), placed: new Map(), unplaced: new Map() };
  for (const id in s.workers) {
    const w = s.workers[id]!;
    if (w.state === "UNKNOWN" || (w.state === "ALIVE" && w.adoptOnLatestState)) v.workers.set(id, w.address);
  }
  for (const id in s.apps) {
    const a = s.apps[id]!;
    if (a.state === "UNKNOWN") v.apps.set(id, a.driverAddress);
  }
  for (const id in s.drivers) {
    const d = s.drivers[id]!;
    if (d.workerId !== undefined) v.placed.set(id, d.workerId);
    else if (!(s.waitingDrivers as readonly string[]).includes(id)) v.unplaced.set(id, d.desc.supervise);
  }
  return v;
}

/** The peer whose message or disconnection the input is, or null. */
function peerOf(input: Input | null): string | null {
  if (input === null) return null;
  if (input.type === "message") return input.from;
  if (input.type === "peerDisconnected") return input.peer;
  return null;
}

/** The last state the master recorded for a driver it removed (its completedDrivers entry), or undefined. */
function endedAs(s: MasterState, driverId: string): string | undefined {
  for (let i = s.completedDrivers.length - 1; i >= 0; i--) if (s.completedDrivers[i]!.id === driverId) return s.completedDrivers[i]!.state;
  return undefined;
}

/** M7 for one master step. */
export function checkRecoveryEnd(v: MasterStepView, ledger: RecoveryEndLedger): void {
  const s = v.s;
  const before = ledger.get(v.key);
  if (before !== undefined) checkReportedDriversAdopted(v, before);
  if (s.recoveryState === "RECOVERING") {
    ledger.set(v.key, viewOf(s));
    return;
  }
  if (before === undefined) return;
  ledger.delete(v.key);
  if (s.recoveryState !== "ALIVE") return; // I10's to report
  const input = v.input;
  const onRecoveryTimer = input?.type === "timer" && input.key === COMPLETE_RECOVERY_TIMER;
  const onWorkerTimeout = input?.type === "timer" && input.key === CHECK_WORKER_TIMEOUT_TIMER;
  const peer = peerOf(input);
  if (!onRecoveryTimer) {
    for (const [id, address] of before.workers) {
      const w = s.workers[id];
      const gone = w === undefined || w.state === "DEAD";
      if (gone && address !== peer && !onWorkerTimeout)
        v.report(
          M7,
          `${v.name} completed recovery on ${describe(input)} and dropped worker ${id}, which had not answered, before its timeout`,
          [address],
        );
    }
    for (const [id, driverAddress] of before.apps) {
      if (s.apps[id] === undefined && driverAddress !== peer)
        v.report(
          M7,
          `${v.name} completed recovery on ${describe(input)} and dropped app ${id}, which had not answered, before its timeout`,
          [driverAddress],
        );
    }
  }
  const reported = input?.type === "message" && input.message.type === "DriverStateChanged" ? input.message.driverId : null;
  for (const [id, workerId] of before.placed) {
    const w = s.workers[workerId];
    if (w === undefined || w.state === "DEAD" || id === reported) continue;
    const d = s.drivers[id];
    if (d === undefined || d.workerId !== workerId)
      v.report(
        M7,
        `${v.name} completed recovery and ${d === undefined ? `ended driver ${id} as ${endedAs(s, id) ?? "?"}` : `moved driver ${id}`}, which its live worker ${workerId} runs`,
        [w.address],
      );
  }
  for (const [id, supervised] of before.unplaced) {
    if (id === reported || s.drivers[id]?.workerId !== undefined) continue; // reported by the step's own answer
    const expected = supervised ? "RELAUNCHING" : "ERROR";
    const ended = s.drivers[id] === undefined ? endedAs(s, id) : undefined;
    // With SPARK-19900 on, a relaunch queues the same driver again under its old id.
    const requeued = supervised && (s.waitingDrivers as readonly string[]).includes(id);
    if (ended !== expected && !requeued)
      v.report(
        M7,
        `${v.name} completed recovery with ${supervised ? "supervised" : "unsupervised"} driver ${id} on no worker ${ended === undefined ? "kept" : `ended ${ended}`}, not ${supervised ? "relaunched" : "ended ERROR"}`,
      );
  }
}

/**
 * A worker's answer to MasterChanged lists the drivers it runs: each one the master knows and no
 * other worker holds is adopted on that worker (Spark's WorkerSchedulerStateResponse), so that
 * completeRecovery does not relaunch or fail a driver that runs.
 */
function checkReportedDriversAdopted(v: MasterStepView, before: RecoveryView): void {
  const input = v.input;
  if (input === null || input.type !== "message" || input.message.type !== "WorkerSchedulerStateResponse") return;
  const workerId = input.message.workerId;
  const w = v.s.workers[workerId];
  if (w === undefined || w.state === "DEAD") return;
  for (const id of input.message.driverIds) {
    const d = v.s.drivers[id];
    const heldBy = before.placed.get(id);
    if (d === undefined || (heldBy !== undefined && heldBy !== workerId)) continue;
    if (d.workerId !== workerId)
      v.report(M7, `${v.name} did not adopt driver ${id}, which worker ${workerId} reported running, on that worker`, [w.address]);
  }
}

function describe(input: Input | null): string {
  if (input === null) return "no input";
  if (input.type === "message") return `${input.message.type} from ${input.from}`;
  if (input.type === "timer") return `timer ${input.key}`;
  return input.type;
}
