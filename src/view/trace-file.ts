/**
 * A view of a `flint sim --trace` file (JSON lines: step, t, node, input, effects). The file holds
 * steps only: messages are matched send-to-delivery by order on each pair of nodes (the network is
 * FIFO per pair, like TCP), so a send never matched is drawn lost; duplicates, faults, violations
 * and states are not in the file (`flint view SCENARIO --seed N` re-runs the scenario for them).
 */
import { readFileSync } from "node:fs";
import type { Effect, Input } from "../protocol/index.js";
import { markDelayed, ViewBuilder, type ViewRun } from "./model.js";

export class TraceFileError extends Error {}

interface PendingSend {
  row: number;
  type: string;
  index: number;
}

export function viewOfTraceFile(file: string): ViewRun {
  const text = readFileSync(file, "utf8");
  const b = new ViewBuilder(`trace ${file}`, file);
  const v = b.run;
  v.statesNote = "a trace file holds no states: `flint view SCENARIO --seed N` re-runs the scenario and shows them";
  const pending = new Map<string, PendingSend[]>();
  const openLife = new Map<number, number>();
  let lineNo = 0;
  for (const line of text.split("\n")) {
    lineNo++;
    if (line.trim() === "") continue;
    let r: { step?: unknown; t?: unknown; node?: unknown; input?: unknown; effects?: unknown };
    try {
      r = JSON.parse(line) as typeof r;
    } catch (e) {
      throw new TraceFileError(`${file}:${lineNo}: not a JSON line: ${(e as Error).message}`);
    }
    if (
      typeof r.step !== "number" ||
      typeof r.t !== "number" ||
      typeof r.node !== "string" ||
      typeof r.input !== "object" ||
      r.input === null ||
      !Array.isArray(r.effects)
    ) {
      throw new TraceFileError(
        `${file}:${lineNo}: not a trace record (want step, t, node, input, effects as \`flint sim --trace\` writes them)`,
      );
    }
    const input = (r.input as { type?: unknown }).type === "init" ? null : (r.input as Input);
    const effects = r.effects as Effect[];
    const lane = b.laneOf(r.node);
    const row = b.addStep(r.step, r.t, lane, input, effects, null, true);
    if (input === null && openLife.has(lane)) {
      const life = v.lives[openLife.get(lane)!]!;
      life.toRow = Math.max(life.fromRow, row - 1);
      life.endedBy = "crash";
      openLife.delete(lane);
    }
    if (!openLife.has(lane)) {
      openLife.set(lane, v.lives.length);
      v.lives.push({ lane, fromRow: row, toRow: -1, endedBy: "" });
    }
    if (input !== null && input.type === "message") {
      const queue = pending.get(`${input.from}\u0000${r.node}`);
      const at = queue === undefined ? -1 : queue.findIndex((p) => p.type === input.message.type);
      if (queue === undefined || at < 0) {
        b.addMessage(-1, row, "injected", b.laneOf(input.from), lane, input.message.type);
      } else {
        // Sends before the matched one on this pair never arrived: lost (FIFO).
        const [matched] = queue.splice(0, at + 1).slice(-1);
        v.msgRecv[matched!.index] = row;
        v.msgFate[matched!.index] = 0;
      }
    }
    for (const e of effects) {
      if (e.type === "exit") {
        const life = openLife.get(lane);
        if (life !== undefined) {
          v.lives[life]!.toRow = row;
          v.lives[life]!.endedBy = `exit ${e.code}`;
          openLife.delete(lane);
        }
      }
      if (e.type !== "send") continue;
      const key = `${r.node}\u0000${e.to}`;
      let queue = pending.get(key);
      if (queue === undefined) pending.set(key, (queue = []));
      queue.push({ row, type: e.message.type, index: v.msgSend.length });
      b.addMessage(row, -1, "lost", lane, b.laneOf(e.to), e.message.type);
    }
  }
  if (v.step.length === 0) throw new TraceFileError(`${file}: no trace records`);
  markDelayed(v);
  return v;
}
