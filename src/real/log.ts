/**
 * Structured logging for real processes: one JSON line per event to a per-process log file (for
 * tools), and one readable line to the console (for people). A memory logger serves tests.
 */
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";
import type { LogLevel } from "../protocol/io.js";

export interface LogEntry {
  /** Wall-clock time, ms since the epoch. */
  ts: number;
  level: LogLevel;
  /** Which node or component wrote it (`master`, `worker-1`, `transport`). */
  node: string;
  event: string;
  fields: Record<string, unknown>;
}

export interface Logger {
  log(level: LogLevel, event: string, fields?: Record<string, unknown>): void;
  /** Flushes and closes the file, if any. */
  close(): Promise<void>;
}

const LEVEL_RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface LoggerOptions {
  node: string;
  /** Path of the JSON-lines log file (appended to; its folder is created). */
  file?: string;
  /** Where readable lines go; `false` for none. Default: process.stderr. */
  console?: NodeJS.WritableStream | false;
  /** Lowest level written to the file (default debug). */
  fileLevel?: LogLevel;
  /** Lowest level written to the console (default info). */
  consoleLevel?: LogLevel;
  /** Also keep entries in memory (tests). */
  memory?: LogEntry[];
}

export function createLogger(options: LoggerOptions): Logger {
  let file: WriteStream | undefined;
  if (options.file) {
    mkdirSync(dirname(options.file), { recursive: true });
    file = createWriteStream(options.file, { flags: "a" });
    file.on("error", (err) => {
      if (out) out.write(`log file ${options.file} failed: ${err.message}\n`);
      file = undefined;
    });
  }
  const out = options.console === undefined ? process.stderr : options.console || undefined;
  const fileRank = LEVEL_RANK[options.fileLevel ?? "debug"];
  const consoleRank = LEVEL_RANK[options.consoleLevel ?? "info"];
  return {
    log(level, event, fields = {}) {
      const entry: LogEntry = { ts: Date.now(), level, node: options.node, event, fields };
      options.memory?.push(entry);
      if (file && LEVEL_RANK[level] >= fileRank) file.write(jsonLine(entry));
      if (out && LEVEL_RANK[level] >= consoleRank) out.write(readableLine(entry));
    },
    close() {
      const f = file;
      file = undefined;
      if (!f) return Promise.resolve();
      return new Promise((resolve) => f.end(() => resolve()));
    },
  };
}

/** A logger that only keeps entries in memory (tests), optionally echoing them readably. */
export function createMemoryLogger(node = "test"): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const logger = createLogger({ node, console: false, memory: entries });
  return Object.assign(logger, { entries });
}

export function jsonLine(entry: LogEntry): string {
  const record = { ts: new Date(entry.ts).toISOString(), level: entry.level, node: entry.node, event: entry.event, ...entry.fields };
  return safeStringify(record) + "\n";
}

export function readableLine(entry: LogEntry): string {
  const time = new Date(entry.ts).toISOString().slice(11, 23);
  const parts = [time, entry.level.toUpperCase().padEnd(5), entry.node, entry.event];
  for (const [key, value] of Object.entries(entry.fields)) {
    const shown = typeof value === "string" ? (/\s/.test(value) ? JSON.stringify(value) : value) : safeStringify(value);
    parts.push(`${key}=${shown}`);
  }
  return parts.join(" ") + "\n";
}

/** JSON that never throws: bigints as strings, cycles and errors shown readably. */
export function safeStringify(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return (
      JSON.stringify(value, (_key, v: unknown) => {
        if (typeof v === "bigint") return v.toString();
        if (v instanceof Error) return { name: v.name, message: v.message, stack: v.stack };
        if (typeof v === "object" && v !== null) {
          if (seen.has(v)) return "[cycle]";
          seen.add(v);
        }
        return v;
      }) ?? "null"
    );
  } catch {
    return JSON.stringify(String(value));
  }
}
