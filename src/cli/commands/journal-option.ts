/**
 * `--journal DIR` / `--no-journal` of `flint master` and `flint worker` (the flight recorder,
 * src/real/journal): one function so the command-line parser can take it over whole. The chosen
 * directory goes into FLINT_JOURNAL, which the executors and drivers a worker starts inherit.
 */
import { join } from "node:path";
import { JOURNAL_SUBDIR } from "../../real/recovery/filesystem.js";
import { journalDirFromEnv, setJournalEnv } from "../../real/journal/env.js";
import { JOURNAL_ENV } from "../../real/journal/format.js";
import { UsageError, type Parsed } from "./cluster-options.js";

export const JOURNAL_VALUES = ["journal"];
export const JOURNAL_FLAGS = ["no-journal"];

export const JOURNAL_HELP = `  --journal DIR       record every step of this node (and of the executors and drivers it
                      starts) in DIR, for \`flint replay DIR\`
                      (default: FLINT_JOURNAL, else %DEFAULT%)
  --no-journal        record nothing`;

/**
 * The journal directory (undefined: none), from the options, else FLINT_JOURNAL, else `fallback`;
 * sets FLINT_JOURNAL accordingly for this process and its children.
 */
export function journalOption(parsed: Parsed, fallback: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = parsed.values["journal"];
  if (given !== undefined && parsed.flags.has("no-journal")) throw new UsageError("--journal and --no-journal contradict each other");
  if (given !== undefined && given.trim() === "") throw new UsageError("--journal needs a directory");
  const dir = parsed.flags.has("no-journal") ? undefined : given !== undefined ? given : env[JOURNAL_ENV] !== undefined ? journalDirFromEnv(env) : fallback;
  setJournalEnv(dir, env);
  return journalDirFromEnv(env);
}

/**
 * The master's default: `journal/` in its filesystem recovery directory (the store skips it);
 * none with another store (the master has no directory of its own then).
 */
export function masterJournalDefault(recovery: { mode: string; dir?: string }): string | undefined {
  return recovery.mode === "filesystem" && recovery.dir !== undefined ? join(recovery.dir, JOURNAL_SUBDIR) : undefined;
}
