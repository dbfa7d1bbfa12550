/**
 * The merge of `flint replay` pairs each received message with its send by the id the message
 * carried on the wire (the receiver's record `m`: the sender's pid, step and effect index), not by
 * its content: two identical messages are told apart, a receipt waits for exactly its sending step,
 * a sender's lost tail is counted, and an id that names no such send is reported.
 * Toy roles (a sender that sends one Heartbeat per timer, a receiver that takes them) keep the
 * journals small enough to write by hand; the checks are off (they need the real roles' states).
 */
import { describe, expect, it } from "vitest";
import type { Address } from "../../src/protocol/ids.js";
import type { Effect, Input, Role } from "../../src/protocol/io.js";
import type { Message } from "../../src/protocol/messages.js";
import { PROTOCOL_VERSION } from "../../src/real/handshake.js";
import type { JournalRecord } from "../../src/real/journal/format.js";
import type { ReplayCode } from "../../src/replay/code.js";
import type { NodeJournal } from "../../src/replay/reader.js";
import { describeUnmatchedReceipt, replay, type ReplayedStep } from "../../src/replay/replay.js";

const A = "flint://127.0.0.1:1001" as Address;
const B = "flint://127.0.0.1:1002" as Address;
const BEAT = { type: "Heartbeat", workerId: "worker-1", worker: A } as unknown as Message;

/** Sends BEAT to B on every timer. */
const sender: Role<{ sent: number }, unknown> = {
  name: "toy-sender",
  init: () => ({ state: { sent: 0 }, effects: [] }),
  step: (state, input) => {
    if (input.type !== "timer") return [];
    state.sent++;
    return [{ type: "send", to: B, message: structuredClone(BEAT) }];
  },
};
/** Takes messages, does nothing. */
const receiver: Role<{ got: number }, unknown> = {
  name: "toy-receiver",
  init: () => ({ state: { got: 0 }, effects: [] }),
  step: (state, input) => {
    if (input.type === "message") state.got++;
    return [];
  },
};
const code = { dist: "test", roles: { driver: sender, worker: receiver }, protocolVersion: PROTOCOL_VERSION } as unknown as ReplayCode;

function journal(role: string, node: Address, pid: number, records: Array<Omit<JournalRecord, "s">>): NodeJournal {
  const file = `/journals/${role}-${pid}.0.jsonl`;
  return {
    node,
    role,
    pid,
    file,
    header: { flintJournal: 1, protocolVersion: PROTOCOL_VERSION, role, node, pid, segment: 0, config: {}, initNow: 0, initEffects: [] },
    records: records.map((r, i) => ({ s: i + 1, ...r, file })),
  };
}

const send: Effect = { type: "send", to: B, message: BEAT };
/** A sends BEAT in its steps 1 (t=10) and 2 (t=30); B receives one BEAT at `receivedAtMs`, recorded with id `m`. */
function run(m: JournalRecord["m"], receivedAtMs = 40): { steps: ReplayedStep[]; result: ReturnType<typeof replay> } {
  const a = journal("driver", A, 10, [
    { t: 10, i: { type: "timer", key: "beat" }, e: [send] },
    { t: 30, i: { type: "timer", key: "beat" }, e: [send] },
  ]);
  const b = journal("worker", B, 20, [
    { t: receivedAtMs, i: { type: "message", from: A, message: BEAT }, e: [], ...(m === undefined ? {} : { m }) },
  ]);
  const steps: ReplayedStep[] = [];
  const result = replay([a, b], code, { checks: false, onStep: (s) => steps.push(s) });
  return { steps, result };
}

const sentAt = (steps: ReplayedStep[], node: Address, step: number): unknown =>
  (steps.find((s) => s.journal.node === node && s.nodeStep === step)!.effects[0] as Extract<Effect, { type: "send" }>).message;
const received = (steps: ReplayedStep[]): unknown =>
  (steps.find((s) => s.journal.node === B && s.nodeStep === 1)!.input as Extract<Input, { type: "message" }>).message;

