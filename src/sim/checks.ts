/**
 * Safety checks run after every step of every node (PROTOCOL.md §6; the invariants themselves are
 * in src/sim/invariants). Each step is checked against what that node did — its effects and the
 * parts of its state they name — so the cost per step stays near constant; a whole-state scan of
 * the stepping master or driver runs every SCAN_EVERY steps of that node. The first violation asks
 * the world to stop (the caller reads `violationCount`).
 */
import type { Effect, Input } from "../protocol/index.js";
import type { DriverRoleState } from "../protocol/driver/state.js";
import { checkDriverInvariants } from "../protocol/driver/invariants.js";
import type { MasterState } from "../protocol/master/state.js";
import { checkDriverStep, newDriverLedger, type DriverLedger } from "./invariants/driver.js";
import { checkMasterStep, newMasterLedger, scanMaster } from "./invariants/master.js";
import { checkExecutorStep, executorStepChecked } from "./invariants/executor.js";
import { checkFifo, inFifoOrder, newFifoLedger, noteSends } from "./invariants/fifo.js";
import { checkReconciled, checkWorkerStep, newWorkerLedger } from "./invariants/worker.js";
import type { ExecutorBackendState } from "../protocol/executor/state.js";
import type { WorkerState } from "../protocol/worker/state.js";
import type { Report, Violation } from "./invariants/report.js";
import type { Election } from "./election.js";
import type { SimNode } from "./world.js";

export type { Violation } from "./invariants/report.js";

const MAX_VIOLATIONS = 100;
/**
 * A node's whole state is re-checked after SCAN_EVERY of its steps, or after as many steps as the
 * scan has items (workers, tasks) when that is more, so scans cost O(1) per step amortised.
 */
export const SCAN_EVERY = 256;

/**
 * What the checks keep per node incarnation: its ledger key, its step count, when its next
 * whole-state scan runs, and one reporter (built once: a step only moves `timeMs`).
 */
interface NodeChecks {
  incarnation: number;
  /** `<name>#<incarnation>`: the key the master ledger and the driver ledgers use. */
  key: string;
  steps: number;
  nextScan: number;
  /** Virtual time of the step being checked, read by `report`. */
  timeMs: number;
  report: Report;
  /** A driver's ledger (null for a master: masters share one ledger). */
  driverLedger: DriverLedger | null;
}

/**
 * The step counter the checks stamp violations with (the world's), and, when the world is given,
 * its nodes by name (the cross-node checks, I17) and its epoch (the reducers' clock, I14).
 */
export interface StepSource {
  counts: { steps: number };
  byName?: ReadonlyMap<string, SimNode>;
  epochMs?: number;
}

export class Checks {
  readonly violations: Violation[] = [];
  violationCount = 0;
  /** Violations explained by a weakness PROTOCOL.md documents for Spark (they do not stop the run). */
  readonly weaknesses: Violation[] = [];
  weaknessCount = 0;
  private readonly masterLedger = newMasterLedger();
  private readonly workerLedger = newWorkerLedger();
  private readonly fifoLedger = newFifoLedger();
  private readonly peer = (address: string): SimNode | undefined => this.steps?.byName?.get(address);
  /** Per node (by its world key): the checks' view of its current incarnation. */
  private readonly byNode: Array<NodeChecks | undefined> = [];

  constructor(
    private readonly election: Election,
    private readonly steps: StepSource | null = null,
  ) {}

  private reporter(node: SimNode, timeMs: () => number): Report {
    return (check, detail, nodes = [], weakness) => {
      const step = this.steps === null ? -1 : this.steps.counts.steps - 1;
      const v: Violation = { check, timeMs: timeMs(), step, node: node.name, nodes: [node.name, ...nodes.filter((n) => n !== node.name)], detail };
      if (weakness !== undefined) {
        v.weakness = weakness;
        this.weaknessCount++;
        if (this.weaknesses.length < MAX_VIOLATIONS) this.weaknesses.push(v);
        return;
      }
      this.violationCount++;
      if (this.violations.length < MAX_VIOLATIONS) this.violations.push(v);
    };
  }

