/**
 * Generated bad input for the real transport, shared by the transport-level fuzz (fuzz.test.ts)
 * and the fuzz against live master and worker processes (cluster/badinput.test.ts): the attack
 * generator (fast-check), and a runner that throws attacks at a listening address over many
 * connections at once, one connection per attack, and records which local port each used (the
 * target logs the remote port of every connection it rejects).
 */
import fc from "fast-check";
import { address, type Address } from "../../src/protocol/ids.js";
import type { Message } from "../../src/protocol/messages.js";
import { MESSAGE_SCHEMAS, MESSAGE_TYPES, type MessageType } from "../../src/protocol/messages.js";
import { encodeMessage } from "../../src/real/codec.js";
import { encodeFrame, messagePayload } from "../../src/real/framing.js";
import { Handshake, MAX_HANDSHAKE_FRAME_BYTES, PROTOCOL_VERSION } from "../../src/real/handshake.js";
import { RawPeer, SAMPLE_MESSAGES, numbered, waitFor } from "./fixtures.js";

/**
 * One attack, on a connection of its own:
 * - `pre`: bytes sent before any handshake;
 * - `post`: bytes sent after authenticating, right behind `goodBefore` well-formed messages (in
 *   the same write), which the target must still accept;
 * - `impostor`: a well-formed handshake with the wrong secret, or with none.
 */
export type Attack =
  | { kind: string; phase: "pre"; bytes: Buffer }
  | { kind: string; phase: "post"; goodBefore: number; bytes: Buffer }
  | { kind: string; phase: "impostor"; secret: string | undefined };

/** Every reason a target may give for closing an attacker's connection. */
export const REJECTION_REASONS = [
  "bad-frame",
  "bad-handshake-frame",
  "version-mismatch",
  "bad-message",
  "timeout",
  "bad-proof",
  "peer-missing-secret",
];

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
/** A message frame after the handshake: an id (here the zero id, none), then the JSON. */
const messageFrame = (json: string): Buffer => encodeFrame(messagePayload(json, undefined));
const messageFrameJson = (value: unknown): Buffer => messageFrame(JSON.stringify(value));
const NONCE = "f".repeat(64);

/** Every (type, field) pair besides `type` whose sample holds a value, to corrupt it. */
const FIELDS: Array<[MessageType, string]> = MESSAGE_TYPES.flatMap((t) =>
  Object.keys(MESSAGE_SCHEMAS[t].properties)
    .filter((f) => f !== "type" && (SAMPLE_MESSAGES[t] as unknown as Record<string, unknown>)[f] !== undefined)
    .map((f) => [t, f] as [MessageType, string]),
);
const isRequired = ([t, f]: [MessageType, string]): boolean => (MESSAGE_SCHEMAS[t].required ?? []).includes(f);
const wrongValue = (v: unknown): unknown =>
  typeof v === "string" ? 42 : typeof v === "number" ? "1" : typeof v === "boolean" ? "yes" : Array.isArray(v) ? "[]" : 7;

const goodBefore = fc.integer({ min: 0, max: 3 });
const post = (kind: string, bytes: fc.Arbitrary<Buffer>): fc.Arbitrary<Attack> =>
  fc.tuple(bytes, goodBefore).map(([b, g]) => ({ kind, phase: "post" as const, goodBefore: g, bytes: b }));
const pre = (kind: string, bytes: fc.Arbitrary<Buffer>): fc.Arbitrary<Attack> =>
  bytes.map((b) => ({ kind, phase: "pre" as const, bytes: b }));

