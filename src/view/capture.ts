/**
 * A simulated run, captured for the viewer: runs a scenario (the simulator is deterministic, so
 * the run is the one `flint sim` shows for that seed) and records each step with the state changes
 * it made (the live state compared with the last copy), each message from its send to its
 * delivery (matched by the message object the world carries, so drops and duplicates are exact),
 * each node's life, pauses, partitions, leader changes, faults and violations.
 */
import type { Effect, Input, Message } from "../protocol/index.js";
import { ClusterRun, type SimResult } from "../sim/cluster.js";
import { judgeLiveness } from "../sim/invariants/liveness.js";
import { ROLES } from "../sim/roles.js";
import type { Scenario } from "../sim/scenario.js";
import type { TraceRecord } from "../sim/trace.js";
import type { SimNode } from "../sim/world.js";
import { markDelayed, ViewBuilder, type ViewRun } from "./model.js";
import { StateTracker } from "./state-diff.js";

export interface CaptureOptions {
  seed?: number;
  untilMs?: number;
  /** Where the run came from, shown in the page's header (e.g. the command that replays it). */
  source: string;
  /** Bytes of detail (inputs, effects and state changes as JSON) to keep; later steps keep their summaries only. */
  detailBudgetBytes?: number;
  /**
   * Values the state comparison may visit in all (each step walks its node's whole state); past it,
   * later steps keep no states. Bounds the time a big run takes (a driver of 20,000 tasks is a big state).
   */
  stateVisitsMax?: number;
  /** Called with each step's record, as `ClusterRun`'s recordSink (e.g. to write a trace file as well). */
  recordSink?: (record: TraceRecord) => void;
}

/** The default detail budget: enough for every step of the shipped scenarios but big-cluster. */
export const DEFAULT_DETAIL_BUDGET_BYTES = 64_000_000;

/** The default limit of state comparison work: about ten seconds (every shipped scenario but big-cluster fits). */
export const DEFAULT_STATE_VISITS_MAX = 300_000_000;

export interface Capture {
  view: ViewRun;
  result: SimResult;
}

interface SentMessage {
  /** Index of the message's entry in the view (its first delivery fills it in). */
  index: number;
  delivered: boolean;
}

