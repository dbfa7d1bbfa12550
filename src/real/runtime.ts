/**
 * What every flint process shares: the protocol config (overridable through the environment, so
 * that tests and `flint local` can shorten timeouts for a whole tree of processes), loggers, a
 * random seed, and the signals and parent-death watch that stop a process cleanly.
 */
import { randomInt } from "node:crypto";
import { hostname } from "node:os";
import { resolveConfig, type ProtocolConfig } from "../protocol/config.js";
import type { LogLevel } from "../protocol/io.js";
import { createLogger, type Logger } from "./log.js";

/** JSON object of ProtocolConfig overrides, inherited by every child process. */
export const PROTOCOL_ENV = "FLINT_PROTOCOL_CONFIG";
/** Lowest level shown on the console (debug|info|warn|error); default info. */
export const LOG_LEVEL_ENV = "FLINT_LOG_LEVEL";

export function protocolConfigFromEnv(env: NodeJS.ProcessEnv = process.env, extra: Partial<ProtocolConfig> = {}): ProtocolConfig {
  const text = env[PROTOCOL_ENV];
  let overrides: Partial<ProtocolConfig> = {};
  if (text !== undefined && text.trim().length > 0) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new Error(`${PROTOCOL_ENV} is not JSON: ${(err as Error).message}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error(`${PROTOCOL_ENV} must be a JSON object`);
    overrides = parsed as Partial<ProtocolConfig>;
  }
  return resolveConfig({ ...overrides, ...extra });
}

export function consoleLevel(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const level = env[LOG_LEVEL_ENV];
  return level === "debug" || level === "info" || level === "warn" || level === "error" ? level : "info";
}

export function processLogger(node: string, file?: string): Logger {
  return createLogger({ node, ...(file !== undefined ? { file } : {}), consoleLevel: consoleLevel() });
}

/** A seed for a role's PRNG (the simulator seeds from its run; a real process from chance). */
export function randomSeed(): number {
  return randomInt(0, 2 ** 31 - 1);
}

/**
 * Runs `stop` once on SIGTERM or SIGINT (a second signal forces exit 130), and on the end of stdin
 * when `withStdin` is set: a parent that holds our stdin as a pipe dies, we die with it.
 */
export function stopOnSignals(stop: (why: string) => void, options: { withStdin?: boolean } = {}): void {
  let stopping = false;
  const once = (why: string): void => {
    if (stopping) {
      if (why === "SIGINT" || why === "SIGTERM") process.exit(130);
      return;
    }
    stopping = true;
    stop(why);
  };
  process.on("SIGTERM", () => once("SIGTERM"));
  process.on("SIGINT", () => once("SIGINT"));
  if (options.withStdin) watchStdin(() => once("parent-gone"));
}

/** Calls `onEnd` when stdin (a pipe from the parent) closes. */
export function watchStdin(onEnd: () => void): void {
  const stdin = process.stdin;
  stdin.on("end", onEnd);
  stdin.on("error", onEnd);
  stdin.on("data", () => {});
  stdin.resume();
}

/** The host peers use to reach a process listening on `listenHost`: this machine's name for a wildcard. */
export function advertiseHostFor(listenHost: string): string {
  return listenHost === "0.0.0.0" || listenHost === "::" ? hostname() : listenHost;
}

/**
 * How many refused or rejected unauthenticated connections a listener logs one by one per interval
 * (the rest are counted in one line per interval): a number, or `all` (tests that check each).
 * Unset: the transport's default.
 */
export const REJECTION_LOG_ENV = "FLINT_REJECTION_LOG_LINES";

export function rejectionDetailLinesFromEnv(env: NodeJS.ProcessEnv = process.env): { rejectionDetailLines?: number } {
  const text = (env[REJECTION_LOG_ENV] ?? "").trim();
  if (text === "") return {};
  if (text === "all") return { rejectionDetailLines: Number.POSITIVE_INFINITY };
  if (!/^[0-9]+$/.test(text)) throw new Error(`${REJECTION_LOG_ENV} must be a whole number or 'all', not '${text}'`);
  return { rejectionDetailLines: Number(text) };
}
