/**
 * Where the flight recorder writes: --journal / --no-journal / FLINT_JOURNAL, the master's default
 * inside its recovery directory, which the recovery store does not take for a record, and
 * `./flint-journal` for a master whose store has no directory (the recorder is on by default).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineCommand, parseCommandLine, UsageError } from "../../src/cli/args.js";
import { journalOption as journalOptionOf, journalOptions, masterJournalDefault } from "../../src/cli/commands/journal-option.js";
import { JOURNAL_ENV } from "../../src/real/journal/format.js";
import { FileSystemRecoveryStore } from "../../src/real/recovery/filesystem.js";
import { fileTempDir } from "../hygiene/tempDir.js";
import { DIST_READY, FLINT_BIN, ProcessTracker, waitFor } from "../real/cluster/harness.js";
import { ZkTestServer, zooKeeperMissing } from "../real/recovery/zkServer.js";

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

  it("a master's default is journal/ in its filesystem recovery directory, ./flint-journal with other recovery (on by default)", () => {
    expect(masterJournalDefault({ mode: "filesystem", dir: "/var/flint" })).toBe("/var/flint/journal");
    expect(masterJournalDefault({ mode: "none" })).toBe("flint-journal");
    expect(masterJournalDefault({ mode: "zookeeper" })).toBe("flint-journal");
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

/** Starts `flint master` in `cwd` (ports chosen by the system, no web UI, FLINT_JOURNAL unset) with `args`; `output()` is what it printed so far. */
function startMasterIn(
  cwd: string,
  tracker: ProcessTracker,
  args: string[],
): { child: ChildProcess; exited: Promise<unknown>; output(): string } {
  mkdirSync(cwd, { recursive: true });
  const env = { ...process.env };
  delete env[JOURNAL_ENV];
  const child = spawn(process.execPath, [FLINT_BIN, "master", "--port", "0", "--status-port", "0", "--web-port", "off", ...args], {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  tracker.track(child.pid!);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  return { child, exited, output: () => out };
}

/**
 * Starts `flint master` in `cwd` with `args`, waits until its journal holds the step that made it
 * leader (written within the writer's 100 ms flush interval), stops it with SIGTERM and
 * returns the journal files it left in `cwd`/flint-journal.
 */
async function journalOfMasterIn(cwd: string, tracker: ProcessTracker, ...args: string[]): Promise<string[]> {
  const { child, exited, output } = startMasterIn(cwd, tracker, args);
  const dir = join(cwd, "flint-journal");
  const files = (): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".jsonl")) : []);
  try {
    await waitFor(
      "the master's journal with its first step",
      () => files().some((f) => readFileSync(join(dir, f), "utf8").includes('"i":{"type":"leaderElected"')),
      20_000,
      50,
    );
  } catch (err) {
    child.kill("SIGKILL");
    throw new Error(`${(err as Error).message}; the master said: ${output()}`);
  }
  child.kill("SIGTERM");
  await exited;
  return files().map((f) => join(dir, f));
}

describe.skipIf(!DIST_READY)("journals on by default: a master without a recovery directory", () => {
  const tracker = new ProcessTracker();
  afterAll(() => {
    expect(tracker.cleanup()).toEqual([]);
  });

  const expectMasterJournal = (files: string[]): void => {
    expect(files).toHaveLength(1);
    expect(files[0]!).toMatch(/\/master-127\.0\.0\.1_\d+-\d+\.0\.jsonl$/);
    const [header, ...records] = readFileSync(files[0]!, "utf8").trimEnd().split("\n");
    expect(JSON.parse(header!)).toMatchObject({ role: "master", segment: 0 });
    expect(JSON.parse(records[0]!)).toMatchObject({ s: 1 });
    expect(records.map((r) => (JSON.parse(r) as { i: { type: string } }).i.type)).toContain("leaderElected");
  };

  it("--recovery none: the master journals into ./flint-journal, and --no-journal writes nothing", async () => {
    expectMasterJournal(await journalOfMasterIn(join(tmp, "none"), tracker, "--recovery", "none"));
    // --no-journal: started, led, stopped, and no journal folder.
    const cwd = join(tmp, "none-off");
    const { child, exited, output } = startMasterIn(cwd, tracker, ["--recovery", "none", "--no-journal"]);
    await waitFor("the master to listen", () => output().includes("listening on") || undefined, 20_000, 50);
    child.kill("SIGTERM");
    await exited;
    expect(readdirSync(cwd)).toEqual([]);
  }, 60_000);

  describe.skipIf(zooKeeperMissing !== undefined)("with ZooKeeper", () => {
    let zk: ZkTestServer | undefined;
    beforeAll(async () => {
      zk = await ZkTestServer.start();
    }, 60_000);
    afterAll(async () => {
      await zk?.destroy();
    });

    it("--recovery zookeeper:...: the master journals into ./flint-journal", async () => {
      expectMasterJournal(
        await journalOfMasterIn(join(tmp, "zk"), tracker, "--recovery", `zookeeper:${zk!.connectString}/journal-default`),
      );
    }, 60_000);
  });
});

describe.skipIf(!DIST_READY)("journals on by default: a client-mode driver (flint submit)", () => {
  const APP = "export function f(x) { return x; }\nexport async function main(ctx) { return ctx.run('f', [1]); }\n";
  /**
   * `flint submit` in `cwd` against a master that is not there: its driver starts, retries its
   * registration rounds (three of 300 ms here, through the protocol config) and gives up.
   */
  const submit = (cwd: string, ...args: string[]) => {
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, "app.mjs"), APP);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      FLINT_PROTOCOL_CONFIG: JSON.stringify({ appRegistrationTimeoutMs: 300, appRegistrationRetries: 3 }),
    };
    delete env[JOURNAL_ENV];
    return spawnSync(process.execPath, [FLINT_BIN, "submit", "app.mjs", "--master", "flint://127.0.0.1:1", "--quiet", ...args], {
      cwd,
      env,
      encoding: "utf8",
      timeout: 30_000,
    });
  };

  it("journals into ./flint-journal; --no-journal writes nothing; --journal DIR elsewhere", () => {
    const cwd = join(tmp, "submit");
    const r = submit(cwd);
    expect(r.stderr).toMatch(/All masters are unresponsive! Giving up\. \(127\.0\.0\.1:1 refused the connection\)/);
    expect(r.status).toBe(1);
    const files = readdirSync(join(cwd, "flint-journal"));
    expect(files).toHaveLength(1);
    expect(files[0]!).toMatch(/^driver-127\.0\.0\.1_\d+-\d+\.0\.jsonl$/);
    const header = JSON.parse(readFileSync(join(cwd, "flint-journal", files[0]!), "utf8").split("\n")[0]!) as { role: string };
    expect(header.role).toBe("driver");

    const off = join(tmp, "submit-off");
    expect(submit(off, "--no-journal").status).toBe(1);
    expect(readdirSync(off)).toEqual(["app.mjs"]);

    const elsewhere = join(tmp, "submit-elsewhere");
    expect(submit(elsewhere, "--journal", "j").status).toBe(1);
    expect(readdirSync(join(elsewhere, "j"))).toHaveLength(1);
    expect(existsSync(join(elsewhere, "flint-journal"))).toBe(false);
  }, 60_000);

  it("cluster mode: --journal and --no-journal are usage errors (its driver journals where its worker does)", () => {
    const r = submit(join(tmp, "submit-cluster"), "--deploy-mode", "cluster", "--journal", "j");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--journal works in client mode only");
  });
});
