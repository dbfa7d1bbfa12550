/**
 * Safety checks run after every step of every node (docs/protocol.md §6; the invariants themselves are
 * in src/sim/invariants). Each step is checked against what that node did — its effects and the
 * parts of its state they name — so the cost per step stays near constant; a whole-state scan of
 * the stepping master or driver runs every SCAN_EVERY steps of that node. The first violation asks
 * the world to stop (the caller reads `violationCount`).
 */
import type { Effect, Input } from "../protocol/index.js";
import type { DriverRoleState } from "../protocol/driver/state.js";
import { checkDriverInvariants } from "../protocol/driver/invariants.js";
import type { MasterState } from "../protocol/master/state.js";
import { checkDriverStep, newDriverLedger, type DriverLedger, type DriverStepView } from "./invariants/driver.js";
import { checkMasterStep, newMasterLedger, scanMaster } from "./invariants/master.js";
import { checkExecutorStep, executorStepChecked } from "./invariants/executor.js";
import {
  enqueue,
  inOrderAt,
  newFifoLedger,
  queueTo,
  receiverQueues,
  reportFifo,
  senderQueues,
  StampedFifo,
  type NodeQueues,
} from "./invariants/fifo.js";
import {
  checkTasksAgree,
  comparableExecutor,
  executorStepMovesTasks,
  newTasksInFlight,
  noteDriverStep,
  noteExecutorStep,
  type TasksInFlight,
} from "./invariants/tasks-across.js";
import { checkKillsAnswered } from "./invariants/kills.js";
import { emptyText, N1, N2, undeclaredLogName } from "./invariants/declared-names.js";
import { N3, offWireSchema } from "./invariants/wire-schema.js";
import { missingLogField, N4 } from "./invariants/log-fields.js";
import { BOOKKEEPING_SIZE_LIMIT, checkMasterBooks, masterSmallerThan } from "./invariants/master-bookkeeping.js";
import { checkStoreFollowsRegistrations, newReservationLedger } from "./invariants/master-store.js";
import { checkMasterTransitions, newTransitionLedger } from "./invariants/master-transitions.js";
import { checkScheduleOutcome } from "./invariants/master-schedule.js";
import { checkMasterTimeouts, newDeadWorkerLedger } from "./invariants/master-timeouts.js";
import { checkAppRemovedAtMaxRetries } from "./invariants/master-retries.js";
import { checkRecoveryEnd, newRecoveryEndLedger } from "./invariants/master-recovery-end.js";
import { checkClientAnswers } from "./invariants/client-answers.js";
import { checkMasterLimits } from "./invariants/master-limits.js";
import { checkJobFailures } from "./invariants/job-failures.js";
import { checkDriverBooks, newDriverBooks, type DriverBooks } from "./invariants/driver-books.js";
import { checkSpeculation } from "./invariants/driver-speculation.js";
import { checkMasterWorkerLinks, checkRevivedWorkerAdopted, newRevivalLedger } from "./invariants/master-worker-links.js";
import { checkFinishedTaskSets, checkSpeculatableOffered } from "./invariants/driver-task-set-rounds.js";
import { isTaskFinished } from "../protocol/states.js";
import { checkReconciled, checkWorkerStep, newWorkerLedger } from "./invariants/worker.js";
import type { ExecutorBackendState } from "../protocol/executor/state.js";
import type { WorkerState } from "../protocol/worker/state.js";
import type { Report, Violation } from "./invariants/report.js";
import type { Election } from "./election.js";
import type { SimNode, StepInfo } from "./world.js";

export type { Violation } from "./invariants/report.js";

const MAX_VIOLATIONS = 100;
/**
 * A node's whole state is re-checked after SCAN_EVERY of its steps, or after as many steps as the
 * scan has items (workers, tasks) when that is more, so scans cost O(1) per step amortised.
 */
export const SCAN_EVERY = 256;

/**
 * What the checks keep per node incarnation: its ledger key, its step count, when its next
 * whole-state scan runs, and one reporter (built once: it reads the time of the step being checked
 * from `Checks.stepTimeMs`).
 */
