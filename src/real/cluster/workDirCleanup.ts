/**
 * Logs that stay (Spark's spark.worker.cleanup.*): a worker keeps a finished app's work directory
 * (its executors' stdout, stderr and executor.log) and a finished driver's, and a periodic sweep
 * removes a directory once nothing in it has changed for the time to live and no executor or
 * driver of this worker uses it. Spark's defaults: a sweep every 30 minutes, a TTL of 7 days;
 * Spark has the sweep off by default (directories pile up for ever), flint has it on.
 * Host-side only: the protocol's `cleanupApp` effect just says an app is done here.
 */
import type { WorkDirCleanupPolicy } from "../configFile.js";
import { readdirSync, type Dirent } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../log.js";

export type { WorkDirCleanupPolicy } from "../configFile.js";

export const DEFAULT_CLEANUP_POLICY: WorkDirCleanupPolicy = { enabled: true, intervalMs: 30 * 60_000, appDataTtlMs: 7 * 24 * 3_600_000 };

/** Entries looked at per directory at most, so one huge directory cannot stall a sweep for ever. */
const MAX_ENTRIES_SCANNED = 100_000;

export interface WorkDirCleanerOptions {
  workDir: string;
  policy: WorkDirCleanupPolicy;
  logger: Logger;
  /** Names (app ids, driver ids) of the directories a live executor or driver of this worker uses. */
  inUse(): ReadonlySet<string>;
  /** Removes one directory of the work dir by name (the launcher's path-checked removal). */
  remove(name: string): Promise<void>;
  now?: () => number;
}

export class WorkDirCleaner {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<string[]> | undefined;

  constructor(private readonly options: WorkDirCleanerOptions) {}

  start(): void {
    if (!this.options.policy.enabled || this.timer !== undefined) return;
    this.timer = setInterval(() => void this.sweep(), this.options.policy.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The protocol said an app is done on this worker: its directory now waits for its TTL. */
  appFinished(appId: string): void {
    const { policy, logger } = this.options;
    logger.log("info", "app-dir-kept", { appId, removedAfterMs: policy.enabled ? policy.appDataTtlMs : null });
  }

  /** One sweep; resolves with the names removed. Sweeps never overlap. */
  sweep(): Promise<string[]> {
    this.sweeping ??= this.sweepOnce().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async sweepOnce(): Promise<string[]> {
    const { workDir, policy, logger } = this.options;
    const now = (this.options.now ?? Date.now)();
    const cutoffMs = now - policy.appDataTtlMs;
    let entries: Dirent[];
    try {
      entries = readdirSync(workDir, { withFileTypes: true });
    } catch (err) {
      logger.log("warn", "work-dir-cleanup-failed", { workDir, error: (err as Error).message });
      return [];
    }
    const inUse = this.options.inUse();
    const removed: string[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory() || inUse.has(entry.name)) continue;
      let newest: number;
      try {
        newest = await newestChangeMs(join(workDir, entry.name));
      } catch (err) {
        logger.log("warn", "work-dir-cleanup-failed", { dir: entry.name, error: (err as Error).message });
        continue;
      }
      if (newest >= cutoffMs) continue;
      // Checked again: an executor of this app may have been launched while we looked.
      if (this.options.inUse().has(entry.name)) continue;
      await this.options.remove(entry.name);
      removed.push(entry.name);
    }
    if (removed.length > 0) logger.log("info", "work-dir-cleanup", { removed: removed.length, ttlMs: policy.appDataTtlMs });
    return removed;
  }
}

/** The latest modification time of a directory or anything under it (symbolic links not followed). */
async function newestChangeMs(path: string): Promise<number> {
  const stat = await lstat(path);
  let newest = stat.mtimeMs;
  if (!stat.isDirectory()) return newest;
  const names = await readdir(path);
  for (const name of names.slice(0, MAX_ENTRIES_SCANNED)) newest = Math.max(newest, await newestChangeMs(join(path, name)));
  return newest;
}
