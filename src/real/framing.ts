/**
 * Frames on a TCP stream: a 4-byte big-endian payload length, then the payload. The decoder
 * takes chunks of any size and split, and checks a declared length against the frame limit
 * before it buffers a single byte of that payload, so a peer cannot make us hold a huge frame.
 *
 * After the handshake, a frame's payload is a message: its id (MESSAGE_ID_BYTES, binary, fixed
 * size) and then the message's JSON. The id names the send: the sending process's pid, the step of
 * its reducer that sent it and the index of the send among that step's effects (so a sender's
 * journal needs no extra field: its records already say the step and the effects' order), and a
 * receiver's journal records it, so `flint replay` pairs each receipt with its send exactly. A
 * message sent by no reducer step (a tool's request) carries the zero id: no id.
 */
import { DEFAULT_CONFIG } from "../protocol/config.js";

export const FRAME_HEADER_BYTES = 4;
/** Default frame limit: docs/protocol.md §2.5 (spark.rpc.message.maxSize, 128 MiB). */
export const DEFAULT_MAX_FRAME_BYTES = DEFAULT_CONFIG.maxMessageSizeBytes;
/** The largest length the 4-byte header can carry. */
const MAX_UINT32 = 0xffffffff;

/** Why a stream of frames is broken. After one of these the stream cannot be resynchronized. */
export type FrameError =
  | { kind: "frame-too-large"; lengthBytes: number; limitBytes: number }
  | { kind: "empty-frame" }
  | { kind: "message-without-id"; lengthBytes: number };

export function describeFrameError(error: FrameError): string {
  switch (error.kind) {
    case "frame-too-large":
      return `frame of ${error.lengthBytes} bytes exceeds the limit of ${error.limitBytes} bytes`;
    case "empty-frame":
      return "frame with an empty payload";
    case "message-without-id":
      return `message frame of ${error.lengthBytes} bytes is shorter than its ${MESSAGE_ID_BYTES}-byte id (a peer of another protocol version?)`;
  }
}

/**
 * A message's id on the wire: who sent it (the process id; with the sender's address, which the
 * handshake proved, it names one process's journal) and which send it was (the step that returned
 * the send effect, 0 for init, and the effect's index in that step's effects).
 */
export interface MessageId {
  pid: number;
  step: number;
  index: number;
}

/** The bytes of an id before a message's JSON: pid u32, step u64 (as two u32, high first), index u32, big-endian. */
export const MESSAGE_ID_BYTES = 16;
const TWO_TO_32 = 0x1_0000_0000;

/**
 * Small payloads are cut from a shared slab, as Buffer.from does from its pool: the UTF-8 is
 * written straight after the id without measuring it first (Buffer.byteLength would scan the text
 * once more: measured, about 100 ns of a 150-character message's 250). A payload keeps its slab
 * alive while it is queued, so slabs stay small.
 */
const SLAB_BYTES = 16 * 1024;
/** Payloads whose worst-case size (3 bytes a UTF-16 unit) is above this get a buffer of their own. */
const SLAB_PAYLOAD_MAX_BYTES = 2 * 1024;
let slab = Buffer.allocUnsafe(SLAB_BYTES);
let slabUsed = 0;

/** A message frame's payload: `id` (none: zeros) then the UTF-8 of `json` (one copy, no intermediate buffer). */
export function messagePayload(json: string, id: MessageId | undefined): Buffer {
  const worstBytes = MESSAGE_ID_BYTES + json.length * 3;
  if (worstBytes > SLAB_PAYLOAD_MAX_BYTES) {
    const payload = Buffer.allocUnsafe(MESSAGE_ID_BYTES + Buffer.byteLength(json, "utf8"));
    writeMessageId(payload, 0, id);
    payload.write(json, MESSAGE_ID_BYTES, "utf8");
    return payload;
  }
  if (slabUsed + worstBytes > SLAB_BYTES) {
    slab = Buffer.allocUnsafe(SLAB_BYTES);
    slabUsed = 0;
  }
  const start = slabUsed;
  writeMessageId(slab, start, id);
  const end = start + MESSAGE_ID_BYTES + slab.write(json, start + MESSAGE_ID_BYTES, "utf8");
  // The next payload starts 8-byte aligned.
  slabUsed = (end + 7) & ~7;
  return slab.subarray(start, end);
}

function writeMessageId(target: Buffer, at: number, id: MessageId | undefined): void {
  if (id === undefined) {
    target.fill(0, at, at + MESSAGE_ID_BYTES);
    return;
  }
  target.writeUInt32BE(id.pid, at);
  target.writeUInt32BE(Math.floor(id.step / TWO_TO_32), at + 4);
  target.writeUInt32BE(id.step % TWO_TO_32, at + 8);
  target.writeUInt32BE(id.index, at + 12);
}

/**
 * A message frame's payload split into its id (undefined for the zero id: no id) and its JSON
 * text; a payload too short to hold an id is a broken stream.
 */
