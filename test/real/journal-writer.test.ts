/**
 * The recorder's writer encodes each record straight into its output buffer (src/real/journal):
 * every line it writes must be exactly the JSON the format describes, whatever the strings
 * (non-ASCII, longer than the buffer) and numbers (past 2^31, the clock's 13 digits, fractions,
 * negatives) in it, and in the order the steps ran.
 */
import { mkdirSync, readFileSync, readdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Address } from "../../src/protocol/ids.js";
import type { Effect, Input } from "../../src/protocol/io.js";
import type { MessageId } from "../../src/real/framing.js";
import { segmentFileName } from "../../src/real/journal/format.js";
import { openJournal } from "../../src/real/journal/writer.js";
import { fileTempDir } from "../hygiene/tempDir.js";

const tmp = fileTempDir("flint-journal-writer-");
const ME = "flint://127.0.0.1:7077" as Address;
const PEER = "flint://127.0.0.1:40123" as Address;

interface Step {
  seq: number;
  now: number;
  input: Input;
  /** The message's JSON as it came over the wire, for a received message. */
  wire?: string;
  effects: Effect[];
  id?: MessageId;
}

/** The line the format describes for a step, made the plain way. */
function expectedLine(step: Step): string {
  const record: Record<string, unknown> = { s: step.seq, t: step.now, i: step.input, e: step.effects };
  if (step.id !== undefined) record.m = [step.id.pid, step.id.step, step.id.index];
  return JSON.stringify(record);
}

/** Records `steps` the way the host does and returns the lines after the header. */
function recordAll(name: string, steps: readonly Step[]): { lines: string[]; encoded: Array<Array<string | undefined>> } {
  const dir = join(tmp, name);
  const journal = openJournal({ dir, role: "master", node: ME, pid: 1, onError: (e) => expect.fail(e.message) });
  journal.init({ k: 1 }, 1_000, [], () => ({}));
  const encoded: Array<Array<string | undefined>> = [];
  for (const step of steps) {
    const sends = new Array<string | undefined>(step.effects.length);
    const inputJson = step.wire === undefined ? JSON.stringify(step.input) : undefined;
    journal.record(step.seq, step.now, step.input, inputJson, step.wire, step.effects, sends, step.id);
    encoded.push(sends);
  }
  journal.close();
  const [file] = readdirSync(dir);
  const lines = readFileSync(join(dir, file!), "utf8").split("\n");
  expect(lines.at(-1)).toBe("");
  return { lines: lines.slice(1, -1), encoded };
}

const message = (text: string, n: number): Input => ({
  type: "message",
  from: PEER,
  message: { type: "Heartbeat", workerId: text as never, workerAddress: PEER, n } as never,
});

describe("the journal writer", () => {
  it("writes each record as the JSON the format describes, sends' messages as the transport sends them", () => {
    const big = "é𝄞\u2028x".repeat(60_000); // past the buffer, and three UTF-8 bytes a unit at most
    const steps: Step[] = [
      { seq: 1, now: 1_796_568_703_639, input: { type: "timer", key: "heartbeat" }, effects: [] },
      {
        seq: 2,
        now: 1_796_568_703_639,
        input: message("wörker-1", 1),
        wire: JSON.stringify((message("wörker-1", 1) as { message: unknown }).message),
        effects: [
          { type: "send", to: PEER, message: { type: "MasterChanged", masterAddress: ME } as never },
          { type: "log", level: "info", event: "worker-registered" as never, fields: { note: "ünïcode ✓", big: 2 ** 40 } },
          { type: "setTimer", key: "t", afterMs: 0.5 },
        ],
        id: { pid: 4_294_967_295, step: 2 ** 31, index: 0 },
      },
      { seq: 3, now: 1_796_568_703_640, input: { type: "timer", key: big }, effects: [{ type: "cancelTimer", key: big }] },
      { seq: 2 ** 31 - 1, now: -5, input: { type: "timer", key: "" }, effects: [], id: { pid: 0, step: 9, index: 10 } },
      { seq: 2 ** 31, now: 1e15 + 7, input: { type: "timer", key: '\n\r"\\' }, effects: [] },
    ];
    const { lines, encoded } = recordAll("cases", steps);
    expect(lines).toEqual(steps.map(expectedLine));
    expect(encoded[1]![0]).toBe(JSON.stringify({ type: "MasterChanged", masterAddress: ME }));
    expect(encoded[1]!.slice(1)).toEqual([undefined, undefined]);
  });

  it("keeps every byte where records of multi-byte text cross the buffer's end", () => {
    const steps: Step[] = Array.from({ length: 3_000 }, (_, k) => ({
      seq: k + 1,
      now: 1_796_568_703_639 + k,
      input: { type: "timer", key: "é𝄞".repeat(1 + (k % 97)) },
      effects: [{ type: "cancelTimer", key: "ü".repeat(k % 13) }],
    }));
    expect(recordAll("crossing", steps).lines).toEqual(steps.map(expectedLine));
  });

  it("matches the plain encoding for any steps (property)", () => {
    const text = fc.string({ unit: "binary", maxLength: 40 });
    const count = fc.oneof(fc.nat(), fc.integer({ min: 2 ** 31 - 3, max: 2 ** 31 + 3 }), fc.maxSafeNat());
    const step = fc.record({
      now: fc.oneof(count, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer()),
      key: text,
      wire: fc.boolean(),
      sends: fc.array(fc.tuple(text, count), { maxLength: 3 }),
      id: fc.option(fc.tuple(count, count, count), { nil: undefined }),
    });
    let run = 0;
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 8 }), (drawn) => {
        const steps: Step[] = drawn.map((d, k) => {
          const input = d.wire ? message(d.key, k) : ({ type: "timer", key: d.key } as Input);
          return {
            seq: k + 1,
            now: d.now,
            input,
            ...(d.wire ? { wire: JSON.stringify((input as { message: unknown }).message) } : {}),
            effects: d.sends.map(
              ([t, n]): Effect => ({
                type: "send",
                to: PEER,
                message: { type: "Heartbeat", workerId: t, workerAddress: PEER, n } as never,
              }),
            ),
            ...(d.id ? { id: { pid: d.id[0], step: d.id[1], index: d.id[2] } } : {}),
          };
        });
        const { lines } = recordAll(`property-${run++}`, steps);
        expect(lines).toEqual(steps.map(expectedLine));
      }),
      { numRuns: 60 },
    );
  });

  it("stops at a write that fails, says so once, and still gives the host its sends' JSON", () => {
    const dir = join(tmp, "full");
    mkdirSync(dir);
    // Every write to /dev/full fails with ENOSPC, as a full disk would.
    symlinkSync("/dev/full", join(dir, segmentFileName("master", ME, 1, 0)));
    const errors: Error[] = [];
    const journal = openJournal({ dir, role: "master", node: ME, pid: 1, onError: (e) => errors.push(e) });
    journal.init({}, 1_000, [], () => ({}));
    expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(["ENOSPC"]);
    const message = { type: "MasterChanged", masterAddress: ME } as never;
    const sends = new Array<string | undefined>(2);
    journal.record(
      1,
      1_001,
      { type: "timer", key: "t" },
      '{"type":"timer","key":"t"}',
      undefined,
      [
        { type: "cancelTimer", key: "t" },
        { type: "send", to: PEER, message },
      ],
      sends,
    );
    expect(sends).toEqual([undefined, JSON.stringify(message)]);
    journal.flush();
    journal.close();
    expect(errors).toHaveLength(1);
  });
});
