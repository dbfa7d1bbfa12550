/**
 * The data a run's page draws, compact enough for half a million steps: one row per step in
 * columns (plain number arrays), every text once in a string table, messages as (send row,
 * delivery row) pairs, and the marks (crashes, pauses, partitions, leader changes, violations).
 * The builder is fed one step at a time (by a simulated run or a trace file) and never holds a
 * step's objects after it returned.
 */
import type { Effect, Input } from "../protocol/index.js";
import { describeEffect, describeInput } from "../sim/trace.js";
import type { StateChange } from "./state-diff.js";

/** How a message went: delivered once, delivered twice or more (the copies), held up, lost, or sent by a fault (no send step). */
export const MESSAGE_FATES = ["delivered", "duplicate", "delayed", "lost", "injected"] as const;
export type MessageFate = (typeof MESSAGE_FATES)[number];

export interface LaneMark {
  lane: number;
  fromRow: number;
  /** -1: until the end of the run. */
  toRow: number;
}

export interface ViewRun {
  format: "flint-view/1";
  title: string;
  /** Where the run came from (a scenario and seed, a trace file). */
  source: string;
  seed: number | null;
  /** What `timeMs` counts: the simulator's virtual ms, or real ms from the first node's start (a real cluster's journals). */
  clock: "virtual" | "real";
  traceHash: string | null;
  verdict: { ok: boolean; reasons: string[] } | null;
  /** Why the state panel is empty, when states were not recorded (a trace file, a detail budget). */
  statesNote: string | null;
  strings: string[];
  lanes: Array<{ name: string; kind: string; host: string }>;
  /** Per row: the step number, virtual ms, lane, summary (string id), input JSON (string id). */
  step: number[];
  timeMs: number[];
  lane: number[];
  summary: number[];
  input: number[];
  /** Per row: its effects are `effectIds[effectStart[row] .. effectStart[row + 1])` (one more entry than rows). */
  effectStart: number[];
  /** String ids of each effect's JSON and, in `effectSummary`, of its one-line description. */
  effectIds: number[];
  effectSummary: number[];
  /** Per row: the state changes of the step as a JSON string id, or -1 (not recorded). */
  changes: number[];
  /** Messages: send row (-1 for injected), delivery row (-1 lost), fate index in MESSAGE_FATES, from lane, to lane, type string id. */
  msgSend: number[];
  msgRecv: number[];
  msgFate: number[];
  msgFrom: number[];
  msgTo: number[];
  msgType: number[];
  /** A lane's life: rows it was up; `endedBy` says how it ended (crash, exit) or "" when it lived to the end. */
  lives: Array<LaneMark & { endedBy: string }>;
  pauses: LaneMark[];
  partitions: Array<{ fromRow: number; toRow: number; lanes: number[]; label: string }>;
  leaders: Array<{ row: number; lane: number; what: string }>;
  violations: Array<{ row: number; lane: number; check: string; detail: string; weakness: string | null }>;
  faults: Array<{ row: number; lane: number; text: string }>;
}

/** Builds a ViewRun one step at a time. */
export class ViewBuilder {
  private readonly strings: string[] = [];
  private readonly stringIds = new Map<string, number>();
  private readonly laneIds = new Map<string, number>();
  readonly run: ViewRun;
  /** Bytes of detail JSON (inputs, effects, state changes) added so far. */
  detailBytes = 0;

  constructor(title: string, source: string) {
    this.run = {
      format: "flint-view/1",
      title,
      source,
      seed: null,
      clock: "virtual",
      traceHash: null,
      verdict: null,
      statesNote: null,
      strings: this.strings,
      lanes: [],
      step: [],
      timeMs: [],
      lane: [],
      summary: [],
      input: [],
      effectStart: [0],
      effectIds: [],
      effectSummary: [],
      changes: [],
      msgSend: [],
      msgRecv: [],
      msgFate: [],
      msgFrom: [],
      msgTo: [],
      msgType: [],
      lives: [],
      pauses: [],
      partitions: [],
      leaders: [],
      violations: [],
      faults: [],
    };
  }