  /** The checks' view of the node's current incarnation (a new incarnation starts afresh). */
  private nodeChecks(node: SimNode): NodeChecks {
    const known = this.byNode[node.key];
    if (known !== undefined && known.incarnation === node.incarnation) return known;
    const c: NodeChecks = {
      incarnation: node.incarnation,
      key: `${node.name}#${node.incarnation}`,
      steps: 0,
      nextScan: SCAN_EVERY,
      timeMs: 0,
      report: () => undefined,
      driverLedger: null,
    };
    c.report = this.reporter(node, () => c.timeMs);
    if (node.kind === "driver") c.driverLedger = newDriverLedger();
    this.byNode[node.key] = c;
    return c;
  }

  afterStep(node: SimNode, timeMs: number, input: Input | null, effects: readonly Effect[]): void {
    if (effects.length > 0) noteSends(this.fifoLedger, node.name, effects);
    if (input !== null && input.type === "message" && !inFifoOrder(this.fifoLedger, node.name, input.from, input.message)) {
      const c = this.nodeChecks(node);
      c.timeMs = timeMs;
      checkFifo(this.fifoLedger, node.name, input, c.report);
    }
    // Executors are checked only on the few steps their checks concern: the bulk pay nothing more.
    if (node.kind === "executor" && !executorStepChecked(node.state as ExecutorBackendState, input)) return;
    const c = this.nodeChecks(node);
    c.timeMs = timeMs;
    if (node.kind === "worker") {
      checkWorkerStep({ name: node.name, s: node.state as WorkerState, input, effects, incarnation: node.incarnation, timeMs, ledger: this.workerLedger, report: c.report });
      return;
    }
    if (node.kind === "executor") {
      const e = node.state as ExecutorBackendState;
      checkExecutorStep(node.name, e, input, c.report, this.masterLedger.reusedExecutors.has(`${e.appId}/${e.execId}`));
      return;
    }
    if (node.kind !== "master" && node.kind !== "driver") return;
    const scan = ++c.steps >= c.nextScan;
    const report = c.report;
    if (node.kind === "master") {
      const s = node.state as MasterState;
      const nowMs = this.steps?.epochMs === undefined ? -1 : this.steps.epochMs + timeMs;
      checkMasterStep({ key: c.key, name: node.name, s, input, effects, isLeader: this.election.isLeader(node), ledger: this.masterLedger, report, nowMs });
      if (this.workerLedger.reconciliations.size > 0) checkReconciled({ name: node.name, s, input, effects, timeMs, ledger: this.workerLedger, peer: this.peer, report });
      if (scan) c.nextScan = c.steps + Math.max(SCAN_EVERY, scanMaster(s, report, node.name, this.masterLedger.overcommitExcused));
      return;
    }
    const s = node.state as DriverRoleState;
    checkDriverStep({ name: node.name, s, input, effects, ledger: c.driverLedger!, report });
    if (scan) c.nextScan = c.steps + Math.max(SCAN_EVERY, scanDriver(s, report));
  }

  /** The whole-state checks of every live master and driver (run at the end, or on demand). */
  scanAll(nodes: readonly SimNode[], timeMs: number): void {
    for (const node of nodes) {
      if (!node.alive || node.state === null || node.state === undefined) continue;
      const report = this.reporter(node, () => timeMs);
      if (node.kind === "master") scanMaster(node.state as MasterState, report, node.name, this.masterLedger.overcommitExcused);
      else if (node.kind === "driver") scanDriver(node.state as DriverRoleState, report);
    }
  }
}

/** The driver's own whole-state invariant check (src/protocol/driver/invariants.ts), reported by id; returns its size. */
export function scanDriver(s: DriverRoleState, report: Report): number {
  let size = 0;
  for (const id of s.scheduler.pool) size += s.scheduler.taskSets[id]?.numTasks ?? 0;
  for (const problem of checkDriverInvariants(s)) {
    const m = /^(I\d+): (.*)$/.exec(problem);
    report(m ? `${m[1]}:driver-state` : "driver-bookkeeping", m ? m[2]! : problem);
  }
  return size;
}
