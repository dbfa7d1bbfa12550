/**
 * `flint fuzz` in CI: --shard gives disjoint seeds whose union is the whole set, --junit writes a
 * well-formed JUnit report with a failure per failing seed, every failure leaves its plan, shrunk
 * scenario and report in one folder, seeds are listed per documented weakness with a replay
 * command, and coverage steers a corpus that persists with --corpus and mutates deterministically.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseShard, run as fuzzCli, shardSeeds } from "../../src/cli/commands/fuzz.js";
import { junitXml } from "../../src/cli/fuzz-report.js";
import { Coverage, COVERED_ROLES, cellName, knownCells, summarize } from "../../src/sim/coverage.js";
import { drawPlan, fuzzPlan, mutatePlan, runPlan, scenarioJson } from "../../src/sim/fuzz/index.js";
import { ROLES } from "../../src/sim/roles.js";
import { parseScenario } from "../../src/sim/scenario.js";
import { captureOutput, loadScenario, SCENARIO_DIR } from "./helpers.js";

const BUGGY = join(SCENARIO_DIR, "museum", "SPARK-12552.json"); // most seeds fail I6 with its bug on
const io = captureOutput();
const temps: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), "flint-fuzz-ci-"));
  temps.push(d);
  return d;
};
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs `flint fuzz ... --json` and returns the exit code and the parsed summary. */
async function fuzzJson(args: string[]): Promise<{ code: number; j: any }> {
  io.stdout = "";
  const code = await fuzzCli([...args, "--jobs", "1", "--quiet", "--json"]);
  return { code, j: JSON.parse(io.stdout) };
}

/** A minimal XML well-formedness check: one root, every tag closed in order, attributes quoted, no stray `<` or `&`. */
function wellFormed(text: string): boolean {
  const body = text.replace(/^<\?xml[^?]*\?>\s*/, "");
  const stack: string[] = [];
  let roots = 0;
  const token = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let consumed = 0;
  for (let m = token.exec(body); m !== null; m = token.exec(body)) {
    consumed = token.lastIndex;
    if (m[5] !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(m[5])) return false;
      if (stack.length === 0 && m[5].trim() !== "") return false;
      continue;
    }
    if (m[1] === "/") {
      if (stack.pop() !== m[2]) return false;
    } else if (m[4] !== "/") {
      if (stack.length === 0) roots++;
      stack.push(m[2]!);
    } else if (stack.length === 0) roots++;
  }
  return consumed === body.length && stack.length === 0 && roots === 1;
}

describe("flint fuzz --shard", () => {
  it("shards: disjoint seeds whose union is the whole set, for any N", () => {
    for (const seeds of [1, 7, 20]) {
      for (const count of [1, 2, 3, 4, 9]) {
        const all: number[] = [];
        for (let index = 1; index <= count; index++) {
          const s = shardSeeds(5, seeds, { index, count });
          for (let k = 0; k < s.size; k++) all.push(s.at(k)!);
          expect(s.at(s.size)).toBeNull();
        }
        expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: seeds }, (_, i) => 5 + i));
      }
    }
  });

  it("cli: the shards of a run fail on exactly the seeds the whole run fails on, each seed in one shard", async () => {
    const whole = await fuzzJson([BUGGY, "--seeds", "6", "--max-failures", "100", "--shrink-budget", "0", "--out", temp()]);
    expect(whole.code).toBe(1);
    const failed = whole.j.failures.map((f: { seed: number }) => f.seed).sort();
    expect(failed.length).toBeGreaterThan(1);
    const fromShards: number[] = [];
    let seeds = 0;
    for (const shard of ["1/3", "2/3", "3/3"]) {
      const { j } = await fuzzJson([
        BUGGY,
        "--seeds",
        "6",
        "--shard",
        shard,
        "--max-failures",
        "100",
        "--shrink-budget",
        "0",
        "--out",
        temp(),
      ]);
      expect(j.shard).toBe(shard);
      seeds += j.seeds;
      const index = Number(shard[0]);
      for (const f of j.failures) expect((f.seed - 1) % 3).toBe(index - 1);
      fromShards.push(...j.failures.map((f: { seed: number }) => f.seed));
    }
    expect(seeds).toBe(6);
    expect(fromShards.sort()).toEqual(failed);
  });

  it("cli: bad --shard values exit 2 with a message naming the problem", async () => {
    for (const [bad, why] of [
      ["0/4", "between 1 and N"],
      ["5/4", "between 1 and N"],
      ["1/0", "N must be at least 1"],
      ["4", "must be I/N"],
      ["a/b", "must be I/N"],
      ["-1/4", "must be I/N"],
    ] as const) {
      io.stderr = "";
      expect(await fuzzCli([BUGGY, "--seeds", "2", "--shard", bad, "--quiet"])).toBe(2);
      expect(io.stderr).toContain(why);
    }
    expect(() => parseShard("3/2")).toThrow(/between 1 and N/);
    expect(parseShard("2/4")).toEqual({ index: 2, count: 4 });
  });
});

