/**
 * The flight recorder of one real node: appends the header and one record per reducer step to a
 * segment file (format.ts). Writes are buffered and flushed when the buffer passes FLUSH_BYTES, on
 * a short timer, and when the node ends, so a step costs one JSON.stringify of its input and
 * effects and an array push. A segment that passes `segmentBytes` is closed and a new one starts
 * with a snapshot of the state; only the newest `keepSegments` are kept (the size bound).
 *
 * A process killed with -9 loses what was still buffered (at most FLUSH_INTERVAL_MS of steps) and
 * may leave its last line cut: the reader accepts a cut last line and says so.
 */
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { PROTOCOL_VERSION } from "../handshake.js";
import type { MessageId } from "../framing.js";
import { JOURNAL_FORMAT_VERSION, segmentFileName, type JournalHeader } from "./format.js";

/** Flush when this much is buffered. */
const FLUSH_BYTES = 256 * 1024;
/** ...or this long after the first unflushed record. */
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
   * After a step: its number, `now`, its input serialized before the step ran, its effects
   * serialized, and for a received message the id its sender gave it (recorded as `m`, format.ts).
   */
  step(seq: number, now: number, inputJson: string, effectsJson: string, messageId?: MessageId): void;
  /**
   * Writes what is buffered. The writer calls it itself (FLUSH_BYTES buffered, or FLUSH_INTERVAL_MS
   * after the first unflushed record); the host does not flush before its messages leave (that
   * write-ahead cost too much), so a process killed with -9 may have sent messages whose sending
   * steps it never wrote: `flint replay` counts them (ReplayResult.unrecordedSends).
   */
  flush(): void;
  /** Flushes and closes (the node ended). */
  close(): void;
  /** The segment being written. */
  readonly file: string;
}

export function openJournal(options: JournalOptions): JournalSink {
  mkdirSync(options.dir, { recursive: true });
  const pid = options.pid ?? process.pid;
  const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  const keep = Math.max(1, options.keepSegments ?? DEFAULT_KEEP_SEGMENTS);
  let segment = 0;
  let file = join(options.dir, segmentFileName(options.role, options.node, pid, segment));
  let fd: number | undefined = openSync(file, "w", 0o600);
  let pending: string[] = [];
  let pendingBytes = 0;
  let writtenBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let config: unknown = null;
  let readState: () => unknown = () => null;

  const flush = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (fd === undefined || pending.length === 0) return;
    const text = pending.join("");
    pending = [];
    pendingBytes = 0;
    try {
      writeSync(fd, text);
    } catch (err) {
      fail(err as Error);
    }
  };

  /** A journal that cannot be written stops; the node it records must not die of it. */
  const fail = (err: Error): void => {
    const wasOpen = fd;
    fd = undefined;
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

  const append = (line: string): void => {
    pending.push(line);
    pendingBytes += line.length;
    writtenBytes += line.length;
    if (pendingBytes >= FLUSH_BYTES) flush();
    else if (timer === undefined) {
      timer = setTimeout(flush, FLUSH_INTERVAL_MS);
      timer.unref();
    }
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
    append(header({ firstStep: lastSeq + 1, state: readState() }));
    // The bound counts records only: a snapshot bigger than a segment must not rotate on every step.
    writtenBytes = 0;
    const old = segment - keep;
    if (old >= 0) rmSync(join(options.dir, segmentFileName(options.role, options.node, pid, old)), { force: true });
  };

  return {
    get file() {
      return file;
    },
    init(initConfig, now, effects, state) {
      if (fd === undefined) return;
      config = initConfig;
      readState = state;
      append(header({ initNow: now, initEffects: effects as unknown[] }));
    },
    flush,
    step(seq, now, inputJson, effectsJson, messageId) {
      if (fd === undefined) return;
      const m = messageId === undefined ? "" : `,"m":[${messageId.pid},${messageId.step},${messageId.index}]`;
      append(`{"s":${seq},"t":${now},"i":${inputJson},"e":${effectsJson}${m}}\n`);
      if (writtenBytes >= segmentBytes) rotate(seq);
    },
    close() {
      if (fd === undefined) return;
      flush();
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
