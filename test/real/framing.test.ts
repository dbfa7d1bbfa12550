import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_MAX_FRAME_BYTES,
  FrameDecoder,
  MESSAGE_ID_BYTES,
  describeFrameError,
  encodeFrame,
  messagePayload,
  splitMessagePayload,
  type FrameError,
  type MessageId,
} from "../../src/real/framing.js";
import { DEFAULT_CONFIG } from "../../src/protocol/config.js";

/** Splits `bytes` at the given cut points. */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  out.push(bytes.subarray(at));
  return out;
}

describe("framing: 4-byte big-endian length + payload", () => {
  it("framing: encodes the length big-endian before the payload", () => {
    const frame = encodeFrame(Buffer.from("abc"));
    expect([...frame]).toEqual([0, 0, 0, 3, 97, 98, 99]);
  });

  it("framing: the default limit is the max message size of docs/protocol.md §2.5", () => {
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(DEFAULT_CONFIG.maxMessageSizeBytes);
    expect(new FrameDecoder().maxFrameBytes).toBe(128 * 1024 * 1024);
  });

  it("framing: any chunking of a stream of frames decodes to the same payloads (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 0, maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (payloads, cuts) => {
          const stream = Buffer.concat(payloads.map((p) => encodeFrame(p)));
          const decoder = new FrameDecoder(1_000);
          const got: Buffer[] = [];
          for (const chunk of chunked(stream, cuts)) {
            const result = decoder.push(chunk);
            expect(result.error).toBeUndefined();
            got.push(...result.frames.map((f) => Buffer.from(f)));
          }
          expect(got.map((g) => [...g])).toEqual(payloads.map((p) => [...p]));
          expect(decoder.buffered).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("framing: a byte-at-a-time stream decodes", () => {
    const payloads = [Buffer.from("x"), Buffer.alloc(70_000, 7), Buffer.from("last")];
    const stream = Buffer.concat(payloads.map(encodeFrame));
    const decoder = new FrameDecoder();
    const got: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) got.push(...decoder.push(stream.subarray(i, i + 1)).frames.map((f) => Buffer.from(f)));
    expect(got).toEqual(payloads);
  });

  it("framing: an oversized length is rejected from its header alone, before any payload is buffered", () => {
    const decoder = new FrameDecoder(1_024);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1_025, 0);
    const result = decoder.push(header);
    expect(result.frames).toEqual([]);
    expect(result.error).toEqual({ kind: "frame-too-large", lengthBytes: 1_025, limitBytes: 1_024 });
    expect(describeFrameError(result.error!)).toBe("frame of 1025 bytes exceeds the limit of 1024 bytes");
    expect(decoder.buffered).toBe(0);
  });

  it("framing: a length of 0xFFFFFFFF is rejected, not allocated", () => {
    const decoder = new FrameDecoder();
    const result = decoder.push(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    expect(result.error).toMatchObject({ kind: "frame-too-large", lengthBytes: 0xffffffff });
  });

  it("framing: frames before a broken one are still returned; the stream stays broken", () => {
    const decoder = new FrameDecoder(10);
    const good = encodeFrame(Buffer.from("ok"));
    const result = decoder.push(Buffer.concat([good, Buffer.from([0, 0, 0, 0])]));
    expect(result.frames.map(String)).toEqual(["ok"]);
    expect(result.error).toEqual({ kind: "empty-frame" });
    expect(describeFrameError(result.error!)).toMatch(/empty payload/);
    expect(decoder.push(good)).toEqual({ frames: [], error: { kind: "empty-frame" } });
    expect(decoder.error).toEqual({ kind: "empty-frame" });
  });

  it("framing: the limit can change between frames (small frames until a handshake completes)", () => {
    const decoder = new FrameDecoder(4);
    decoder.feed(Buffer.concat([encodeFrame(Buffer.from("tiny")), encodeFrame(Buffer.alloc(100, 1))]));
    expect(String(decoder.next())).toBe("tiny");
    decoder.setLimit(1_000);
    expect((decoder.next() as Buffer).length).toBe(100);
    expect(decoder.next()).toBeUndefined();
  });

  it("framing: a limit outside 1..2^32-1 is a programmer error", () => {
    expect(() => new FrameDecoder(0)).toThrow(RangeError);
    expect(() => new FrameDecoder(2 ** 32)).toThrow(RangeError);
    expect(() => new FrameDecoder(1.5)).toThrow(RangeError);
  });
});

describe("framing: a message frame's payload is its id, then its JSON", () => {
  it("framing: any id and text survive the round trip; the zero id reads as none; a payload shorter than an id is an error", () => {
    fc.assert(
      fc.property(
        fc.record({ pid: fc.integer({ min: 1, max: 0xffffffff }), step: fc.maxSafeNat(), index: fc.integer({ min: 0, max: 0xffffffff }) }),
        fc.string({ unit: "grapheme" }),
        (id, json) => {
          const payload = messagePayload(json, id);
          expect(payload.length).toBe(MESSAGE_ID_BYTES + Buffer.byteLength(json));
          expect(splitMessagePayload(payload)).toEqual({ id, json });
          expect(splitMessagePayload(messagePayload(json, undefined))).toEqual({ id: undefined, json });
        },
      ),
    );
    // The layout: pid, step (high and low 32 bits), index, big-endian.
    expect([...messagePayload("{}", { pid: 1, step: 2 ** 32 + 2, index: 3 })]).toEqual([
      0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 123, 125,
    ]);
    const short = splitMessagePayload(Buffer.from("{}"));
    expect(short).toEqual({ kind: "message-without-id", lengthBytes: 2 });
    expect(describeFrameError(short as FrameError)).toMatch(/message frame of 2 bytes is shorter than its 16-byte id/);
  });
});

describe("framing: message payloads cut from a shared slab", () => {
  it("framing: thousands of payloads of every size, made one after another, each keep their own id and text", () => {
    const made: Array<{ id: MessageId; json: string; payload: Buffer }> = [];
    for (let i = 0; i < 5_000; i++) {
      // Sizes around the slab's limits, and multi-byte characters (whose UTF-8 is longer than the string).
      const json = JSON.stringify({ i, pad: (i % 3 === 0 ? "é" : "x").repeat((i * 37) % 900) });
      const id = { pid: 1 + (i % 7), step: i, index: i % 5 };
      made.push({ id, json, payload: messagePayload(json, id) });
    }
    for (const { id, json, payload } of made) expect(splitMessagePayload(payload)).toEqual({ id, json });
  });
});