interface NodeChecks {
  incarnation: number;
  /** `<name>#<incarnation>`: the key the master ledger and the driver ledgers use. */
  key: string;
  steps: number;
  nextScan: number;
  report: Report;
  /** A driver's ledger (null for a master: masters share one ledger). */
  driverLedger: DriverLedger | null;
  /** A driver's step view, built once and refilled on each step (a driver steps for every task event). */
  driverView: DriverStepView | null;
  /** A driver's cross-role ledger (C1-C3): the task messages on their way between it and its executors. */
  tasks: TasksInFlight | null;
  /** A driver's conservation ledger (D1-D17). */
  books: DriverBooks | null;
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
  /** Violations explained by a weakness docs/protocol.md documents for Spark (they do not stop the run). */
  readonly weaknesses: Violation[] = [];
  weaknessCount = 0;
  private readonly masterLedger = newMasterLedger();
  /** M2's executor id reservations and M3's snapshots, per master incarnation. */
  private readonly masterReservations = newReservationLedger();
  private readonly masterTransitions = newTransitionLedger();
  /** M5's DEAD workers of each master incarnation. */
  private readonly deadWorkers = newDeadWorkerLedger();
  private readonly revivals = newRevivalLedger();
  /** M7's view of each RECOVERING master incarnation. */
  private readonly recoveryEnds = newRecoveryEndLedger();
  private readonly workerLedger = newWorkerLedger();
  private readonly fifoLedger = newFifoLedger();
  private readonly peer = (address: string): SimNode | undefined => this.steps?.byName?.get(address);
  /** Per node (by its world key): the checks' view of its current incarnation. */
  private readonly byNode: Array<NodeChecks | undefined> = [];
  /** Per node (by its world key): its FIFO queues as sender and as receiver (a key keeps its name for ever). */
  private readonly fifoByNode: Array<{ out: NodeQueues; in: NodeQueues } | undefined> = [];
  /** I28 on the world's send stamps, by link id (messages that come with a link and a stamp). */
  private readonly stampedFifo = new StampedFifo();
  /** Virtual time of the step being checked, read by the reporters (one field for every node: a step only moves it). */
  private stepTimeMs = 0;

  constructor(
    private readonly election: Election,
    private readonly steps: StepSource | null = null,
  ) {}

