/**
 * The worker's safety invariants (docs/protocol.md §6 I16, I17, and the worker's half of I18), one
 * documented function each. I16 and I18 look at the worker step alone; I17 is about two nodes (a
 * worker and the master it registered with), so it keeps a small ledger: what the worker ran when
 * it registered, what the master ordered killed since, and whether the master has read the
 * worker's report. A step costs O(effects) (O(1) for a master step while no re-registration is
 * pending), plus O(the worker's runners) on the one master step that judges a re-registration.
 */
import type { Effect, Input, Message } from "../../protocol/index.js";
import type { MasterState } from "../../protocol/master/state.js";
import type { WorkerState } from "../../protocol/worker/state.js";
import type { Report } from "./report.js";

/** A node as the cross-node checks see it (a SimNode satisfies it). */
export interface PeerView {
  alive: boolean;
  incarnation: number;
  state: unknown;
}

/**
 * One (re)registration of a worker whose master has not been judged against it yet (I17). It holds
 * the worker's report message itself: the master reads reports in order, so its processing of that
 * very object is when this registration's report was read.
 */
export interface Reconciliation {
  /** The master the worker registered with (its address). */
  master: string;
  /** The worker's incarnation when it registered: a restarted worker is a new worker. */
  incarnation: number;
  workerId: string;
  /** Virtual ms (the run's clock) of the registration. */
  atMs: number;
  /** Full ids of the executors the worker ran, not being killed, when it registered. */
  executors: string[];
  /** Ids of the drivers it ran, not being killed, when it registered. */
  drivers: string[];
  /** The WorkerLatestState the worker sent on registering (the very message object), or null. */
  report: Message | null;
  /** Whether the master has processed that report while it held the worker. */
  reportRead: boolean;
  /** Executors (full id) and drivers the master ordered the worker to kill since the registration. */
  killed: Set<string>;
}

/** What the worker checks remember across steps and nodes. */
export interface WorkerLedger {
  /** Pending re-registrations by worker address; at most one per worker, so bounded by the cluster. */
  reconciliations: Map<string, Reconciliation>;
}

export const newWorkerLedger = (): WorkerLedger => ({ reconciliations: new Map() });

export interface WorkerStepView {
  name: string;
  s: WorkerState;
  input: Input | null;
  effects: readonly Effect[];
  /** The node's incarnation (I17 keeps it with a registration). */
  incarnation: number;
  /** The run's virtual time of this step. */
  timeMs: number;
  ledger: WorkerLedger;
  report: Report;
}

/** What only a worker's active master may order it to do. */
const MASTER_ORDERS: ReadonlySet<string> = new Set([
  "LaunchExecutor",
  "KillExecutor",
  "LaunchDriver",
  "KillDriver",
  "ApplicationFinished",
  "ReconnectWorker",
]);

/**
 * I16: a worker launches or kills executors only on orders from its current master: an executor
 * `launch` only for a LaunchExecutor, and a `kill` only for a KillExecutor, whose masterUrl is the
 * worker's active master (Spark's `masterUrl == activeMasterUrl` check), or for the worker's own
 * stop (onStop kills every runner). And whatever a message makes it launch, kill or delete (an
 * executor, a driver, an application's directories) must come from its active master itself: a
 * message from anyone else (another worker, a driver, a stale master: the `forge` fault) is no order.
 */
export function checkOrdersFromCurrentMaster(v: WorkerStepView): void {
  const input = v.input;
  const m = input?.type === "message" ? input.message : null;
  if (input?.type === "message" && input.from !== v.s.masterAddress) {
    // An order it acted on at once (a launch, a kill, a cleanup), or one it did not refuse: an
    // ApplicationFinished takes effect later, when the app's last executor here exits.
    const acted = v.effects.find((e) => e.type === "launch" || e.type === "kill" || e.type === "cleanupApp");
    const refused = v.effects.some((e) => e.type === "log" && e.event === "ignored");
    if (acted !== undefined || (MASTER_ORDERS.has(input.message.type) && !refused)) {
      v.report(
        "I16:orders-from-current-master",
        `${v.name} obeyed ${input.message.type} from ${input.from}${acted === undefined ? "" : ` (${acted.type})`}, which is not its active master ${v.s.masterAddress ?? "(none)"}`,
      );
      return; // one report per step
    }
  }
  for (const e of v.effects) {
    if (e.type === "launch" && e.spec.kind === "executor") {
      if (m === null || m.type !== "LaunchExecutor" || m.masterUrl !== v.s.activeMasterUrl) {
        v.report(
          "I16:orders-from-current-master",
          `${v.name} launched executor ${e.spec.appId}/${e.spec.execId} on ${describe(input)}, not an order of its active master ${v.s.activeMasterUrl ?? "(none)"}`,
        );
      }
    } else if (e.type === "kill" && e.process.kind === "executor") {
      const stop = input?.type === "command" && input.command.kind === "stop";
      if (!stop && (m === null || m.type !== "KillExecutor" || m.masterUrl !== v.s.activeMasterUrl)) {
        v.report(
          "I16:orders-from-current-master",
          `${v.name} killed executor ${e.process.appId}/${e.process.execId} on ${describe(input)}, not an order of its active master ${v.s.activeMasterUrl ?? "(none)"}`,
        );
      }
    }
  }
}

function describe(input: Input | null): string {
  if (input === null) return "init";
  if (input.type === "message") return `${input.message.type}${"masterUrl" in input.message ? ` from ${input.message.masterUrl}` : ""}`;
  return input.type;
}

