/**
 * Where the flight recorder writes: --journal / --no-journal / FLINT_JOURNAL, the master's default
 * inside its recovery directory, which the recovery store does not take for a record.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defineCommand, parseCommandLine, UsageError } from "../../src/cli/args.js";
import { journalOption as journalOptionOf, journalOptions, masterJournalDefault } from "../../src/cli/commands/journal-option.js";
import { JOURNAL_ENV } from "../../src/real/journal/format.js";
import { FileSystemRecoveryStore } from "../../src/real/recovery/filesystem.js";
import { fileTempDir } from "../hygiene/tempDir.js";

const tmp = fileTempDir("flint-journal-options-");
const spec = defineCommand({
  name: "t",
  summary: "",
  usage: "",
  description: "",
  options: journalOptions("/default"),
  exitCodes: [],
  environment: [],
});
/** The journal options as a command line gives them (through the shared parser). */
const parse = (...argv: string[]) => {
  const line = parseCommandLine(spec, argv);
  if (line.help) throw new Error("help");
  return line.options;
};
const journalOption = (o: ReturnType<typeof parse>, fallback: string | undefined, env: NodeJS.ProcessEnv) =>
  journalOptionOf(o.journal, o["no-journal"], fallback, env);

describe("journal options", () => {
  it("--journal DIR wins, and goes to FLINT_JOURNAL for the processes this one starts", () => {
    const env: NodeJS.ProcessEnv = { [JOURNAL_ENV]: "/elsewhere" };
    expect(journalOption(parse("--journal", "/j"), "/default", env)).toBe("/j");
    expect(env[JOURNAL_ENV]).toBe("/j");
  });

  it("FLINT_JOURNAL before the default; --no-journal turns it off (FLINT_JOURNAL=off for children)", () => {
    expect(journalOption(parse(), "/default", { [JOURNAL_ENV]: "/from-env" })).toBe("/from-env");
    expect(journalOption(parse(), "/default", {})).toBe("/default");
    const env: NodeJS.ProcessEnv = {};
    expect(journalOption(parse("--no-journal"), "/default", env)).toBeUndefined();
    expect(env[JOURNAL_ENV]).toBe("off");
    expect(journalOption(parse(), "/default", { [JOURNAL_ENV]: "off" })).toBeUndefined();
    expect(journalOption(parse(), undefined, {})).toBeUndefined();
  });

  it("contradictions are usage errors", () => {
    expect(() => journalOption(parse("--journal", "/j", "--no-journal"), undefined, {})).toThrow(UsageError);
    expect(() => journalOption(parse("--journal", " "), undefined, {})).toThrow(/--journal needs a directory/);
  });

  it("a master's default is journal/ in its filesystem recovery directory; none with other recovery", () => {
    expect(masterJournalDefault({ mode: "filesystem", dir: "/var/flint" })).toBe("/var/flint/journal");
    expect(masterJournalDefault({ mode: "none" })).toBeUndefined();
    expect(masterJournalDefault({ mode: "zookeeper" })).toBeUndefined();
  });

  it("the recovery store skips the journal directory (no 'not a record name' problem on every restart)", async () => {
    const dir = join(tmp, "recovery");
    mkdirSync(join(dir, "journal"), { recursive: true });
    writeFileSync(join(dir, "journal", "master-x-1.0.jsonl"), "{}\n");
    const store = await FileSystemRecoveryStore.open(dir);
    try {
      const read = await store.read();
      expect(read.problems).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
