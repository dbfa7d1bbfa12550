/**
 * A view of a real cluster's journals (the flight recorder, src/real/journal): `flint replay`
 * re-runs every node's reducer in its merged order, and this records each replayed step the way
 * capture.ts records a simulated one: one lane per recorded node (a restart on the same address
 * is a new life on the same lane), the state changes of each step (replay rebuilds the states),
 * messages from the sending step to the delivering one (replay's own pairing: a delivery carries
 * the object its replayed send made), leader changes, lives' ends and the checks' violations.
 *
 * Time is the journals' `now` (real ms), counted from the first node's start. Journals do not say
 * how a process ended: a journal whose last step returned an `exit` effect ended with it; an
 * executor whose worker recorded its exit ended with that exit code when the worker had asked it
 * to stop, else crashed; any other journal followed by a restart on its address, or ending while
 * the rest of the run went on (more than END_SLACK_MS before the last record of all), is drawn as
 * a crash (kill -9 and a clean stop by hand look the same in a journal); the others lived to the
 * end of the recording.
 */
import type { Effect, Input, Message } from "../protocol/index.js";
import type { ReplayCode } from "../replay/code.js";
import type { NodeJournal } from "../replay/reader.js";
import { describeDivergence, describeUnmatchedReceipt, describeViolation, replay, type ReplayedStep } from "../replay/replay.js";
import { DEFAULT_DETAIL_BUDGET_BYTES, DEFAULT_STATE_VISITS_MAX } from "./capture.js";
import { markDelayed, ViewBuilder, type ViewRun } from "./model.js";
import { StateTracker } from "./state-diff.js";

/** A journal that ends this long before the run's last record ended early: a crash (as `flint replay --to-scenario` reads it). */
export const END_SLACK_MS = 1_000;

export interface JournalViewOptions {
  /** Where the run came from, shown in the page's header. */
  source: string;
  title: string;
  detailBudgetBytes?: number;
  stateVisitsMax?: number;
  /** The pids of journals left out because they were empty (their messages that arrived are drawn as injected). */
  pidsLeftOut?: ReadonlySet<number>;
}

