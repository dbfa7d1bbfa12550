/** The submission client role: asks every master, retries the standbys, takes the leader's acceptance. */
import { describe, expect, it } from "vitest";
import { submissionClient, type SubmissionClientState } from "../../../src/protocol/client/index.js";
import { resolveConfig } from "../../../src/protocol/config.js";
import type { Address, DriverId } from "../../../src/protocol/ids.js";
import type { Effect, Input, Notification } from "../../../src/protocol/io.js";
import type { DriverDescription } from "../../../src/protocol/messages.js";
import { notAliveReply } from "../../../src/protocol/not-alive.js";

const M1 = "m1:7077" as Address;
const M2 = "m2:7077" as Address;
const config = resolveConfig({ askTimeoutMs: 60_000, submitRetryIntervalMs: 2_000 });
const desc: DriverDescription = { cores: 1, memoryMb: 256, supervise: false, command: { app: "x" } };

function start(masters: Address[] = [M1, M2]): SubmissionClientState {
  return submissionClient.init({ masterAddresses: masters, protocol: config }, { now: 0 }).state;
}
const step = (s: SubmissionClientState, input: Input): Effect[] => submissionClient.step(s, input, { now: 0 });
const submitCmd: Input = { type: "command", command: { kind: "submitDriver", desc } };
const sentTo = (fx: Effect[]): Address[] =>
  fx.flatMap((e) => (e.type === "send" && e.message.type === "RequestSubmitDriver" ? [e.to] : []));
const notes = (fx: Effect[]): Notification[] => fx.flatMap((e) => (e.type === "notify" ? [e.notification] : []));
const answer = (from: Address, success: boolean, message: string, driverId?: string): Input => ({
  type: "message",
  from,
  message: {
    type: "SubmitDriverResponse",
    masterAddress: from,
    success,
    message,
    ...(driverId !== undefined ? { driverId: driverId as DriverId } : {}),
  },
});
const standby = (from: Address) => answer(from, false, notAliveReply("STANDBY", "accept driver submissions"));

describe("submission client", () => {
  it("asks every master, and the leader's acceptance settles it even when the standby answers first", () => {
    const s = start();
    const fx = step(s, submitCmd);
    expect(sentTo(fx)).toEqual([M1, M2]);
    expect(fx).toContainEqual({ type: "setTimer", key: "submitDeadline:0", afterMs: 60_000 });
    const fx2 = step(s, standby(M1));
    expect(notes(fx2)).toEqual([]);
    expect(fx2).toContainEqual({ type: "setTimer", key: "submitRetry:0", afterMs: 2_000 });
    const fx3 = step(s, answer(M2, true, "Driver successfully submitted as driver-1", "driver-1"));
    expect(notes(fx3)).toEqual([
      { kind: "driverSubmitted", submission: 0, driverId: "driver-1", master: M2, message: "Driver successfully submitted as driver-1" },
    ]);
    expect(fx3).toContainEqual({ type: "cancelTimer", key: "submitDeadline:0" });
    // A late retry timer asks no one again.
    expect(sentTo(step(s, { type: "timer", key: "submitRetry:0" }))).toEqual([]);
  });

  it("a master that is not ALIVE is asked again after the retry interval; one that has not answered is not", () => {
    const s = start();
    step(s, submitCmd);
    step(s, standby(M1));
    expect(sentTo(step(s, { type: "timer", key: "submitRetry:0" }))).toEqual([M1]);
    // The recovered leader accepts the second ask.
    const fx = step(s, answer(M1, true, "ok", "driver-2"));
    expect(notes(fx)).toMatchObject([{ kind: "driverSubmitted", driverId: "driver-2", master: M1 }]);
  });

  it("a leader's refusal fails the submission with its message", () => {
    const s = start([M1]);
    step(s, submitCmd);
    expect(notes(step(s, answer(M1, false, "too big")))).toEqual([
      { kind: "driverSubmissionFailed", submission: 0, reason: `the master ${M1} refused the driver: too big` },
    ]);
  });

  it("every master lost before answering: 'no master is available'; no answer by the deadline: timed out", () => {
    const s = start();
    step(s, submitCmd);
    expect(notes(step(s, { type: "peerDisconnected", peer: M1 }))).toEqual([]);
    expect(notes(step(s, { type: "peerDisconnected", peer: M2 }))).toEqual([
      { kind: "driverSubmissionFailed", submission: 0, reason: "no master is available" },
    ]);
    const t = start();
    step(t, submitCmd);
    expect(notes(step(t, { type: "timer", key: "submitDeadline:0" }))).toEqual([
      { kind: "driverSubmissionFailed", submission: 0, reason: "no master accepted the driver within 60000 ms" },
    ]);
  });

  it("answers are matched to submissions in ask order per master; an unasked answer or a stranger's is ignored", () => {
    const s = start([M1]);
    step(s, submitCmd);
    step(s, submitCmd);
    expect(notes(step(s, answer(M1, true, "a", "driver-a")))).toMatchObject([{ submission: 0, driverId: "driver-a" }]);
    expect(notes(step(s, answer(M1, true, "b", "driver-b")))).toMatchObject([{ submission: 1, driverId: "driver-b" }]);
    expect(step(s, answer(M1, true, "c", "driver-c"))).toEqual([
      expect.objectContaining({ type: "log", fields: expect.objectContaining({ why: "unasked-submit-response" }) }),
    ]);
    expect(step(s, answer("intruder:1" as Address, true, "d", "driver-d"))).toEqual([
      expect.objectContaining({ type: "log", fields: expect.objectContaining({ why: "not-from-known-master" }) }),
    ]);
  });
});
