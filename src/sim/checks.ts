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

/** The step counter the checks stamp violations with (the world's). */
export interface StepSource {
  counts: { steps: number };
}

export class Checks {
  readonly violations: Violation[] = [];
  violationCount = 0;
  /** Violations explained by a weakness PROTOCOL.md documents for Spark (they do not stop the run). */
  readonly weaknesses: Violation[] = [];
  weaknessCount = 0;
  private readonly masterLedger = newMasterLedger();
  private readonly driverLedgers = new Map<string, DriverLedger>();
  /** Per node incarnation: steps checked, and the step count at which its next whole-state scan runs. */
  private readonly stepsByNode = new Map<string, { steps: number; nextScan: number }>();

  constructor(
    private readonly election: Election,
    private readonly steps: StepSource | null = null,
  ) {}

  private reporter(node: SimNode, timeMs: number): Report {
    const step = this.steps === null ? -1 : this.steps.counts.steps - 1;
    return (check, detail, nodes = [], weakness) => {
      const v: Violation = { check, timeMs, step, node: node.name, nodes: [node.name, ...nodes.filter((n) => n !== node.name)], detail };
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

  afterStep(node: SimNode, timeMs: number, input: Input | null, effects: readonly Effect[]): void {
    if (node.kind !== "master" && node.kind !== "driver") return;
    const key = `${node.name}#${node.incarnation}`;
    let counter = this.stepsByNode.get(key);
    if (counter === undefined) {
      counter = { steps: 0, nextScan: SCAN_EVERY };
      this.stepsByNode.set(key, counter);
    }
    const scan = ++counter.steps >= counter.nextScan;
    const report = this.reporter(node, timeMs);
    if (node.kind === "master") {
      const s = node.state as MasterState;
      checkMasterStep({ key, name: node.name, s, input, effects, isLeader: this.election.isLeader(node), ledger: this.masterLedger, report });
      if (scan) counter.nextScan = counter.steps + Math.max(SCAN_EVERY, scanMaster(s, report, node.name, this.masterLedger.overcommitExcused));
      return;
    }
    const s = node.state as DriverRoleState;
    let ledger = this.driverLedgers.get(key);
    if (ledger === undefined) {
      ledger = newDriverLedger();
      this.driverLedgers.set(key, ledger);
    }
    checkDriverStep({ name: node.name, s, input, effects, ledger, report });
    if (scan) counter.nextScan = counter.steps + Math.max(SCAN_EVERY, scanDriver(s, report));
  }

  /** The whole-state checks of every live master and driver (run at the end, or on demand). */
  scanAll(nodes: readonly SimNode[], timeMs: number): void {
    for (const node of nodes) {
      if (!node.alive || node.state === null || node.state === undefined) continue;
      const report = this.reporter(node, timeMs);
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
