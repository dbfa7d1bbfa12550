/**
 * Bad-input fuzz: thousands of generated bad frames thrown at a live listening transport from
 * many connections, while a well-behaved authenticated peer keeps sending. The listener must stay
 * up, close each bad connection with a logged reason, and lose none of the accepted work.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { address, type Address } from "../../src/protocol/ids.js";
import { MESSAGE_TYPES, type MessageType } from "../../src/protocol/messages.js";
import { encodeMessage, MESSAGE_FIELDS } from "../../src/real/codec.js";
import { encodeFrame } from "../../src/real/framing.js";
import { PROTOCOL_VERSION } from "../../src/real/handshake.js";
import { RawPeer, SAMPLE_MESSAGES, closeAll, numberOf, numbered, startNode, waitFor } from "./fixtures.js";

const SEED = 20240605;
const BAD_FRAMES = 2_000;
const LANES = 32;
const MAX_FRAME_BYTES = 1024 * 1024;

/** One attack: bytes sent before any handshake, or after authenticating (with good messages first). */
type Attack = { kind: string; phase: "pre"; bytes: Buffer } | { kind: string; phase: "post"; goodBefore: number; bytes: Buffer };

const header = (length: number): Buffer => {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(length, 0);
  return h;
};
const unparsable = (s: string): boolean => {
  try {
    JSON.parse(s);
    return false;
  } catch {
    return true;
  }
};
const frameJson = (value: unknown): Buffer => encodeFrame(Buffer.from(JSON.stringify(value)));

/** Every (type, field) pair whose sample holds a value, to corrupt it. */
const FIELDS: Array<[MessageType, string]> = MESSAGE_TYPES.flatMap((t) =>
  Object.keys(MESSAGE_FIELDS[t]).filter((f) => (SAMPLE_MESSAGES[t] as unknown as Record<string, unknown>)[f] !== undefined).map((f) => [t, f] as [MessageType, string]),
);
const wrongValue = (v: unknown): unknown => (typeof v === "string" ? 42 : typeof v === "number" ? "1" : typeof v === "boolean" ? "yes" : Array.isArray(v) ? "[]" : 7);

const goodBefore = fc.integer({ min: 0, max: 3 });
const post = (kind: string, bytes: fc.Arbitrary<Buffer>): fc.Arbitrary<Attack> =>
  fc.tuple(bytes, goodBefore).map(([b, g]) => ({ kind, phase: "post" as const, goodBefore: g, bytes: b }));
const pre = (kind: string, bytes: fc.Arbitrary<Buffer>): fc.Arbitrary<Attack> => bytes.map((b) => ({ kind, phase: "pre" as const, bytes: b }));

const attack: fc.Arbitrary<Attack> = fc.oneof(
  pre("random-bytes", fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => Buffer.from(a))),
  pre("oversized-length-pre", fc.integer({ min: 4_097, max: 0xffffffff }).map((n) => Buffer.concat([header(n), Buffer.from("xx")]))),
  pre("message-before-hello", fc.constantFrom(...MESSAGE_TYPES).map((t) => encodeFrame(encodeMessage(SAMPLE_MESSAGES[t])))),
  pre("wrong-version", fc.integer({ min: 2, max: 1_000 }).map((v) => frameJson({ hs: "hello", protocolVersion: PROTOCOL_VERSION + v, nodeAddress: "flint://127.0.0.1:9", nonce: "f".repeat(64), auth: true }))),
  pre("junk-json-pre", fc.jsonValue().map((v) => frameJson(v))),
  pre("empty-frame-pre", fc.constant(header(0))),
  post("oversized-length", fc.integer({ min: MAX_FRAME_BYTES + 1, max: 0xffffffff }).map((n) => Buffer.concat([header(n), Buffer.alloc(16)]))),
  post("random-frame", fc.uint8Array({ minLength: 1, maxLength: 300 }).filter((a) => unparsable(Buffer.from(a).toString())).map((a) => encodeFrame(a))),
  post("malformed-json", fc.string({ maxLength: 60 }).map((s) => `{"type":"Heartbeat"${s}`).filter(unparsable).map((s) => encodeFrame(Buffer.from(s)))),
  post("unknown-type", fc.string({ minLength: 1, maxLength: 40 }).filter((t) => !(MESSAGE_TYPES as readonly string[]).includes(t)).map((t) => frameJson({ type: t, workerId: "w" }))),
  post("not-an-object", fc.oneof(fc.integer(), fc.string(), fc.array(fc.integer()), fc.constant(null)).map((v) => frameJson(v))),
  post(
    "wrong-shape",
    fc.constantFrom(...FIELDS).map(([t, f]) => {
      const m = { ...(SAMPLE_MESSAGES[t] as unknown as Record<string, unknown>) };
      m[f] = wrongValue(m[f]);
      return frameJson(m);
    }),
  ),
  post("missing-field", fc.constantFrom(...FIELDS.filter(([t, f]) => !JSON.stringify(MESSAGE_FIELDS[t][f]).includes("optional"))).map(([t, f]) => {
    const m = { ...(SAMPLE_MESSAGES[t] as unknown as Record<string, unknown>) };
    delete m[f];
    return frameJson(m);
  })),
  post("empty-frame", fc.constant(header(0))),
);

