/**
 * Where a process journals: the FLINT_JOURNAL environment variable (a directory, or "off"), set by
 * `flint master` / `flint worker` from --journal / --no-journal and inherited by the executors
 * and drivers they start, so a whole cluster journals into one directory.
 */
import { resolve } from "node:path";
import { JOURNAL_ENV } from "./format.js";
import { openJournal, type JournalSink } from "./writer.js";

/** The directory FLINT_JOURNAL names, or undefined when it is unset, empty or "off". */
export function journalDirFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[JOURNAL_ENV]?.trim();
  if (value === undefined || value === "" || value === "off") return undefined;
  return resolve(value);
}

/** Makes this process and its children journal into `dir` (undefined: not at all). */
export function setJournalEnv(dir: string | undefined, env: NodeJS.ProcessEnv = process.env): void {
  env[JOURNAL_ENV] = dir === undefined ? "off" : resolve(dir);
}

/** A journal for this node when FLINT_JOURNAL names a directory. */
export function journalFromEnv(role: string, node: string, env: NodeJS.ProcessEnv = process.env): JournalSink | undefined {
  const dir = journalDirFromEnv(env);
  return dir === undefined ? undefined : openJournal({ dir, role, node });
}

/** `{ journal }` for a host's deps when FLINT_JOURNAL names a directory, else nothing. */
export function journalDep(role: string, node: string, env: NodeJS.ProcessEnv = process.env): { journal?: JournalSink } {
  const journal = journalFromEnv(role, node, env);
  return journal === undefined ? {} : { journal };
}