describe("replay: sends and receipts are paired by the id the message carried", () => {
  it("of two identical messages, the receipt takes the one its id names (the first was lost with its connection)", () => {
    const { steps, result } = run([10, 2, 0]);
    expect(result.divergence).toBeNull();
    expect(result.unmatchedReceipts).toEqual([]);
    expect(result.unrecordedSends).toBe(0);
    expect(received(steps)).toBe(sentAt(steps, A, 2));
    expect(received(steps)).not.toBe(sentAt(steps, A, 1));
    // Without an id (an older journal) the content pairing takes the first one on the connection.
    const old = run(undefined);
    expect(received(old.steps)).toBe(sentAt(old.steps, A, 1));
  });

  it("a receipt waits for exactly its sending step, even when the receiver's clock reads earlier", () => {
    // B's clock says 20 ms, before A's step 2 (30 ms): the first BEAT (step 1, 10 ms) would do by content, the id says step 2.
    const { steps } = run([10, 2, 0], 20);
    const order = steps.filter((s) => s.nodeStep > 0).map((s) => `${s.journal.node === A ? "A" : "B"}${s.nodeStep}`);
    expect(order).toEqual(["A1", "A2", "B1"]);
    expect(received(steps)).toBe(sentAt(steps, A, 2));
  });

  it("an id past the sender's last record is its lost tail (kill -9): counted, not reported", () => {
    const { result } = run([10, 3, 0]);
    expect(result.unrecordedSends).toBe(1);
    expect(result.unmatchedReceipts).toEqual([]);
  });

  it("an id that names no send of that message to the receiver is reported, saying what the sender's journal holds there", () => {
    const cases: Array<[JournalRecord["m"], RegExp]> = [
      [[10, 1, 1], /step 1 of flint:\/\/127\.0\.0\.1:1001 \(pid 10, \/journals\/driver-10\.0\.jsonl\) has 1 effects, none at index 1/],
      [[11, 2, 0], /no journal of process 11 at flint:\/\/127\.0\.0\.1:1001 \(its journals: pid 10\)/],
      [[10, 0, 0], /has 0 effects, none at index 0/],
    ];
    for (const [m, why] of cases) {
      const { result } = run(m);
      expect(result.divergence).toBeNull();
      expect(result.unmatchedReceipts, JSON.stringify(m)).toHaveLength(1);
      const u = result.unmatchedReceipts[0]!;
      expect(u).toMatchObject({ node: B, role: "worker", step: 1, from: A, type: "Heartbeat", id: m });
      expect(u.why).toMatch(why);
      expect(describeUnmatchedReceipt(u)).toMatch(
        new RegExp(
          `^worker flint://127.0.0.1:1002: step 1 received Heartbeat from flint://127.0.0.1:1001 with id ${m!.join("/")} \\(pid/step/effect\\), in /journals/worker-20.0.jsonl, but `,
        ),
      );
    }
  });

  it("an id of a process whose journal was left out (empty: killed before its first write) is counted when the viewer says so", () => {
    const a = journal("driver", A, 10, []);
    const b = journal("worker", B, 20, [{ t: 40, i: { type: "message", from: A, message: BEAT }, e: [], m: [11, 1, 0] }]);
    expect(replay([a, b], code, { checks: false }).unmatchedReceipts).toHaveLength(1);
    const tolerant = replay([a, b], code, { checks: false, pidsLeftOut: new Set([11]) });
    expect(tolerant.unmatchedReceipts).toEqual([]);
    expect(tolerant.unrecordedSends).toBe(1);
  });

  it("a receipt whose id names a send of other content, or a send taken already, is reported", () => {
    const a = journal("driver", A, 10, [{ t: 10, i: { type: "timer", key: "beat" }, e: [send] }]);
    const other = { ...BEAT, workerId: "worker-2" } as Message;
    const b = journal("worker", B, 20, [
      { t: 20, i: { type: "message", from: A, message: other }, e: [], m: [10, 1, 0] },
      { t: 21, i: { type: "message", from: A, message: BEAT }, e: [], m: [10, 1, 0] },
      { t: 22, i: { type: "message", from: A, message: BEAT }, e: [], m: [10, 1, 0] },
    ]);
    const result = replay([a, b], code, { checks: false });
    expect(result.unmatchedReceipts.map((u) => [u.step, u.why.replace(/^.*? of step 1 of .*?\) /, "")])).toEqual([
      [1, expect.stringMatching(/^sent other content: \{"type":"Heartbeat","workerId":"worker-1"/)],
      [3, "was taken by an earlier receipt with the same id"],
    ]);
  });
});