const startOf = (j: NodeJournal): number => j.header.initNow ?? j.records[0]?.t ?? 0;
const endOf = (j: NodeJournal): number => j.records.at(-1)?.t ?? startOf(j);
/** An address without its scheme: `flint://127.0.0.1:7077` -> `127.0.0.1:7077`. */
const bare = (address: string): string => address.replace(/^flint:\/\//, "");
const hostOf = (address: string): string => bare(address).replace(/:.*$/, "");

/** How an executor process ended, as its worker saw it: its exit code, and whether the worker had asked it to stop. */
interface ExecutorExit {
  exitCode: number;
  killedByWorker: boolean;
}

const executorKey = (appId: unknown, execId: unknown): string => `${String(appId)}/${String(execId)}`;

/** Every executor exit the workers' journals record (`processExited`), by app and executor number. */
function executorExits(journals: readonly NodeJournal[]): Map<string, ExecutorExit> {
  const exits = new Map<string, ExecutorExit>();
  for (const w of journals) {
    if (w.role !== "worker") continue;
    const killed = new Set<string>();
    for (const r of w.records) {
      for (const e of r.e as Effect[])
        if (e.type === "kill" && e.process.kind === "executor") killed.add(executorKey(e.process.appId, e.process.execId));
      const input = r.i as Input;
      if (input.type !== "processExited" || input.process.kind !== "executor") continue;
      const key = executorKey(input.process.appId, input.process.execId);
      exits.set(key, { exitCode: input.exitCode, killedByWorker: killed.has(key) });
    }
  }
  return exits;
}

/**
 * How a journal's life ended: "exit N" (its last step exited, or its worker stopped it), "crash"
 * (an executor that died without its worker asking; a node restarted on its address or whose
 * journal ended while the run went on), or "" (it lived to the end of the recording).
 */
function endOfLife(j: NodeJournal, restarted: boolean, runEndMs: number, exits: Map<string, ExecutorExit>): string {
  const lastEffects = (j.records.at(-1)?.e ?? j.header.initEffects ?? []) as Effect[];
  const exit = lastEffects.find((e) => e.type === "exit");
  if (exit !== undefined && exit.type === "exit") return `exit ${exit.code}`;
  if (j.role === "executor") {
    const config = j.header.config as { appId?: unknown; execId?: unknown } | null;
    const seen = config === null ? undefined : exits.get(executorKey(config.appId, config.execId));
    if (seen !== undefined) return seen.killedByWorker ? `exit ${seen.exitCode}` : "crash";
  }
  return restarted || endOf(j) < runEndMs - END_SLACK_MS ? "crash" : "";
}

interface SentMessage {
  index: number;
  delivered: boolean;
}

/** Replays the journals with `code` and returns the view of the run. */
export function viewOfJournals(journals: readonly NodeJournal[], code: ReplayCode, options: JournalViewOptions): ViewRun {
  const b = new ViewBuilder(options.title, options.source);
  const v = b.run;
  v.clock = "real";
  const budget = options.detailBudgetBytes ?? DEFAULT_DETAIL_BUDGET_BYTES;
  const visitsMax = options.stateVisitsMax ?? DEFAULT_STATE_VISITS_MAX;
  let detail = true;
  let states = true;
  StateTracker.visits = 0;
  const t0 = Math.min(...journals.map(startOf));
  const runEndMs = Math.max(...journals.map(endOf));
  const roleOf = new Map(journals.map((j) => [j.node, j.role]));
  const laneOf = (address: string): number => {
    const role = roleOf.get(address);
    return role === undefined
      ? b.laneOf(bare(address), "other", hostOf(address))
      : b.laneOf(`${role} ${bare(address)}`, role, hostOf(address));
  };
  const trackers = new Map<NodeJournal, StateTracker>();
  const lifeOf = new Map<NodeJournal, number>();
  const sent = new Map<Message, SentMessage>();
  /** The row of each replayed step, in replay's order (a violation names its step by this index). */
  const rowOfStep: number[] = [];
  let lastTimeMs = 0;

  const noteDelivery = (input: Extract<Input, { type: "message" }>, row: number, lane: number): void => {
    const m = sent.get(input.message);
    if (m === undefined) {
      // No send was recorded for it: a client without a journal (flint submit), or a killed process's lost last records.
      b.addMessage(-1, row, "injected", laneOf(input.from), lane, input.message.type);
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

  const onStep = (s: ReplayedStep): void => {
    const lane = laneOf(s.journal.node);
    const row = b.rows;
    rowOfStep.push(row);
    if (detail && b.detailBytes > budget) {
      detail = false;
      const note = `inputs and effects kept for the first ${row} steps only (the detail budget, ${Math.round(budget / 1e6)} MB, ran out; --detail-mb raises it)`;
      v.statesNote = v.statesNote === null ? `states, ${note}` : `${v.statesNote}; ${note}`;
    }
    if (states && detail && StateTracker.visits > visitsMax) {
      states = false;
      v.statesNote = `states kept for the first ${row} steps only (comparing big states step by step hit its limit)`;
    }
    let tracker = trackers.get(s.journal);
    if (tracker === undefined) {
      tracker = new StateTracker();
      trackers.set(s.journal, tracker);
    }
    const changes = states && detail ? tracker.changes(s.state) : null;
    // Rows go down in time on the time axis: a step whose clock reads earlier than the one before (another machine's clock) is drawn level with it.
    lastTimeMs = Math.max(lastTimeMs, s.timeMs - t0);
    const h = s.journal.header;
    // A journal whose older segments were rotated away starts from its oldest kept segment's snapshot, not from init.
    const start =
      s.input === null && h.segment > 0
        ? {
            summary: `snapshot (journal segment ${h.segment}, before step ${h.firstStep})`,
            input: { type: "snapshot", segment: h.segment, firstStep: h.firstStep },
          }
        : undefined;
    b.addStep(row, lastTimeMs, lane, s.input, s.effects, changes, detail, start);
    if (!lifeOf.has(s.journal)) {
      lifeOf.set(s.journal, v.lives.length);
      v.lives.push({ lane, fromRow: row, toRow: -1, endedBy: "" });
    }
    v.lives[lifeOf.get(s.journal)!]!.toRow = row;
    const input = s.input;
    if (input !== null && input.type === "message") noteDelivery(input, row, lane);
    if (input !== null && (input.type === "leaderElected" || input.type === "leadershipRevoked"))
      v.leaders.push({ row, lane, what: input.type === "leaderElected" ? "elected" : "revoked" });
    for (const e of s.effects) {
      if (e.type !== "send") continue;
      sent.set(e.message, { index: v.msgSend.length, delivered: false });
      b.addMessage(row, -1, "lost", lane, laneOf(e.to), e.message.type);
    }
    if (!detail || !states) tracker.reset();
  };

  const result = replay(journals, code, {
    onStep,
    pastViolation: true,
    ...(options.pidsLeftOut !== undefined ? { pidsLeftOut: options.pidsLeftOut } : {}),
  });

  // Lives: each journal is one; a later journal on the same address is a restart.
  const byStart = [...journals].sort((a, c) => startOf(a) - startOf(c) || a.pid - c.pid);
  const exits = executorExits(journals);
  for (const [j, index] of lifeOf) {
    const restarted = byStart.slice(byStart.indexOf(j) + 1).some((o) => o.node === j.node);
    const endedBy = endOfLife(j, restarted, runEndMs, exits);
    const life = v.lives[index]!;
    life.endedBy = endedBy;
    if (endedBy === "") life.toRow = -1;
  }
  const last = Math.max(0, v.step.length - 1);
  const reasons: string[] = [];
  for (const x of result.violations) {
    const row = x.step >= 0 && x.step < rowOfStep.length ? rowOfStep[x.step]! : last;
    v.violations.push({
      row,
      lane: roleOf.has(x.node) ? laneOf(x.node) : -1,
      check: x.check,
      detail: x.detail,
      weakness: x.weakness ?? null,
    });
    reasons.push(describeViolation(x));
  }
  if (result.divergence !== null) {
    // The step that differs was not drawn (replay stops before it): marked at the run's end, on its node.
    const d = result.divergence;
    v.violations.push({ row: last, lane: laneOf(d.node), check: "replay", detail: describeDivergence(d), weakness: null });
    reasons.push(describeDivergence(d));
  }
  if (result.unrecordedSends > 0)
    reasons.push(
      `${result.unrecordedSends} messages arrived whose sending step was lost with a killed process's last journal records (drawn as injected)`,
    );
  if (result.sendsInDeletedSegments > 0)
    reasons.push(
      `${result.sendsInDeletedSegments} messages arrived whose sending step was in a deleted journal segment (drawn as injected)`,
    );
  for (const u of result.unmatchedReceipts.slice(0, 10)) reasons.push(describeUnmatchedReceipt(u));
  if (result.unmatchedReceipts.length > 10)
    reasons.push(`... and ${result.unmatchedReceipts.length - 10} more received messages that name no recorded send`);
  const ok = result.divergence === null && result.violations.length === 0 && result.unmatchedReceipts.length === 0;
  v.verdict = {
    ok,
    reasons: ok
      ? [`${result.steps} steps of ${result.nodes} journals replayed: every effect as recorded, no invariant broken`, ...reasons]
      : reasons,
  };
  markDelayed(v);
  return v;
}
