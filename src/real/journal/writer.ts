/**
 * The flight recorder of one real node: appends the header and one record per reducer step to a
 * segment file (format.ts). Each record is made at the end of its step as one line and encoded
 * straight into an output buffer (buffer.ts): a received message as the JSON it came in, a send as
 * the JSON the transport sends, so the only serializing a step adds is that of its other effects
 * (and of an input that did not come over the wire). The buffer is written out when it fills,
 * FLUSH_INTERVAL_MS after the first record it holds, and when the node ends. A segment that passes
 * `segmentBytes` is closed and a new one starts with a snapshot of the state; only the newest
 * `keepSegments` are kept (the size bound).
 *
 * A process killed with -9 loses what was still buffered (at most FLUSH_INTERVAL_MS of steps) and
 * may leave its last line cut: the reader accepts a cut last line and says so.
 */
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Effect, Input } from "../../protocol/io.js";
import { PROTOCOL_VERSION } from "../handshake.js";
import type { MessageId } from "../framing.js";
import { JournalBuffer } from "./buffer.js";
import { JOURNAL_FORMAT_VERSION, segmentFileName, type JournalHeader } from "./format.js";

/**
 * The output buffer's size: it is written out when full. 16 and 32 KiB buffers measured slower
 * (bench/real.js --journal-cost --pin: their extra writes); this one serves a few hundred steps a
 * write and stays well inside a core's cache.
 */
const BUFFER_BYTES = 128 * 1024;
/** ...or this long after the first record it holds. */
const FLUSH_INTERVAL_MS = 100;
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_KEEP_SEGMENTS = 4;

export interface JournalOptions {
  dir: string;
  role: string;
  node: string;
  /** Start a new segment when one's records pass this size (default 64 MiB; its snapshot header not counted). */
  segmentBytes?: number;
  /** Segments kept (default 4): older ones are deleted. */
  keepSegments?: number;
  pid?: number;
  /** Told once when a write fails; the journal then stops (the node goes on). Default: a line on stderr. */
  onError?(error: Error): void;
}

/** What the host tells the recorder. */
export interface JournalSink {
  /** After init: the config and `now` it was given and the effects it returned; `state` reads the live state (for snapshots). */
  init(config: unknown, now: number, effects: readonly unknown[], state: () => unknown): void;
  /**
   * After a step: its number, `now`, its input and effects, and for a received message the id its
   * sender gave it (recorded as `m`, format.ts). The input is `inputJson`, serialized before the
   * step ran (the reducer may keep the input in its state and change it later), or, when that is
   * undefined, the received message `input` whose JSON as it came is `messageJson`. Each send's
   * message is serialized here into `encoded[i]`, which is what the transport then sends.
   */
  record(
    seq: number,
    now: number,
    input: Input,
    inputJson: string | undefined,
    messageJson: string | undefined,
    effects: readonly Effect[],
    encoded: Array<string | undefined>,
    messageId?: MessageId,
  ): void;
  /** A step whose input and effects the caller serialized (tests and tools; the host uses `record`). */
  step(seq: number, now: number, inputJson: string, effectsJson: string, messageId?: MessageId): void;
  /**
   * Writes what is buffered. The writer calls it itself (the buffer full, or FLUSH_INTERVAL_MS
   * after the first record it holds); the host does not flush before its messages leave (that
   * write-ahead cost too much), so a process killed with -9 may have sent messages whose sending
   * steps it never wrote: `flint replay` counts them (ReplayResult.unrecordedSends).
   */
  flush(): void;
  /** Flushes and closes (the node ended). */
  close(): void;
  /** The segment being written. */
  readonly file: string;
}

/**
 * The start of a received message's input (`{"type":"message","from":<address>,"message":`) and of
 * a send (`{"type":"send","to":<address>,"message":`), by address: a node talks to few peers, and
 * quoting the address on every step showed in profiles.
 */
class AddressPrefixes {
  private readonly made = new Map<string, string>();
  constructor(private readonly before: string) {}

  of(address: string): string {
    let prefix = this.made.get(address);
    if (prefix === undefined) {
      if (this.made.size >= ADDRESS_PREFIXES_MAX) this.made.clear();
      prefix = `${this.before}${JSON.stringify(address)},"message":`;
      this.made.set(address, prefix);
    }
    return prefix;
  }
}
const ADDRESS_PREFIXES_MAX = 4096;
const messageFrom = new AddressPrefixes('{"type":"message","from":');
const sendTo = new AddressPrefixes('{"type":"send","to":');