  private reporter(node: SimNode, timeMs: () => number): Report {
    return (check, detail, nodes = [], weakness) => {
      const step = this.steps === null ? -1 : this.steps.counts.steps - 1;
      const v: Violation = {
        check,
        timeMs: timeMs(),
        step,
        node: node.name,
        nodes: [node.name, ...nodes.filter((n) => n !== node.name)],
        detail,
      };
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
    return this.newNodeChecks(node);
  }

  /**
   * Kept out of `nodeChecks`, which runs on most steps: a function that creates closures over its
   * own variables allocates their context on every call, even on a path that creates none.
   */
  private newNodeChecks(node: SimNode): NodeChecks {
    const c: NodeChecks = {
      incarnation: node.incarnation,
      key: `${node.name}#${node.incarnation}`,
      steps: 0,
      nextScan: SCAN_EVERY,
      report: () => undefined,
      driverLedger: null,
      driverView: null,
      tasks: null,
      books: null,
    };
    c.report = this.reporter(node, () => this.stepTimeMs);
    if (node.kind === "driver") {
      c.driverLedger = newDriverLedger();
      c.tasks = newTasksInFlight();
      c.books = newDriverBooks();
      c.driverView = {
        name: node.name,
        s: node.state as DriverRoleState,
        input: null,
        effects: [],
        ledger: c.driverLedger,
        report: c.report,
      };
    }
    while (this.byNode.length <= node.key) this.byNode.push(undefined); // dense: a holey array may turn into a hash table
    this.byNode[node.key] = c;
    return c;
  }

  private fifoOf(node: SimNode): { out: NodeQueues; in: NodeQueues } {
    let fifo = this.fifoByNode[node.key];
    if (fifo === undefined) {
      while (this.fifoByNode.length <= node.key) this.fifoByNode.push(undefined); // dense: a holey array may turn into a hash table
      fifo = { out: senderQueues(this.fifoLedger, node.name), in: receiverQueues(this.fifoLedger, node.name) };
      this.fifoByNode[node.key] = fifo;
    }
    return fifo;
  }

  /**
   * The checks of one step. What the host knows of the step's messages, when it tells: `sender`,
   * the node a message input came from; `targets[i]`, the node send effect i went to (only valid
   * for sends); `links`, given by a host that stamps every message it sends with its place in its
   * pair's send order (the world), and then `inputLink` and `inputStamp`, the link a message input
   * came over and its stamp. With stamps, FIFO (I28) is checked on them; without, on queues of the
   * messages sent, by name.
   */
  afterStep(step: StepInfo, timeMs: number): void {
    const { node, input, effects, sender, targets, inputLink, links, inputStamp } = step;
    this.stepTimeMs = timeMs;
    // A stamping host's sends need no bookkeeping: their stamps carry their order.
    if (links === null) {
      for (let i = 0; i < effects.length; i++) {
        const e = effects[i]!;
        if (e.type !== "send") continue;
        const to = targets === null ? undefined : targets[i];
        enqueue(queueTo(this.fifoLedger, this.fifoOf(node).out, node.name, to === undefined ? null : this.fifoOf(to).in, e.to), e.message);
      }
    }
    let inOrder = true;
    if (input !== null && input.type === "message") {
      inOrder =
        inputLink !== null && inputStamp > 0
          ? this.stampedFifo.processed(inputLink.id, inputStamp)
          : inOrderAt(this.fifoOf(node).in, input.from, input.message, sender === null ? null : this.fifoOf(sender).out, node.name);
    }
    if (!inOrder && input !== null && input.type === "message") {
      reportFifo(node.name, input, this.nodeChecks(node).report);
    }
    const undeclared = undeclaredLogName(effects);
    if (undeclared !== null) this.nodeChecks(node).report(N1, `${node.name}: ${undeclared}`);
    const empty = emptyText(effects);
    if (empty !== null) this.nodeChecks(node).report(N2, `${node.name}: ${empty}`);
    const offSchema = offWireSchema(effects);
    if (offSchema !== null) this.nodeChecks(node).report(N3, `${node.name}: ${offSchema}`);
    const missingField = missingLogField(effects, node.kind);
    if (missingField !== null) this.nodeChecks(node).report(N4, `${node.name}: ${missingField}`);
    if (node.kind === "executor" && executorStepMovesTasks(input, effects)) this.noteExecutorTasks(node, input, effects);
    // Executors are checked only on the few steps their checks concern: the bulk pay nothing more.
    if (node.kind === "executor" && !executorStepChecked(node.state as ExecutorBackendState, input)) return;
    const c = this.nodeChecks(node);
    if (node.kind === "worker") {
      checkWorkerStep({
        name: node.name,
        s: node.state as WorkerState,
        input,
        effects,
        incarnation: node.incarnation,
        timeMs,
        ledger: this.workerLedger,
        report: c.report,
      });
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
      const view = {
        key: c.key,
        name: node.name,
        s,
        input,
        effects,
        isLeader: this.election.isLeader(node),
        ledger: this.masterLedger,
        report,
        nowMs,
      };
      checkMasterStep(view);
      checkStoreFollowsRegistrations(view, this.masterReservations);
      checkMasterTimeouts(view, this.deadWorkers);
      checkAppRemovedAtMaxRetries(view);
      if (s.recoveryState === "RECOVERING" || this.recoveryEnds.size > 0) checkRecoveryEnd(view, this.recoveryEnds);
      checkClientAnswers(view);
      checkMasterLimits(view);
      // M20-M23 read a disconnection, a worker's answers and the step's effects: a heartbeat answered with nothing has none.
      if (effects.length > 0 || input === null || input.type !== "message" || input.message.type !== "Heartbeat") {
        checkMasterWorkerLinks(view);
        checkRevivedWorkerAdopted(view, this.revivals);
      }
      // The whole-state passes (M1, M3, M4) skip a heartbeat the master answered with nothing, the
      // bulk of its steps: it only moves a worker's lastHeartbeatMs, which none of them reads, and
      // M3's next step compares with the snapshot taken before it.
      if (!(effects.length === 0 && input !== null && input.type === "message" && input.message.type === "Heartbeat")) {
        const small = masterSmallerThan(s, BOOKKEEPING_SIZE_LIMIT);
        if (small) {
          checkMasterBooks(s, report, node.name);
          checkScheduleOutcome(view);
        }
        checkMasterTransitions(view, this.masterTransitions, small);
      }
      if (this.workerLedger.reconciliations.size > 0)
        checkReconciled({ name: node.name, s, input, effects, timeMs, ledger: this.workerLedger, peer: this.peer, report });
      if (scan) c.nextScan = c.steps + Math.max(SCAN_EVERY, scanMaster(s, report, node.name));
      return;
    }
    const s = node.state as DriverRoleState;
    const view = c.driverView!;
    view.s = s;
    view.input = input;
    view.effects = effects;
    checkDriverStep(view);
    checkDriverBooks(node.name, s, c.driverLedger!.tids, c.books!, input, effects, report);
    checkSpeculation(node.name, s, c.driverLedger!.tids, c.books!.speculation, input, effects, timeMs, report);
    checkSpeculatableOffered(node.name, s, input, effects, report);
    checkFinishedTaskSets(node.name, s, c.driverLedger!.tids, effects, report);
    this.checkDriverAcross(node, s, c, input, effects, timeMs);
    if (scan) c.nextScan = c.steps + Math.max(SCAN_EVERY, scanDriver(s, report));
  }

  /**
   * Sends a node made in steps its host did not record (a flight recorder's last buffered steps,
   * lost when its process was killed), known because their receiver got them: queued for the FIFO
   * check (I28) as sent, so that their delivery is checked like any other.
   */
  noteUnrecordedSends(node: SimNode, effects: readonly Effect[]): void {
    for (const e of effects)
      if (e.type === "send") enqueue(queueTo(this.fifoLedger, this.fifoOf(node).out, node.name, null, e.to), e.message);
  }

  /** The executor's half of the cross-role ledger: what it stepped on and sent, in its driver's current ledger. */
  private noteExecutorTasks(node: SimNode, input: Input | null, effects: readonly Effect[]): void {
    const driver = this.peer((node.state as ExecutorBackendState).driverAddress);
    if (driver === undefined || driver.kind !== "driver") return;
    const c = this.byNode[driver.key];
    if (c === undefined || c.incarnation !== driver.incarnation || c.tasks === null) return;
    noteExecutorStep(c.tasks, node.name, input, effects);
  }

  /** The driver's cross-role checks of one step: C3 on the jobs it failed, C1 on the executor a StatusUpdate came from. */
  private checkDriverAcross(
    node: SimNode,
    s: DriverRoleState,
    c: NodeChecks,
    input: Input | null,
    effects: readonly Effect[],
    timeMs: number,
  ): void {
    const led = c.tasks!;
    noteDriverStep(led, input, effects, timeMs);
    const tids = c.driverLedger!.tids;
    checkJobFailures(node.name, s, tids, led, input, effects, c.report);
    // On a task's final update only (half of them): that is when the two sides' task sets move.
    if (input === null || input.type !== "message" || input.message.type !== "StatusUpdate" || !isTaskFinished(input.message.state)) return;
    const exec = comparableExecutor(s, node.name, input.from, this.peer(input.from));
    if (exec !== null) checkTasksAgree(node.name, s, tids, led, input.from, exec.executorId, exec.e, c.report);
  }

  /** The whole-state checks of every live master and driver, with the cross-role checks C1 and C2 (run at the end, or on demand). */
  scanAll(nodes: readonly SimNode[], timeMs: number): void {
    for (const node of nodes) {
      if (!node.alive || node.state === null || node.state === undefined) continue;
      const report = this.reporter(node, () => timeMs);
      if (node.kind === "master") scanMaster(node.state as MasterState, report, node.name);
      else if (node.kind === "driver") {
        const s = node.state as DriverRoleState;
        scanDriver(s, report);
        const c = this.byNode[node.key];
        if (c === undefined || c.incarnation !== node.incarnation || c.tasks === null || node.paused) continue;
        for (const address of Object.keys(s.backend.addressToExecutorId).sort()) {
          const exec = comparableExecutor(s, node.name, address, this.peer(address));
          if (exec !== null) checkTasksAgree(node.name, s, c.driverLedger!.tids, c.tasks, address, exec.executorId, exec.e, report);
        }
        checkKillsAnswered(node.name, s, c.tasks, timeMs, this.peer, report);
      }
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