/** Runs the scenario and returns the view of the run with the run's result. */
export function captureRun(scenario: Scenario, options: CaptureOptions): Capture {
  const seed = options.seed ?? scenario.seed;
  const b = new ViewBuilder(`${scenario.name} (seed ${seed})`, options.source);
  const budget = options.detailBudgetBytes ?? DEFAULT_DETAIL_BUDGET_BYTES;
  let detail = true;
  let states = true;
  const visitsMax = options.stateVisitsMax ?? DEFAULT_STATE_VISITS_MAX;
  StateTracker.visits = 0;
  let pending: TraceRecord | null = null;
  const cluster = new ClusterRun(scenario, ROLES, {
    seed,
    ...(options.untilMs !== undefined ? { untilMs: options.untilMs } : {}),
    recordSink: (r) => {
      pending = r;
      options.recordSink?.(r);
    },
  });
  const world = cluster.world;
  const trackers = new Map<SimNode, StateTracker>();
  const sent = new Map<Message, SentMessage>();
  /** Per lane, the index in `lives` of its open life, or -1. */
  const openLife: number[] = [];
  const openPause = new Map<number, number>();
  const openPartitions = new Map<number, number>();
  let partitionsSeen = 0;
  const v = b.run;

  const laneOf = (node: SimNode): number => {
    const lane = b.laneOf(node.name, node.kind, node.host);
    while (openLife.length <= lane) openLife.push(-1);
    return lane;
  };

  // Partitions are added and healed between steps: seen at the next step.
  const notePartitions = (row: number): void => {
    const ps = world.network.partitions;
    if (ps.length === partitionsSeen && openPartitions.size === ps.length) return;
    const live = new Set(ps.map((p) => p.id));
    for (const [id, index] of openPartitions) {
      if (live.has(id)) continue;
      v.partitions[index]!.toRow = row;
      openPartitions.delete(id);
    }
    for (const p of ps) {
      if (openPartitions.has(p.id)) continue;
      const lanes = v.lanes.flatMap((l, i) => (p.sideA.has(l.host) ? [i] : []));
      const label = `${p.oneWay ? "one-way " : ""}partition ${[...p.sideA].join(",")} | ${p.sideB ? [...p.sideB].join(",") : "everyone else"}`;
      openPartitions.set(p.id, v.partitions.length);
      v.partitions.push({ fromRow: row, toRow: -1, lanes, label });
    }
    partitionsSeen = ps.length;
  };

  const hooks = world.hooks;
  const clusterAfterStep = hooks.afterStep;
  hooks.afterStep = (step) => {
    clusterAfterStep?.(step);
    const { node, input, effects } = step;
    const record = pending;
    pending = null;
    if (record === null) return;
    const lane = laneOf(node);
    const row = b.rows;
    notePartitions(row);
    let tracker = trackers.get(node);
    if (tracker === undefined) trackers.set(node, (tracker = new StateTracker()));
    if (detail && b.detailBytes > budget) {
      detail = false;
      const note = `inputs and effects kept for the first ${row} steps only (the detail budget, ${Math.round(budget / 1e6)} MB, ran out; --detail-mb raises it)`;
      v.statesNote = v.statesNote === null ? `states, ${note}` : `${v.statesNote}; ${note}`;
    }
    if (states && detail && StateTracker.visits > visitsMax) {
      states = false;
      v.statesNote = `states kept for the first ${row} steps only (comparing big states step by step hit its limit)`;
    }
    const changes = states && detail ? tracker.changes(node.state) : null;
    b.addStep(record.step, record.timeMs, lane, input, effects, changes, detail);
    if (openLife[lane] === -1) {
      openLife[lane] = v.lives.length;
      v.lives.push({ lane, fromRow: row, toRow: -1, endedBy: "" });
    }
    if (input !== null && input.type === "message") noteDelivery(input, row, lane);
    noteSends(effects, row, lane);
    // With details off, trackers fall behind: a later step could not be diffed against them.
    if (!detail || !states) tracker.reset();
  };

  const noteDelivery = (input: Extract<Input, { type: "message" }>, row: number, lane: number): void => {
    const m = sent.get(input.message);
    if (m === undefined) {
      // Sent outside any step: a fault's injected message.
      b.addMessage(-1, row, "injected", b.laneOf(input.from), lane, input.message.type);
      return;
    }
    if (!m.delivered) {
      m.delivered = true;
      v.msgRecv[m.index] = row;
      v.msgFate[m.index] = 0;
      return;
    }
    b.addMessage(v.msgSend[m.index]!, row, "duplicate", v.msgFrom[m.index]!, lane, input.message.type);
  };

  const noteSends = (effects: readonly Effect[], row: number, lane: number): void => {
    for (const e of effects) {
      if (e.type !== "send") continue;
      const to = world.byName.get(e.to);
      const toLane = to === undefined ? b.laneOf(e.to) : laneOf(to);
      sent.set(e.message, { index: v.msgSend.length, delivered: false });
      b.addMessage(row, -1, "lost", lane, toLane, e.message.type);
    }
  };

  const clusterNodeDown = hooks.nodeDown;
  hooks.nodeDown = (node, code, reason, crashed) => {
    clusterNodeDown?.(node, code, reason, crashed);
    const lane = laneOf(node);
    const life = openLife[lane]!;
    if (life >= 0) {
      v.lives[life]!.toRow = Math.max(v.lives[life]!.fromRow, b.rows - 1);
      v.lives[life]!.endedBy = crashed ? "crash" : `exit ${code}`;
      openLife[lane] = -1;
    }
    trackers.get(node)?.reset();
  };

  const pause = world.pause.bind(world);
  world.pause = (node) => {
    const ok = pause(node);
    if (ok) {
      const lane = laneOf(node);
      openPause.set(lane, v.pauses.length);
      v.pauses.push({ lane, fromRow: b.rows, toRow: -1 });
    }
    return ok;
  };
  const resume = world.resume.bind(world);
  world.resume = (node) => {
    const lane = laneOf(node);
    const index = openPause.get(lane);
    if (index !== undefined) {
      v.pauses[index]!.toRow = b.rows;
      openPause.delete(lane);
    }
    return resume(node);
  };

  const result = cluster.run();
  notePartitions(b.rows);
  if (options.untilMs === undefined && result.violationCount === 0) {
    // Liveness as `flint sim` and the fuzzer judge it, so a fuzz failure's stall shows here too.
    const liveness = judgeLiveness({ scenario: cluster.scenario, nodes: world.nodes, nowMs: world.now, jobs: cluster.jobs });
    if (liveness.stall !== null) {
      result.violations.push(liveness.stall);
      result.violationCount++;
      result.verdict = {
        ok: false,
        reasons: [...result.verdict.reasons, `check ${liveness.stall.check} failed at the end of the run: ${liveness.stall.detail}`],
      };
    }
  }
  finishMarks(b, result);
  markDelayed(v);
  v.seed = seed;
  v.traceHash = result.traceHash;
  v.verdict = result.verdict;
  return { view: v, result };
}

/** The first row at or after virtual time `timeMs` (the last row when none is). */
export function rowAtTime(v: ViewRun, timeMs: number): number {
  let lo = 0;
  let hi = v.timeMs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v.timeMs[mid]! < timeMs) lo = mid + 1;
    else hi = mid;
  }
  return Math.min(lo, Math.max(0, v.timeMs.length - 1));
}

/** The row of step `step` (rows are in step order), or the last row for -1 (a check at the end of the run). */
function rowOfStep(v: ViewRun, step: number): number {
  if (step < 0) return v.step.length - 1;
  let lo = 0;
  let hi = v.step.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v.step[mid]! < step) lo = mid + 1;
    else hi = mid;
  }
  return Math.min(lo, v.step.length - 1);
}

function finishMarks(b: ViewBuilder, result: SimResult): void {
  const v = b.run;
  for (const e of result.election) {
    if (e.what !== "elected" && e.what !== "revoked") continue;
    // At the master's own step that took the news (its first at or after the event), else at the time.
    const lane = b.laneOf(e.master);
    const at = rowAtTime(v, e.timeMs);
    let row = at;
    while (row < v.lane.length && v.lane[row] !== lane) row++;
    v.leaders.push({ row: row < v.lane.length ? row : at, lane, what: e.what });
  }
  for (const x of result.violations) {
    v.violations.push({
      row: rowOfStep(v, x.step),
      lane: b.hasLane(x.node) ? b.laneOf(x.node) : -1,
      check: x.check,
      detail: x.detail,
      weakness: x.weakness ?? null,
    });
  }
  for (const e of result.timeline) {
    if (e.kind !== "fault") continue;
    v.faults.push({ row: rowAtTime(v, e.timeMs), lane: b.hasLane(e.node) ? b.laneOf(e.node) : -1, text: e.text });
  }
}