/**
 * I18 (the worker's half): when a worker stops it kills every executor and driver it runs
 * (Spark's onStop). The other halves are the host's (a worker's processes die with it) and the
 * executor's (see executor.ts).
 */
export function checkStopKillsRunners(v: WorkerStepView): void {
  for (const id in v.s.executors) {
    if (!v.s.executors[id]!.killed) v.report("I18:fate-shared", `${v.name} stopped but left executor ${id} running`);
  }
  for (const id in v.s.drivers) {
    if (!v.s.drivers[id]!.killed) v.report("I18:fate-shared", `${v.name} stopped but left driver ${id} running`);
  }
}

/**
 * I17, the worker's half: on (re)registering, the worker's live executors and drivers are
 * remembered, to be judged once its master has had the chance to reconcile them.
 */
export function noteRegistration(v: WorkerStepView): void {
  const s = v.s;
  if (!s.registered || s.masterAddress === null) return;
  const executors: string[] = [];
  for (const id in s.executors) if (!s.executors[id]!.killed) executors.push(id);
  const drivers: string[] = [];
  for (const id in s.drivers) if (!s.drivers[id]!.killed) drivers.push(id);
  if (executors.length === 0 && drivers.length === 0) {
    v.ledger.reconciliations.delete(v.name);
    return;
  }
  let report: Message | null = null;
  for (const e of v.effects) if (e.type === "send" && e.message.type === "WorkerLatestState") report = e.message;
  v.ledger.reconciliations.set(v.name, {
    master: s.masterAddress,
    incarnation: v.incarnation,
    workerId: s.workerId,
    atMs: v.timeMs,
    executors,
    drivers,
    report,
    reportRead: false,
    killed: new Set(),
  });
}

/** The master step I17 looks at. */
export interface ReconcileView {
  name: string;
  s: MasterState;
  input: Input | null;
  effects: readonly Effect[];
  timeMs: number;
  ledger: WorkerLedger;
  /** The node at an address (the worker), or undefined. */
  peer: (address: string) => PeerView | undefined;
  report: Report;
}

/**
 * I17: after a worker (re)registers, the worker and its master agree on which executors and
 * drivers exist on it: every executor or driver the worker ran when it registered is, by the time
 * the master hears a heartbeat the worker sent after its report (WorkerLatestState), known to the
 * master on that worker, ordered killed by it, or gone. A worker that sent no report (SPARK-13604)
 * is judged at the first heartbeat a heartbeat interval after it registered. A lost report (an
 * exactly-once message, §5.3) leaves nothing to judge: the master never had the chance.
 */
export function checkReconciled(v: ReconcileView): void {
  const ledger = v.ledger;
  const input = v.input;
  if (input?.type === "message") {
    const r = ledger.reconciliations.get(input.from);
    if (r !== undefined && r.master === v.name) {
      const w = v.s.workers[r.workerId];
      const held = w !== undefined && w.state !== "DEAD";
      if (input.message.type === "WorkerLatestState") {
        // The report of this registration (an earlier registration's report may still be on its way).
        if (held && input.message === r.report) r.reportRead = true;
      } else if (input.message.type === "Heartbeat") {
        if (!held)
          ledger.reconciliations.delete(input.from); // it will register again
        else if (r.report !== null ? r.reportRead : v.timeMs >= r.atMs + v.s.config.workerHeartbeatIntervalMs) {
          ledger.reconciliations.delete(input.from);
          judge(v, r, input.from);
        }
      }
    }
  }
  for (const e of v.effects) {
    if (e.type !== "send" || (e.message.type !== "KillExecutor" && e.message.type !== "KillDriver")) continue;
    const r = ledger.reconciliations.get(e.to);
    if (r === undefined || r.master !== v.name) continue;
    r.killed.add(e.message.type === "KillExecutor" ? `${e.message.appId}/${e.message.execId}` : e.message.driverId);
  }
}

function judge(v: ReconcileView, r: Reconciliation, address: string): void {
  const node = v.peer(address);
  const w = v.s.workers[r.workerId];
  if (node === undefined || !node.alive || node.incarnation !== r.incarnation || w === undefined) return;
  const ws = node.state as WorkerState;
  for (const id of r.executors) {
    const runner = ws.executors[id];
    if (runner === undefined || runner.killed || w.executors[id] !== undefined || r.killed.has(id)) continue;
    v.report(
      "I17:worker-and-master-agree",
      `${v.name} does not know executor ${id} that worker ${r.workerId} has run since it registered ${v.timeMs - r.atMs} ms ago, and never ordered it killed${r.report !== null ? "" : " (the worker sent no WorkerLatestState)"}`,
      [address],
    );
  }
  for (const id of r.drivers) {
    const runner = ws.drivers[id];
    if (runner === undefined || runner.killed || w.drivers[id] !== undefined || r.killed.has(id)) continue;
    v.report(
      "I17:worker-and-master-agree",
      `${v.name} does not know driver ${id} that worker ${r.workerId} has run since it registered ${v.timeMs - r.atMs} ms ago, and never ordered it killed${r.report !== null ? "" : " (the worker sent no WorkerLatestState)"}`,
      [address],
    );
  }
}

/** Every worker check for one step. */
export function checkWorkerStep(v: WorkerStepView): void {
  checkOrdersFromCurrentMaster(v);
  const input = v.input;
  if (input?.type === "message" && input.message.type === "RegisteredWorker") noteRegistration(v);
  else if (input?.type === "command" && input.command.kind === "stop") checkStopKillsRunners(v);
}