describe("flint fuzz failures for CI", () => {
  it("cli: --junit writes well-formed JUnit XML with one testcase per scenario x shard and a failure per failing seed", async () => {
    const dir = temp();
    const file = join(dir, "junit.xml");
    const { code, j } = await fuzzJson([
      BUGGY,
      join(SCENARIO_DIR, "lost-tasks.json"),
      "--seeds",
      "4",
      "--shard",
      "1/2",
      "--max-failures",
      "100",
      "--shrink-budget",
      "0",
      "--out",
      dir,
      "--junit",
      file,
    ]);
    expect(code).toBe(1);
    const xml = readFileSync(file, "utf8");
    expect(wellFormed(xml)).toBe(true);
    expect(xml.match(/<testcase /g)).toHaveLength(2);
    expect(xml).toContain('name="SPARK-12552 shard 1/2"');
    expect(xml).toContain('name="lost-tasks shard 1/2"');
    const failures = [...xml.matchAll(/<failure message="seed (\d+): ([^"]+)" type="[^"]+">([^<]*)<\/failure>/g)];
    expect(failures.map((m) => Number(m[1]))).toEqual(j.failures.map((f: { seed: number }) => f.seed));
    for (const m of failures) {
      expect(m[2]).toMatch(/^I6:/);
      expect(m[3]).toContain("replay: npx flint sim ");
      expect(m[3]).toMatch(/counts 0 cores/); // the detail
    }
    expect(
      wellFormed(
        junitXml(
          [
            {
              file: "a&b.json",
              seeds: 1,
              failures: [
                {
                  file: "a&b.json",
                  seed: 1,
                  mutant: null,
                  check: "I1:<x>",
                  detail: 'a "quoted" <detail> & more',
                  dir: null,
                  planFile: null,
                  shrunkFile: null,
                },
              ],
            },
          ],
          "1/1",
          1,
        ),
      ),
    ).toBe(true);
    expect(wellFormed("<a><b></a></b>")).toBe(false); // the checker can fail
  });

  it("cli: a failure leaves plan.json, shrunk.json and report.txt in its folder; the shrunk scenario fails the same check", async () => {
    const out = temp();
    const { code, j } = await fuzzJson([BUGGY, "--seeds", "3", "--max-failures", "1", "--shrink-budget", "20s", "--out", out]);
    expect(code).toBe(1);
    const f = j.failures[0];
    expect(f.dir).toBe(join(out, "failures", `SPARK-12552-seed-${f.seed}`));
    expect(readdirSync(f.dir).sort()).toEqual(["plan.html", "plan.json", "report.txt", "shrunk.html", "shrunk.json"]);
    const plan = parseScenario(JSON.parse(readFileSync(join(f.dir, "plan.json"), "utf8")));
    const shrunk = parseScenario(JSON.parse(readFileSync(join(f.dir, "shrunk.json"), "utf8")));
    expect(runPlan(plan, ROLES).failure?.check).toBe(f.check);
    expect(runPlan(shrunk, ROLES).failure?.check).toBe(f.check);
    expect(shrunk.faults.length).toBeLessThanOrEqual(plan.faults.length);
    const report = readFileSync(join(f.dir, "report.txt"), "utf8");
    expect(report).toContain(`check:    ${f.check}`);
    expect(report).toContain(`replay:   npx flint sim ${join(f.dir, "plan.json")} --seed ${f.seed}`);
    expect(report).toMatch(/shrunk in \d+ runs.*still I6:/);
  });

  it("cli: shrinking is off by default when there are many failures, and --shrink-budget 0 turns it off", async () => {
    const out = temp();
    const { j } = await fuzzJson([BUGGY, "--seeds", "6", "--max-failures", "100", "--out", out]);
    expect(j.failures.length).toBeGreaterThan(3);
    for (const f of j.failures) expect(existsSync(join(f.dir, "shrunk.json"))).toBe(false);
  });

  it("cli: seeds that hit a documented weakness are listed per weakness with a replay command whose plan hits it", async () => {
    const out = temp();
    // Seed 22 of master-failover hits §3.5.1 (no fencing) and fails nothing else.
    const { code, j } = await fuzzJson([join(SCENARIO_DIR, "master-failover.json"), "--from", "22", "--seeds", "1", "--out", out]);
    expect(code).toBe(0);
    expect(j.weaknesses.length).toBeGreaterThan(0);
    const w = j.weaknesses[0];
    expect(w.count).toBeGreaterThanOrEqual(w.first.length);
    const hit = w.first[0];
    expect(hit.replay).toBe(`npx flint sim ${hit.plan} --seed ${hit.seed}`);
    const plan = parseScenario(JSON.parse(readFileSync(hit.plan, "utf8")));
    expect(runPlan(plan, ROLES).weaknessNames).toContain(w.weakness);
    io.stdout = "";
    await fuzzCli([join(SCENARIO_DIR, "master-failover.json"), "--from", "22", "--seeds", "1", "--out", out, "--jobs", "1", "--quiet"]);
    expect(io.stdout).toContain(`${w.weakness}: ${w.count} seed`);
    expect(io.stdout).toContain(hit.replay);
  });
});