describe("bad-input fuzz against a live transport", () => {
  afterEach(closeAll);

  it(`fuzz: ${BAD_FRAMES} bad frames from many connections: the listener stays up, each bad connection is closed with a logged reason, a good peer loses nothing (seed ${SEED})`, async () => {
    const target = await startNode("target", { handshakeTimeoutMs: 400, maxFrameBytes: MAX_FRAME_BYTES });
    const good = await startNode("good");
    const attacks = fc.sample(attack, { seed: SEED, numRuns: BAD_FRAMES });

    // The good peer sends steadily while the garbage flows.
    let goodSent = 0;
    let attacking = true;
    const goodLoop = (async () => {
      while (attacking || goodSent < 3_000) {
        for (let i = 0; i < 20; i++) good.transport.send(target.address, numbered(goodSent++));
        await new Promise((r) => setTimeout(r, 2));
      }
    })();

    // Raw attackers, LANES at a time; each announces its own address so its good messages can be checked.
    const expectedFrom = new Map<Address, number[]>();
    const results: Array<{ kind: string; localPort: number }> = [];
    let next = 0;
    const lane = async (laneId: number): Promise<void> => {
      while (next < attacks.length) {
        const index = next++;
        const a = attacks[index]!;
        const raw = new RawPeer(target.address);
        await raw.connected;
        const localPort = raw.socket.localPort!;
        if (a.phase === "pre") {
          raw.write(a.bytes);
        } else {
          const announced = address(`flint://127.0.0.1:${20_000 + index}`);
          await raw.handshake(announced);
          const sentGood: number[] = [];
          const good = [];
          for (let g = 0; g < a.goodBefore; g++) {
            sentGood.push(index * 10 + g);
            good.push(encodeFrame(encodeMessage(numbered(index * 10 + g))));
          }
          expectedFrom.set(announced, sentGood);
          raw.write(Buffer.concat([...good, a.bytes])); // good messages and the bad frame in one write
        }
        await raw.waitClosed(5_000);
        results.push({ kind: a.kind, localPort });
        void laneId;
      }
    };
    await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i)));
    attacking = false;
    await goodLoop;

    // 1. Every bad connection was closed (waitClosed above) with a logged reason.
    const rejectedPorts = new Map<number, string>();
    for (const e of target.log) if (e.event === "connection-rejected") rejectedPorts.set(Number(String(e.fields["remote"]).split(":").at(-1)), String(e.fields["why"]));
    const unexplained = results.filter((r) => !rejectedPorts.has(r.localPort));
    expect(unexplained).toEqual([]);
    const reasons = new Set(results.map((r) => rejectedPorts.get(r.localPort)));
    for (const why of reasons) expect(["bad-frame", "bad-handshake-frame", "version-mismatch", "bad-message", "timeout"]).toContain(why);
    const kinds = new Set(results.map((r) => r.kind));
    expect(kinds.size).toBeGreaterThanOrEqual(12); // the generator reached (nearly) every kind of attack

    // 2. The good peer's messages all arrived, in order, and its connection never dropped.
    await waitFor(() => target.received.filter((r) => r.from === good.address).length === goodSent, "every good message", 20_000);
    const fromGood = target.received.filter((r) => r.from === good.address).map((r) => numberOf(r.message));
    expect(fromGood).toEqual(Array.from({ length: goodSent }, (_, i) => i));
    expect(target.disconnected).not.toContain(good.address);

    // 3. Good messages a raw peer sent before its bad frame were accepted and delivered, in order.
    for (const [from, numbers] of expectedFrom) {
      expect(target.received.filter((r) => r.from === from).map((r) => numberOf(r.message))).toEqual(numbers);
    }

    // 4. The listener is still up: a new peer gets through.
    const late = await startNode("late");
    late.transport.send(target.address, numbered(-7));
    await waitFor(() => target.received.some((r) => r.from === late.address), "a late peer's message");
    expect(target.transport.stats().openConnections).toBe(2);
  }, 120_000);
});