export function openJournal(options: JournalOptions): JournalSink {
  mkdirSync(options.dir, { recursive: true });
  const pid = options.pid ?? process.pid;
  const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  const keep = Math.max(1, options.keepSegments ?? DEFAULT_KEEP_SEGMENTS);
  let segment = 0;
  let file = join(options.dir, segmentFileName(options.role, options.node, pid, segment));
  let fd: number | undefined = openSync(file, "w", 0o600);
  /** Bytes of records in the current segment. */
  let segmentRecordBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let config: unknown = null;
  let readState: () => unknown = () => null;

  const out = new JournalBuffer(BUFFER_BYTES, (bytes) => {
    if (fd === undefined) return;
    try {
      // A regular file takes the whole write; the loop is for a write cut short all the same.
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
    } catch (err) {
      fail(err as Error);
    }
  });

  const flush = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    out.flush();
  };

  /** A journal that cannot be written stops; the node it records must not die of it. */
  const fail = (err: Error): void => {
    const wasOpen = fd;
    fd = undefined;
    out.discard();
    if (wasOpen !== undefined) {
      try {
        closeSync(wasOpen);
      } catch {
        // already unusable
      }
    }
    if (options.onError) options.onError(err);
    else process.stderr.write(`flint: the journal ${file} stopped: ${err.message}\n`);
  };

  const header = (extra: Partial<JournalHeader>): string => {
    const h: JournalHeader = {
      flintJournal: JOURNAL_FORMAT_VERSION,
      protocolVersion: PROTOCOL_VERSION,
      role: options.role,
      node: options.node,
      pid,
      segment,
      config,
      ...extra,
    };
    return JSON.stringify(h) + "\n";
  };

  /** Closes the segment and starts the next, headed by the state after step `lastSeq`. */
  const rotate = (lastSeq: number): void => {
    flush();
    if (fd === undefined) return;
    closeSync(fd);
    segment++;
    file = join(options.dir, segmentFileName(options.role, options.node, pid, segment));
    try {
      fd = openSync(file, "w", 0o600);
    } catch (err) {
      fd = undefined;
      fail(err as Error);
      return;
    }
    out.text(header({ firstStep: lastSeq + 1, state: readState() }));
    // The bound counts records only: a snapshot bigger than a segment must not rotate on every step.
    out.take();
    const old = segment - keep;
    if (old >= 0) rmSync(join(options.dir, segmentFileName(options.role, options.node, pid, old)), { force: true });
  };

  /** `,"t":<now>,"i":`, made again only when `now` moves (every step of a millisecond shares it). */
  let lastNow = Number.NaN;
  let nowPart = "";
  const timePart = (now: number): string => {
    if (now !== lastNow) {
      lastNow = now;
      nowPart = `,"t":${now},"i":`;
    }
    return nowPart;
  };

  /** Encodes a step's line; the segment ends after it when full. */
  const append = (seq: number, line: string): void => {
    out.text(line);
    if (timer === undefined && out.pending) {
      timer = setTimeout(flush, FLUSH_INTERVAL_MS);
      timer.unref();
    }
    segmentRecordBytes += out.take();
    if (segmentRecordBytes >= segmentBytes) {
      segmentRecordBytes = 0;
      rotate(seq);
    }
  };

  const idPart = (id: MessageId | undefined): string => (id === undefined ? "}\n" : `,"m":[${id.pid},${id.step},${id.index}]}\n`);

  return {
    get file() {
      return file;
    },
    init(initConfig, now, effects, state) {
      if (fd === undefined) return;
      config = initConfig;
      readState = state;
      out.text(header({ initNow: now, initEffects: effects as unknown[] }));
      out.take();
      flush();
    },
    flush,
    record(seq, now, input, inputJson, messageJson, effects, encoded, messageId) {
      const recording = fd !== undefined;
      // One line, built by joining strings (encoding its pieces one by one cost more: every call into
      // the encoder runs cold between a node's messages).
      let line = "";
      if (recording) {
        line = `{"s":${seq}${timePart(now)}`;
        if (inputJson !== undefined || input.type !== "message") line += inputJson ?? JSON.stringify(input);
        else line += `${messageFrom.of(input.from)}${messageJson ?? JSON.stringify(input.message)}}`;
        line += ',"e":[';
      }
      for (let i = 0; i < effects.length; i++) {
        const e = effects[i]!;
        if (e.type === "send") {
          const json = JSON.stringify(e.message);
          encoded[i] = json;
          if (recording) line += `${i > 0 ? "," : ""}${sendTo.of(e.to)}${json}}`;
        } else if (recording) line += `${i > 0 ? "," : ""}${JSON.stringify(e)}`;
      }
      if (recording) append(seq, `${line}]${idPart(messageId)}`);
    },
    step(seq, now, inputJson, effectsJson, messageId) {
      if (fd === undefined) return;
      append(seq, `{"s":${seq}${timePart(now)}${inputJson},"e":${effectsJson}${idPart(messageId)}`);
    },
    close() {
      if (fd === undefined) return;
      flush();
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