describe("coverage that steers", () => {
  it("coverage: the known cells come from the roles' code (each role's dispatch), reached cells are counted per role", () => {
    const t = knownCells(ROLES);
    expect(t.roles.master.phases).toEqual(["STANDBY", "ALIVE", "RECOVERING", "COMPLETING_RECOVERY"]);
    expect(t.roles.master.inputs).toContain("RegisterWorker");
    expect(t.roles.master.inputs).not.toContain("LaunchTask"); // the master's dispatch rejects it as unexpected
    expect(t.roles.executor.inputs).toContain("LaunchTask");
    expect(t.roles.executor.inputs).not.toContain("RegisterWorker");
    expect(t.roles.driver.inputs).toContain("command:killExecutors"); // the driver's user actions
    expect(t.roles.master.inputs).toEqual(expect.arrayContaining(["command:stop"]));
    expect(t.roles.master.inputs).not.toContain("command:killExecutors"); // "unsupported-command"
    expect(t.roles.worker.inputs).not.toContain("command:submitJob"); // "unexpected-command"
    for (const role of COVERED_ROLES) expect(t.roles[role].cells.length).toBe(t.roles[role].phases.length * t.roles[role].inputs.length);
    const cov = new Coverage();
    fuzzPlan(drawPlan(loadScenario("master-failover.json"), 1), ROLES, { coverage: cov });
    const s = summarize(t, new Set(cov.cellsHit()), new Set(cov.branchesHit()));
    for (const role of COVERED_ROLES) {
      expect(s.roles[role].reached).toBeGreaterThan(0);
      expect(s.roles[role].reached + s.roles[role].never.length).toBe(s.roles[role].known);
    }
    expect(cov.cellsHit().map(cellName)).toContain("master ALIVE RegisterWorker");
  });

  it("coverage: counting it does not change a run", () => {
    const plan = drawPlan(loadScenario("lost-tasks.json"), 4);
    const plain = runPlan(plan, ROLES);
    const counted = fuzzPlan(plan, ROLES, { coverage: new Coverage() }).outcome;
    expect({ ...counted }).toEqual({ ...plain });
  });

  it("mutants: deterministic, different from their parent, and replayable", () => {
    const base = loadScenario("lost-tasks.json");
    const parent = drawPlan(base, 3);
    const a = mutatePlan(base, parent, 42);
    expect(mutatePlan(base, parent, 42)).toEqual(a);
    expect(JSON.stringify(a.faults) + a.seed).not.toBe(JSON.stringify(parent.faults) + parent.seed);
    expect(a.comment).toContain("mutant of");
    expect(parseScenario(JSON.parse(scenarioJson(a)))).toEqual(a);
  });

  it("cli: a run with mutations is deterministic; --corpus keeps the corpus across runs and later runs mutate it", async () => {
    const corpus = temp();
    const args = [join(SCENARIO_DIR, "lost-tasks.json"), "--seeds", "6", "--mutations", "6", "--out", temp()];
    const first = await fuzzJson([...args, "--corpus", corpus]);
    expect(first.j.corpus.added).toBeGreaterThan(0);
    expect(first.j.mutants).toBe(6);
    const saved = readdirSync(join(corpus, "lost-tasks"));
    expect(saved.length).toBe(first.j.corpus.added);
    const again = await fuzzJson([...args]);
    const pick = (j: any) => ({
      coverage: j.coverage,
      failures: j.failures.length,
      mutants: j.mutants,
      added: j.corpus.added,
      events: j.events,
    });
    expect(pick(again.j)).toEqual(pick(first.j));
    const later = await fuzzJson([
      join(SCENARIO_DIR, "lost-tasks.json"),
      "--seeds",
      "2",
      "--mutations",
      "4",
      "--corpus",
      corpus,
      "--out",
      temp(),
    ]);
    expect(later.j.corpus.loaded).toBe(saved.length);
    expect(later.j.mutants).toBe(4);
  });

  it("cli: the coverage table is printed, with cells never reached", async () => {
    io.stdout = "";
    expect(await fuzzCli([join(SCENARIO_DIR, "lost-tasks.json"), "--seeds", "2", "--jobs", "1", "--quiet", "--out", temp()])).toBe(0);
    expect(io.stdout).toMatch(/coverage: master \d+\/\d+, worker \d+\/\d+, driver \d+\/\d+, executor \d+\/\d+/);
    expect(io.stdout).toMatch(/never reached, master: master STANDBY/);
  });
});
