/**
 * Safety checks run after every step (the full invariant suite of PROTOCOL.md §6 is later work).
 * Each check looks only at what the step did, so the cost per step stays constant:
 *  - executor ids are unique per application (no LaunchExecutor reuses an app's execId);
 *  - only the leader schedules (in ZooKeeper mode, no master but the elected one sends
 *    LaunchExecutor or LaunchDriver);
 *  - no worker is over-committed in the master's view (after a launch, the worker it went to has
 *    coresUsed <= cores and memoryUsed <= memoryMb in that master's state).
 */
import type { Effect, Input } from "../protocol/index.js";
import type { Election } from "./election.js";
import type { SimNode } from "./world.js";

export interface Violation {
  check: string;
  timeMs: number;
  node: string;
  detail: string;
}

/** The parts of the master's state the checks read (structural: the master owns its type). */
interface MasterView {
  addressToWorker?: Record<string, string>;
  workers?: Record<string, { cores: number; coresUsed: number; memoryMb: number; memoryUsed: number; state: string }>;
}

const MAX_VIOLATIONS = 100;

export class Checks {
  readonly violations: Violation[] = [];
  violationCount = 0;
  private readonly launchedExecutors = new Set<string>();

  constructor(private readonly election: Election) {}

  private fail(check: string, timeMs: number, node: SimNode, detail: string): void {
    this.violationCount++;
    if (this.violations.length < MAX_VIOLATIONS) this.violations.push({ check, timeMs, node: node.name, detail });
  }

  afterStep(node: SimNode, timeMs: number, _input: Input | null, effects: readonly Effect[]): void {
    if (node.kind !== "master") return;
    for (let i = 0; i < effects.length; i++) {
      const e = effects[i]!;
      if (e.type !== "send") continue;
      const m = e.message;
      if (m.type !== "LaunchExecutor" && m.type !== "LaunchDriver") continue;
      if (!this.election.isLeader(node)) this.fail("only-leader-schedules", timeMs, node, `${m.type} to ${e.to} from a master that is not the leader`);
      if (m.type === "LaunchExecutor") {
        const key = `${m.appId}/${m.execId}`;
        if (this.launchedExecutors.has(key)) this.fail("unique-executor-ids", timeMs, node, `executor ${key} launched twice`);
        this.launchedExecutors.add(key);
      }
      const view = node.state as MasterView;
      const workerId = view.addressToWorker?.[e.to];
      const w = workerId === undefined ? undefined : view.workers?.[workerId];
      if (w !== undefined && (w.coresUsed > w.cores || w.memoryUsed > w.memoryMb)) {
        this.fail("worker-not-overcommitted", timeMs, node, `${workerId}: ${w.coresUsed}/${w.cores} cores, ${w.memoryUsed}/${w.memoryMb} MiB used`);
      }
    }
  }
}