/** The attack generator, for a target whose frame limit (after the handshake) is `maxFrameBytes`. */
export function attacks(options: { maxFrameBytes: number }): fc.Arbitrary<Attack> {
  const { maxFrameBytes } = options;
  return fc.oneof(
    pre(
      "random-bytes",
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => Buffer.from(a)),
    ),
    pre(
      "oversized-length-pre",
      fc.integer({ min: MAX_HANDSHAKE_FRAME_BYTES + 1, max: 0xffffffff }).map((n) => Buffer.concat([header(n), Buffer.from("xx")])),
    ),
    pre(
      "oversized-frame-pre",
      fc.integer({ min: MAX_HANDSHAKE_FRAME_BYTES + 1, max: 64 * 1024 }).map((n) => Buffer.concat([header(n), Buffer.alloc(n, 0x7b)])),
    ),
    pre(
      "message-before-hello",
      fc.constantFrom(...MESSAGE_TYPES).map((t) => encodeFrame(encodeMessage(SAMPLE_MESSAGES[t]))),
    ),
    pre(
      "wrong-version",
      fc.integer({ min: 2, max: 1_000 }).map((v) =>
        frameJson({
          hs: "hello",
          protocolVersion: PROTOCOL_VERSION + v,
          nodeAddress: "flint://127.0.0.1:9",
          dialed: "flint://127.0.0.1:9",
          nonce: NONCE,
          auth: true,
        }),
      ),
    ),
    pre(
      "junk-json-pre",
      fc.jsonValue().map((v) => frameJson(v)),
    ),
    pre("empty-frame-pre", fc.constant(header(0))),
    fc
      .string({ minLength: 1, maxLength: 40 })
      .map((secret): Attack => ({ kind: "wrong-secret", phase: "impostor", secret: `not-the-secret-${secret}` })),
    fc.constant<Attack>({ kind: "no-secret-handshake", phase: "impostor", secret: undefined }),
    post(
      "oversized-length",
      fc.integer({ min: maxFrameBytes + 1, max: 0xffffffff }).map((n) => Buffer.concat([header(n), Buffer.alloc(16)])),
    ),
    post(
      "random-frame",
      fc
        .uint8Array({ minLength: 1, maxLength: 300 })
        .filter((a) => unparsable(Buffer.from(a).toString()))
        .map((a) => encodeFrame(a)),
    ),
    post(
      "malformed-json",
      fc
        .string({ maxLength: 60 })
        .map((s) => `{"type":"Heartbeat"${s}`)
        .filter(unparsable)
        .map((s) => messageFrame(s)),
    ),
    post(
      "unknown-type",
      fc
        .string({ minLength: 1, maxLength: 40 })
        .filter((t) => !(MESSAGE_TYPES as readonly string[]).includes(t))
        .map((t) => messageFrameJson({ type: t, workerId: "w" })),
    ),
    post(
      "not-an-object",
      fc.oneof(fc.integer(), fc.string(), fc.array(fc.integer()), fc.constant(null)).map((v) => messageFrameJson(v)),
    ),
    post(
      "wrong-shape",
      fc.constantFrom(...FIELDS).map(([t, f]) => {
        const m = { ...(SAMPLE_MESSAGES[t] as unknown as Record<string, unknown>) };
        m[f] = wrongValue(m[f]);
        return messageFrameJson(m);
      }),
    ),
    post(
      "missing-field",
      fc.constantFrom(...FIELDS.filter(isRequired)).map(([t, f]) => {
        const m = { ...(SAMPLE_MESSAGES[t] as unknown as Record<string, unknown>) };
        delete m[f];
        return messageFrameJson(m);
      }),
    ),
    post(
      "extra-field",
      fc.tuple(fc.constantFrom(...MESSAGE_TYPES), fc.string({ minLength: 1, maxLength: 20 })).map(([t, f]) => {
        const m = { ...(SAMPLE_MESSAGES[t] as unknown as Record<string, unknown>) };
        const extra = Object.hasOwn(MESSAGE_SCHEMAS[t].properties, f) ? `${f}Extra` : f;
        return messageFrameJson({ ...m, [extra]: 1 });
      }),
    ),
    post("empty-frame", fc.constant(header(0))),
  );
}

/** How many kinds `attacks` draws from. */
export const ATTACK_KINDS = 18;

export interface AttackResult {
  /** Index of the attack in the list thrown. */
  index: number;
  kind: string;
  /** Our end of the attack's connection (the target logs it as `remote`). */
  localPort: number;
  /** For `post` attacks: the address announced in the handshake, and the good messages sent before the bad frame. */
  announced?: Address;
  goodSent: Message[];
}

export interface ThrowOptions {
  /** Connections open at once. */
  lanes: number;
  /** The target's secret (post attacks authenticate with it). */
  secret: string;
  /** Post attack i announces flint://127.0.0.1:<announcedPortBase + i>. */
  announcedPortBase: number;
  /** How long the target may take to close a bad connection (its handshake timeout, plus slack). */
  closeTimeoutMs: number;
  /** The good messages a post attack sends before its bad frame (default: numbered ones). */
  goodMessage?(index: number, g: number): Message;
}

/** Throws `list` at `target`, `lanes` connections at a time; resolves once the target has closed every one. */
export async function throwAttacks(target: Address, list: readonly Attack[], options: ThrowOptions): Promise<AttackResult[]> {
  const results: AttackResult[] = [];
  const goodMessage = options.goodMessage ?? ((index: number, g: number) => numbered(index * 10 + g));
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < list.length) {
      const index = next++;
      const a = list[index]!;
      const raw = new RawPeer(target);
      await raw.connected;
      const result: AttackResult = { index, kind: a.kind, localPort: raw.socket.localPort!, goodSent: [] };
      switch (a.phase) {
        case "pre":
          raw.write(a.bytes);
          break;
        case "post": {
          const announced = address(`flint://127.0.0.1:${options.announcedPortBase + index}`);
          await raw.handshake(announced, { secret: options.secret });
          for (let g = 0; g < a.goodBefore; g++) result.goodSent.push(goodMessage(index, g));
          result.announced = announced;
          // The good messages and the bad frame in one write.
          raw.write(Buffer.concat([...result.goodSent.map((m) => messageFrame(JSON.stringify(m))), a.bytes]));
          break;
        }
        case "impostor":
          await impostor(raw, address(`flint://127.0.0.1:${options.announcedPortBase + index}`), a.secret, options.closeTimeoutMs);
          break;
      }
      await raw.waitClosed(options.closeTimeoutMs);
      results.push(result);
    }
  };
  await Promise.all(Array.from({ length: options.lanes }, () => lane()));
  return results.sort((x, y) => x.index - y.index);
}

/** Plays an honest-looking client with the wrong secret (or none) until the target hangs up. */
async function impostor(raw: RawPeer, ourAddress: Address, secret: string | undefined, timeoutMs: number): Promise<void> {
  const hs = new Handshake({ side: "client", ourAddress, dialed: raw.target, ...(secret !== undefined ? { secret } : {}) });
  for (const f of hs.start()) raw.frame(f);
  let used = 0;
  let gaveUp = false;
  while (!raw.closed) {
    await waitFor(() => raw.frames.length > used || raw.closed, "the target's handshake frames or its hang-up", timeoutMs);
    while (used < raw.frames.length && !gaveUp) {
      const progress = hs.receive(raw.frames[used++]!);
      for (const f of progress.send) raw.frame(f);
      // Our own side refuses the target too (it proves a secret we do not hold): keep quiet and wait.
      if (progress.reject || hs.done) gaveUp = true;
    }
    used = raw.frames.length;
  }
}
