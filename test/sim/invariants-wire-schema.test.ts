/**
 * N3: the simulator judges every sent message by the wire schemas as the real codec does; it
 * agrees with the codec's own verdict and names the message type and the field path.
 */
import { describe, expect, it } from "vitest";
import type { Effect, Message } from "../../src/protocol/index.js";
import { validateMessage } from "../../src/real/codec.js";
import { offWireSchema } from "../../src/sim/invariants/wire-schema.js";
// @ts-expect-error: a plain JavaScript module of the benchmarks, without types
import { samples } from "../../bench/codec-samples.js";

const sent = (message: unknown): Effect[] => [{ type: "send", to: "node-1" as never, message: message as Message }];
const SAMPLES = Object.values(samples as Record<string, Record<string, unknown>>);

describe("N3: messages match their wire schema", () => {
  it("N3: well-formed messages pass, as they pass the real codec", () => {
    expect(SAMPLES.length).toBeGreaterThan(3);
    for (const m of SAMPLES) {
      expect(validateMessage(m).ok, JSON.stringify(m).slice(0, 80)).toBe(true);
      expect(offWireSchema(sent(m))).toBeNull();
    }
  });

  it("N3: a missing, mistyped or extra field, a bad id, or no declared type fails, as the real codec refuses it, naming the path", () => {
    const launch = (samples as Record<string, Record<string, unknown>>)["LaunchTask"]!;
    const task = launch["task"] as Record<string, unknown>;
    const broken: Array<[unknown, string]> = [
      [{ ...launch, task: { ...task, cpus: undefined } }, "LaunchTask to node-1: task.cpus"],
      [{ ...launch, task: { ...task, index: "4" } }, "LaunchTask to node-1: task.index"],
      [{ ...launch, extra: 1 }, "LaunchTask to node-1: extra"],
      [{ ...launch, task: { ...task, executorId: "../x" } }, "LaunchTask to node-1: task.executorId"],
      [{}, "a message to node-1 has no declared type"],
      [{ ...launch, type: "" }, "a message to node-1 has no declared type"],
    ];
    for (const [m, start] of broken) {
      expect(validateMessage(m).ok, JSON.stringify(m).slice(0, 80)).toBe(false);
      expect(offWireSchema(sent(m))).toMatch(new RegExp(`^${start.replace(/[.[\]]/g, "\\$&")}`));
    }
  });

  it("N3: only sends are judged, and the first bad one of a step is named", () => {
    const good = SAMPLES[0]!;
    const effects: Effect[] = [
      { type: "log", level: "info", event: "masterStarted", fields: {} },
      ...sent(good),
      ...sent({ type: "ExecutorHeartbeat" }),
    ];
    expect(offWireSchema(effects)).toMatch(/^ExecutorHeartbeat to node-1: executorId/);
    expect(offWireSchema(effects.slice(0, 2))).toBeNull();
  });
});
