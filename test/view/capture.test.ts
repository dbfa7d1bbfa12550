/**
 * A captured run's messages match the world's own counts: every delivery (duplicates included) is
 * an arrow that ends at a step whose input is that message, and a duplicated or delayed message is
 * drawn as such.
 */
import { describe, expect, it } from "vitest";
import { captureRun } from "../../src/view/capture.js";
import { MESSAGE_FATES } from "../../src/view/model.js";
import { loadScenario } from "../sim/helpers.js";

describe("capture", () => {
  it("capture: heartbeats duplicated and status updates delayed by a fault are drawn as duplicates and delayed; deliveries match the world's count", () => {
    const base = loadScenario("partition-heal.json");
    const scenario = {
      ...base,
      faults: [
        { atMs: 2000, kind: "messages" as const, messageType: "Heartbeat", duplicateProbability: 1, durationMs: 20_000 },
        { atMs: 2000, kind: "messages" as const, messageType: "StatusUpdate", delayMs: 3000, durationMs: 20_000 },
      ],
    };
    const { view, result } = captureRun(scenario, { source: "test" });
    const fate = (name: (typeof MESSAGE_FATES)[number]) => MESSAGE_FATES.indexOf(name);
    const delivered = view.msgRecv.filter((r) => r >= 0).length;
    expect(delivered).toBe(result.counts.messagesDelivered);
    const dups = view.msgFate.flatMap((f, i) => (f === fate("duplicate") ? [i] : []));
    expect(dups.length).toBeGreaterThan(0);
    for (const i of dups) expect(view.strings[view.msgType[i]!]).toBe("Heartbeat");
    const delayed = view.msgFate.flatMap((f, i) => (f === fate("delayed") ? [i] : []));
    expect(delayed.map((i) => view.strings[view.msgType[i]!])).toContain("StatusUpdate");
    // Each arrow ends at a step whose input is a message of its type from its sender.
    for (let i = 0; i < view.msgSend.length; i++) {
      const r = view.msgRecv[i]!;
      if (r < 0) continue;
      const input = JSON.parse(view.strings[view.input[r]!]!);
      expect(input).toMatchObject({
        type: "message",
        from: view.lanes[view.msgFrom[i]!]!.name,
        message: { type: view.strings[view.msgType[i]!] },
      });
      expect(view.lane[r]).toBe(view.msgTo[i]);
    }
  });
});

describe("capture limits", () => {
  it("capture: past the state-comparison limit steps keep no states, and the note says from which step; past the detail budget, no inputs either", () => {
    const scenario = loadScenario("master-failover.json");
    const { view } = captureRun(scenario, { source: "test", stateVisitsMax: 20_000, detailBudgetBytes: 400_000 });
    const firstWithoutState = view.changes.indexOf(-1);
    const firstWithoutInput = view.input.indexOf(-1);
    expect(firstWithoutState).toBeGreaterThan(0);
    expect(firstWithoutInput).toBeGreaterThan(firstWithoutState);
    expect(view.changes.slice(firstWithoutState).every((c) => c === -1)).toBe(true);
    expect(view.statesNote).toContain(`states kept for the first ${firstWithoutState} steps only`);
    expect(view.statesNote).toContain(`inputs and effects kept for the first ${firstWithoutInput} steps only`);
  });
});