  str(s: string): number {
    let id = this.stringIds.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.stringIds.set(s, id);
      this.detailBytes += s.length;
    }
    return id;
  }

  get rows(): number {
    return this.run.step.length;
  }

  /** The lane of a node, made on first sight (lanes are in order of first appearance). */
  laneOf(name: string, kind = "", host = ""): number {
    let id = this.laneIds.get(name);
    if (id === undefined) {
      id = this.run.lanes.length;
      this.run.lanes.push({ name, kind: kind || kindFromName(name), host: host || name });
      this.laneIds.set(name, id);
    }
    return id;
  }

  hasLane(name: string): boolean {
    return this.laneIds.has(name);
  }

  /**
   * Adds a step; returns its row. `detail` false keeps only the summaries (a detail budget ran out).
   * A node's start (input null) is its init, unless `start` says otherwise (a journal that starts
   * from a snapshot).
   */
  addStep(
    step: number,
    timeMs: number,
    lane: number,
    input: Input | null,
    effects: readonly Effect[],
    changes: StateChange[] | null,
    detail: boolean,
    start?: { summary: string; input: unknown },
  ): number {
    const r = this.run;
    const row = r.step.length;
    r.step.push(step);
    r.timeMs.push(timeMs);
    r.lane.push(lane);
    const begins = input === null && start !== undefined ? start : null;
    r.summary.push(this.str(begins === null ? describeInput(input) : begins.summary));
    r.input.push(detail ? this.str(JSON.stringify(input ?? begins?.input ?? { type: "init" })) : -1);
    for (const e of effects) {
      r.effectIds.push(detail ? this.str(JSON.stringify(e)) : -1);
      r.effectSummary.push(this.str(describeEffect(e)));
    }
    r.effectStart.push(r.effectIds.length);
    r.changes.push(detail && changes !== null ? this.str(JSON.stringify(changes)) : -1);
    return row;
  }

  addMessage(sendRow: number, recvRow: number, fate: MessageFate, from: number, to: number, type: string): void {
    const r = this.run;
    r.msgSend.push(sendRow);
    r.msgRecv.push(recvRow);
    r.msgFate.push(MESSAGE_FATES.indexOf(fate));
    r.msgFrom.push(from);
    r.msgTo.push(to);
    r.msgType.push(this.str(type));
  }
}

/** A node's kind from its name, for runs that do not say (a trace file). */
export function kindFromName(name: string): string {
  if (name.startsWith("master")) return "master";
  if (name.startsWith("worker")) return "worker";
  if (name.startsWith("exec")) return "executor";
  if (name.startsWith("drv") || name.startsWith("driver")) return "driver";
  return "other";
}

/** Delivered messages that took far longer than the run's usual latency are drawn as delayed. */
export function markDelayed(run: ViewRun): void {
  const latencies: number[] = [];
  for (let i = 0; i < run.msgSend.length; i++) {
    const s = run.msgSend[i]!;
    const d = run.msgRecv[i]!;
    if (s >= 0 && d >= 0 && run.msgFate[i] === 0) latencies.push(run.timeMs[d]! - run.timeMs[s]!);
  }
  if (latencies.length === 0) return;
  latencies.sort((a, b) => a - b);
  const median = latencies[latencies.length >> 1]!;
  // Five times the median, and at least 100 ms: a latency model's spread stays under it, a held or delayed message does not.
  const limitMs = Math.max(100, 5 * median);
  const delayed = MESSAGE_FATES.indexOf("delayed");
  for (let i = 0; i < run.msgSend.length; i++) {
    const s = run.msgSend[i]!;
    const d = run.msgRecv[i]!;
    if (s >= 0 && d >= 0 && run.msgFate[i] === 0 && run.timeMs[d]! - run.timeMs[s]! > limitMs) run.msgFate[i] = delayed;
  }
}
