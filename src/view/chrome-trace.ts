/**
 * A run as Chrome trace-event JSON (https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU),
 * which Perfetto and chrome://tracing open: one track (thread) per node, a slice per step, and a
 * flow arrow per delivered message from its send's slice to its delivery's. Steps take no virtual
 * time, so each gets 1 us, placed after the steps before it in the same virtual ms (the order is kept).
 */
import { MESSAGE_FATES, type ViewRun } from "./model.js";

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  id?: number;
  cat?: string;
  bp?: string;
  args?: Record<string, unknown>;
}

export function chromeTrace(v: ViewRun): { traceEvents: TraceEvent[]; displayTimeUnit: string; otherData: Record<string, unknown> } {
  const pid = 1;
  const events: TraceEvent[] = [{ name: "process_name", ph: "M", pid, tid: 0, args: { name: `flint ${v.title}` } }];
  v.lanes.forEach((l, i) => {
    events.push({ name: "thread_name", ph: "M", pid, tid: i + 1, args: { name: `${l.name} (${l.kind})` } });
    events.push({ name: "thread_sort_index", ph: "M", pid, tid: i + 1, args: { sort_index: i } });
  });
  // Microseconds: the virtual ms, plus the step's place among the steps of that ms.
  const ts = new Float64Array(v.step.length);
  let lastMs = -1;
  let k = 0;
  for (let r = 0; r < v.step.length; r++) {
    const ms = v.timeMs[r]!;
    k = ms === lastMs ? k + 1 : 0;
    lastMs = ms;
    ts[r] = ms * 1000 + Math.min(k, 999);
  }
  for (let r = 0; r < v.step.length; r++) {
    const effects: string[] = [];
    for (let e = v.effectStart[r]!; e < v.effectStart[r + 1]!; e++) effects.push(v.strings[v.effectSummary[e]!]!);
    events.push({
      name: v.strings[v.summary[r]!]!,
      cat: "step",
      ph: "X",
      pid,
      tid: v.lane[r]! + 1,
      ts: ts[r]!,
      dur: 1,
      args: { step: v.step[r], effects },
    });
  }
  for (let m = 0; m < v.msgSend.length; m++) {
    const s = v.msgSend[m]!;
    const d = v.msgRecv[m]!;
    if (s < 0 || d < 0) continue;
    const name = `${v.strings[v.msgType[m]!]} (${MESSAGE_FATES[v.msgFate[m]!]})`;
    events.push({ name, cat: "message", ph: "s", id: m + 1, pid, tid: v.msgFrom[m]! + 1, ts: ts[s]! });
    events.push({ name, cat: "message", ph: "f", bp: "e", id: m + 1, pid, tid: v.msgTo[m]! + 1, ts: ts[d]! });
  }
  for (const x of v.violations) {
    const r = Math.max(0, x.row);
    events.push({
      name: `${x.weakness ? "weakness" : "VIOLATION"} ${x.check}`,
      ph: "i",
      pid,
      tid: x.lane + 1,
      ts: ts[r] ?? 0,
      args: { detail: x.detail },
    });
  }
  for (const f of v.faults) events.push({ name: f.text, ph: "i", pid, tid: f.lane + 1, ts: ts[f.row] ?? 0 });
  return { traceEvents: events, displayTimeUnit: "ms", otherData: { source: v.source, seed: v.seed, traceHash: v.traceHash } };
}
