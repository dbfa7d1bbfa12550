/**
 * `--journal DIR` / `--no-journal` of `flint master`, `flint worker` and `flint submit` (the flight recorder,
 * src/real/journal): one function so the command-line parser can take it over whole. The chosen
 * directory goes into FLINT_JOURNAL, which the executors and drivers a worker starts inherit.
 */
import { join } from "node:path";
import { JOURNAL_SUBDIR } from "../../real/recovery/filesystem.js";
import { journalDirFromEnv, setJournalEnv } from "../../real/journal/env.js";
import { JOURNAL_ENV } from "../../real/journal/format.js";
import { UsageError } from "../args.js";

/** `--journal DIR` and `--no-journal`, for a command whose default journal is `defaultHelp`; `help` says what is recorded. */
export function recorderOptions(
  defaultHelp: string,
  help = "record every step of this node (and of the executors and drivers it\nstarts) in DIR, for `flint replay DIR`",
) {
  return {
    journal: {
      type: "string",
      value: "DIR",
      defaultHelp: `${JOURNAL_ENV}, else ${defaultHelp}`,
      help,
    },
    "no-journal": { type: "boolean", help: "record nothing" },
  } as const;
}

/** The recorder's options and --validate, for a command whose default journal is `defaultHelp`. */
export function journalOptions(defaultHelp: string) {
  return {
    ...recorderOptions(defaultHelp),
    validate: {
      type: "boolean",
      help: "check this node's own invariants after every step, in process; the first\nviolation is logged at ERROR (invariant-violated) with its step",
    },
  } as const;
}

/**
 * The journal directory (undefined: none), from the options, else FLINT_JOURNAL, else `fallback`;
 * sets FLINT_JOURNAL accordingly for this process and its children.
 */
export function journalOption(
  given: string | undefined,
  none: boolean,
  fallback: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (given !== undefined && none) throw new UsageError("--journal and --no-journal contradict each other");
  if (given !== undefined && given.trim() === "") throw new UsageError("--journal needs a directory");
  const dir = none ? undefined : given !== undefined ? given : env[JOURNAL_ENV] !== undefined ? journalDirFromEnv(env) : fallback;
  setJournalEnv(dir, env);
  return journalDirFromEnv(env);
}

/**
 * Where a node journals when told nothing and it has no folder of its own (a master whose store
 * is ZooKeeper or none, a client-mode driver): next to where it runs, as the default recovery
 * directory and a worker's work directory are.
 */
export const LOCAL_JOURNAL_DIR = "flint-journal";

/**
 * The master's default: `journal/` in its filesystem recovery directory (the store skips it);
 * with another store, which has no directory, `./flint-journal`. The recorder is on by default.
 */
export function masterJournalDefault(recovery: { mode: string; dir?: string }): string {
  return recovery.mode === "filesystem" && recovery.dir !== undefined ? join(recovery.dir, JOURNAL_SUBDIR) : LOCAL_JOURNAL_DIR;
}