export function splitMessagePayload(payload: Buffer): { id: MessageId | undefined; json: string } | FrameError {
  if (payload.length < MESSAGE_ID_BYTES) return { kind: "message-without-id", lengthBytes: payload.length };
  const pid = payload.readUInt32BE(0);
  const json = payload.toString("utf8", MESSAGE_ID_BYTES);
  if (pid === 0) return { id: undefined, json };
  const step = payload.readUInt32BE(4) * TWO_TO_32 + payload.readUInt32BE(8);
  return { id: { pid, step, index: payload.readUInt32BE(12) }, json };
}

/** Frames one payload (copies it once; the transport batches frames itself, see transport.ts). */
export function encodeFrame(payload: Uint8Array): Buffer {
  if (payload.length > MAX_UINT32) throw new RangeError(`payload of ${payload.length} bytes cannot be framed`);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

export interface DecodeResult {
  /** Complete payloads, in stream order. */
  frames: Buffer[];
  /** Set when the stream is broken; frames before the error are still valid. */
  error?: FrameError;
}

/**
 * Incremental decoder. Keeps the received chunks in a list (no copying while a payload is
 * incomplete), so a large frame arriving in many small chunks costs linear, not quadratic, time.
 */
export class FrameDecoder {
  private limitBytes: number;
  private chunks: Buffer[] = [];
  /** Index of the first unread chunk (avoids O(n) shifts when many tiny chunks arrive). */
  private chunkHead = 0;
  /** Bytes held in `chunks` (from `offset` in the first chunk on). */
  private bufferedBytes = 0;
  /** Read position within chunks[chunkHead]. */
  private offset = 0;
  /** Payload length of the frame being read, once its header is complete; -1 before. */
  private pendingLength = -1;
  private broken: FrameError | undefined;

  constructor(maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    checkLimit(maxFrameBytes);
    this.limitBytes = maxFrameBytes;
  }

  /** The largest payload accepted now. */
  get maxFrameBytes(): number {
    return this.limitBytes;
  }

  /** Bytes received but not yet returned as frames. */
  get buffered(): number {
    return this.bufferedBytes;
  }

  get error(): FrameError | undefined {
    return this.broken;
  }

  /** Appends received bytes; read frames with `next()`. */
  feed(chunk: Buffer): void {
    if (this.broken || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
  }

  /**
   * The next complete payload, a FrameError once the stream is broken, or undefined when more
   * bytes are needed. Reading one frame at a time lets the caller change the limit between
   * frames (the transport allows only small frames until the handshake completes).
   */
  next(): Buffer | FrameError | undefined {
    if (this.broken) return this.broken;
    if (this.pendingLength < 0) {
      if (this.bufferedBytes < FRAME_HEADER_BYTES) return undefined;
      const length = this.take(FRAME_HEADER_BYTES).readUInt32BE(0);
      if (length === 0) return this.fail({ kind: "empty-frame" });
      if (length > this.limitBytes) return this.fail({ kind: "frame-too-large", lengthBytes: length, limitBytes: this.limitBytes });
      this.pendingLength = length;
    }
    if (this.bufferedBytes < this.pendingLength) return undefined;
    const payload = this.take(this.pendingLength);
    this.pendingLength = -1;
    return payload;
  }

  /** Feeds a chunk and returns every frame it completes (and the error, if the stream broke). */
  push(chunk: Buffer): DecodeResult {
    this.feed(chunk);
    const frames: Buffer[] = [];
    for (;;) {
      const item = this.next();
      if (item === undefined) return { frames };
      if (!Buffer.isBuffer(item)) return { frames, error: item };
      frames.push(item);
    }
  }

  /** Changes the limit for frames whose header has not been read yet. */
  setLimit(limitBytes: number): void {
    checkLimit(limitBytes);
    this.limitBytes = limitBytes;
  }

  private fail(error: FrameError): FrameError {
    this.broken = error;
    this.chunks = [];
    this.chunkHead = 0;
    this.bufferedBytes = 0;
    this.offset = 0;
    return error;
  }

  /** Removes `n` buffered bytes (n <= bufferedBytes); a view when they lie in one chunk. */
  private take(n: number): Buffer {
    const first = this.chunks[this.chunkHead]!;
    if (first.length - this.offset >= n) {
      const out = first.subarray(this.offset, this.offset + n);
      this.advance(n, first.length);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let written = 0;
    while (written < n) {
      const chunk = this.chunks[this.chunkHead]!;
      const count = Math.min(chunk.length - this.offset, n - written);
      chunk.copy(out, written, this.offset, this.offset + count);
      written += count;
      this.advance(count, chunk.length);
    }
    return out;
  }

  private advance(count: number, chunkLength: number): void {
    this.offset += count;
    this.bufferedBytes -= count;
    if (this.offset < chunkLength) return;
    this.offset = 0;
    this.chunkHead++;
    if (this.chunkHead === this.chunks.length) {
      this.chunks = [];
      this.chunkHead = 0;
    } else if (this.chunkHead >= 1024) {
      this.chunks = this.chunks.slice(this.chunkHead);
      this.chunkHead = 0;
    }
  }
}

function checkLimit(limitBytes: number): void {
  if (!Number.isInteger(limitBytes) || limitBytes < 1 || limitBytes > MAX_UINT32)
    throw new RangeError(`frame limit must be an integer in 1..${MAX_UINT32} (got ${limitBytes})`);
}
