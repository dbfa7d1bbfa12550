/**
 * FILESYSTEM recovery (Spark's FileSystemPersistenceEngine, docs/protocol.md §3.2): one file per record,
 * named by its key, in one directory. Every write is atomic and durable: the record goes to a
 * temporary file in the same directory, which is fsynced, renamed over the target, and then the
 * directory is fsynced so the rename itself survives a power loss. A reader therefore sees either
 * the old record or the new one, never a torn one; a file that is torn anyway (another writer, a
 * disk fault, a hand edit) is named in `problems` and skipped.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import type { PersistedRecord } from "../../protocol/records.js";
import { addRecord, checkKey, decodeRecord, emptyRecords, isRecordKey, encodeRecord } from "./codec.js";
import type { DurableRecoveryStore, LeaderElection, LeadershipHandlers, RecoveryReadResult } from "./types.js";

/** Temporary files start with a dot so they can never be mistaken for a record (keys start with a letter). */
const TEMP_PREFIX = ".tmp-";
/**
 * The directory's owner: `<pid>@<host>` of the master using it. Spark lets two masters share a
 * recovery directory and corrupt each other's state (docs/protocol.md §3.5 item 9); flint refuses.
 */
export const LOCK_FILE = ".lock";

/** The master's flight-recorder journal, kept inside the recovery directory by default: not a record. */
export const JOURNAL_SUBDIR = "journal";

export class FileSystemRecoveryStore implements DurableRecoveryStore {
  private closed = false;

  private constructor(readonly dir: string) {}

  /**
   * Creates the directory if needed, takes its lock (refusing a directory that another live process
   * on this machine, or a process on another machine, holds; one process may reopen its own), and
   * removes temporary files a crashed writer left behind.
   */
  static async open(dir: string): Promise<FileSystemRecoveryStore> {
    await mkdir(dir, { recursive: true });
    await takeLock(dir);
    for (const name of await readdir(dir)) {
      if (name.startsWith(TEMP_PREFIX)) await rm(join(dir, name), { force: true });
    }
    return new FileSystemRecoveryStore(dir);
  }

  async read(): Promise<RecoveryReadResult> {
    this.checkOpen();
    const records = emptyRecords();
    const problems: string[] = [];
    const entries = await readdir(this.dir, { withFileTypes: true });
    // Sorted so that recovery visits records in the same order on every run.
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const name = entry.name;
      if (name.startsWith(TEMP_PREFIX) || name === LOCK_FILE || (name === JOURNAL_SUBDIR && entry.isDirectory())) continue;
      if (!isRecordKey(name)) {
        problems.push(`recovery file ${name}: not a record name (app_/driver_/worker_<id>), ignored`);
        continue;
      }
      if (!entry.isFile()) {
        problems.push(`recovery file ${name}: not a regular file`);
        continue;
      }
      let text: string;
      try {
        text = await readFile(join(this.dir, name), "utf8");
      } catch (error) {
        problems.push(`recovery file ${name}: unreadable (${(error as Error).message})`);
        continue;
      }
      const decoded = decodeRecord(name, text);
      if (decoded.ok) addRecord(records, decoded.record);
      else problems.push(`recovery file ${name}: ${decoded.why}`);
    }
    return { records, problems };
  }

  async persist(key: string, record: PersistedRecord): Promise<void> {
    this.checkOpen();
    checkKey(key, record);
    const temp = join(this.dir, `${TEMP_PREFIX}${key}-${randomBytes(6).toString("hex")}`);
    try {
      await writeDurably(temp, encodeRecord(key, record));
      await rename(temp, join(this.dir, key));
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    await syncDirectory(this.dir);
  }

  async unpersist(key: string): Promise<void> {
    this.checkOpen();
    if (!isRecordKey(key)) throw new Error(`recovery key ${JSON.stringify(key)} is not app_/driver_/worker_<id>`);
    try {
      await unlink(join(this.dir, key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    await syncDirectory(this.dir);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await rm(join(this.dir, LOCK_FILE), { force: true });
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`recovery store ${this.dir} is closed`);
  }
}

/** Thrown when the recovery directory belongs to another master. */
export class RecoveryDirectoryInUse extends Error {}

function ownerTag(): string {
  return `${process.pid}@${hostname()}`;
}

/** A zombie (killed, not yet reaped: common in containers whose init does not reap) counts as gone. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return true; // no /proc (not Linux): trust kill(0)
  }
}

/** Takes `dir/.lock`, or takes over a lock whose process on this machine is gone (a kill -9). */
async function takeLock(dir: string): Promise<void> {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeDurably(path, ownerTag() + "\n");
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = (await readFile(path, "utf8").catch(() => "")).trim();
    const match = /^(\d+)@(.+)$/.exec(holder);
    const stale = match !== null && match[2] === hostname() && (Number(match[1]) === process.pid || !isAlive(Number(match[1])));
    if (!stale) {
      throw new RecoveryDirectoryInUse(
        `recovery directory ${dir} is in use by ${holder === "" ? "another master" : `process ${holder}`} (${path}); ` +
          `two masters must never share one (give each its own --recovery filesystem:DIR), and if that master is really gone, delete ${path}`,
      );
    }
    await rm(path, { force: true });
  }
  throw new RecoveryDirectoryInUse(`recovery directory ${dir}: could not take ${path} (another master is starting?)`);
}

/** Writes the whole text and fsyncs the file before closing it. Exported for the crash test. */
export async function writeDurably(path: string, text: string): Promise<void> {
  const handle = await open(path, "wx", 0o600);
  try {
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a rename or unlink in `dir` durable (POSIX: fsync the directory itself). */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Spark's MonarchyLeaderAgent (FILESYSTEM and NONE modes, docs/protocol.md §3.3): every master that
 * starts is elected at once, and never revoked. There is no mutual exclusion: run one master per
 * recovery directory (§3.5 item 9).
 */
export function monarchyElection(): LeaderElection {
  let running = false;
  return {
    holdsLeadership: () => running,
    async start(handlers: LeadershipHandlers): Promise<void> {
      if (running) throw new Error("election already started");
      running = true;
      handlers.elected();
    },
    async stop(): Promise<void> {
      running = false;
    },
  };
}
