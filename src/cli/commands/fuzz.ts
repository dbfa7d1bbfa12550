/**
 * `flint fuzz [scenario...] --seeds N | --time 60s [--jobs K] [--shard I/N] [--junit FILE] ...`:
 * swarm-fuzzes scenarios (fault kinds and rates drawn per seed, faults made explicit), checking
 * safety after every step and liveness after healing, across worker threads. Tracks the protocol
 * coverage the runs reach (src/sim/coverage.ts), keeps the plans that reached new ground as a
 * corpus and mutates them beside fresh seeds. A failure gets a folder with its plan, its shrunk
 * scenario and a report, and the exact replay command; seeds that hit a documented Spark weakness
 * are listed per weakness; --junit writes the JUnit XML report CI systems read.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { KNOWN_BUGS } from "../../protocol/config.js";
import { knownCells, summarize, type CoverageSummary } from "../../sim/coverage.js";
import { drawPlan, mutatePlan, replayable, scenarioJson, SWARM_BASE_NAME, swarmBase } from "../../sim/fuzz/index.js";
import { stream } from "../../sim/rng.js";
import { ROLES } from "../../sim/roles.js";
import { parseScenario, ScenarioError, type Scenario } from "../../sim/scenario.js";
import { shrink } from "../../sim/shrink/index.js";
import { defineCommand, runCommand, UsageError, type ParsedArgs } from "../args.js";
import { FuzzPool } from "../fuzz-pool.js";
import { checkInjectedMessages } from "../../harness/injected-messages.js";
import { pageHint, writeRunPage } from "../../view/write.js";
import {
  failureDir,
  failureReport,
  junitXml,
  replayCommand,
  scenarioName,
  WeaknessTable,
  writeFailure,
  type FuzzFailure,
} from "../fuzz-report.js";
import type { WorkerReply, WorkerTask } from "../fuzz-worker.js";

/** Shrinking is on by default only when a run has at most this many failures. */
export const AUTO_SHRINK_MAX_FAILURES = 3;
/** The default shrink budget per failure. */
export const DEFAULT_SHRINK_BUDGET_MS = 30_000;
/** Runs per round: a round's mutants come from the corpus as the previous round left it, so results do not depend on thread timing. */
export const ROUND_SIZE = 64;
/** Never-reached cells printed per role (--json has them all). */
const NEVER_SHOWN = 8;

export const spec = defineCommand({
  name: "fuzz",
  summary: "fuzz scenarios with random fault plans (swarm testing), safety + liveness checks",
  usage: "[scenario.json | swarm ...] (--seeds N | --time T) [options]",
  description: `Runs every scenario (default: the shipped scenarios/*.json but big-cluster.json, which is slow:
name it to fuzz it, and the built-in base "swarm") under many seeds. The base "swarm" draws the
whole run from the seed: the cluster (1-3 masters, 1-8 workers, tight memory), the apps and
cluster-mode drivers, their jobs, the driver's own actions (request or kill executors, cancel a
job, kill a task) and faults of every kind the simulator has. Each seed draws
which fault kinds are on and how often (swarm testing), then an explicit fault plan: worker
crashes (some for good), pauses, partitions, executor crashes, leader crashes and pauses,
message drops, delays and duplicates, and lost or late executor registration replies
(RegisteredExecutor). Safety invariants are checked after every step; liveness (every job ends
once faults heal) at the end.

Coverage: each role's (phase x input type) cells and the reasons it ignored inputs for are
counted; a plan that reached something no earlier run had joins the corpus, and mutants of
corpus plans (faults shifted, removed, added, stretched, or a new run seed) run beside fresh
seeds. The cells reached of those known, per role, and the ones never reached are printed.`,
  positionals: { name: "scenario", max: Number.POSITIVE_INFINITY },
  options: {
    seeds: { type: "int", min: 1, value: "N", help: "seeds per scenario (from --from)" },
    time: { type: "duration", value: "T", help: "keep going until T of wall time has passed (a duration: 90s, 5m, 1h)" },
    from: { type: "int", min: 0, value: "S", default: 1, help: "first seed" },
    shard: {
      type: "string",
      value: "I/N",
      check: shardProblem,
      defaultHelp: "1/1",
      help: "run only shard I of N (1 <= I <= N): seed from+j where j mod N = I-1, so the\nN jobs of a CI matrix run disjoint seeds whose union is the whole set",
    },
    jobs: { type: "int", min: 1, value: "K", defaultHelp: "one per core", help: "worker threads" },
    bug: { type: "strings", choices: Object.keys(KNOWN_BUGS), noun: "bug", value: "NAME", help: "turn on a historic bug" },
    strict: { type: "boolean", help: "also fail on documented Spark weaknesses (docs/protocol.md §3.5: split brain, ...)" },
    out: {
      type: "string",
      value: "DIR",
      default: ".flint/fuzz",
      help: "where failures go: DIR/failures/<scenario>-seed-<N>/ holds plan.json,\nshrunk.json and report.txt; DIR/weaknesses/ the plans of the first seeds\nthat hit each documented weakness",
    },
    junit: { type: "string", value: "FILE", help: "write a JUnit XML report (one testcase per scenario x shard, a failure per seed)" },
    "shrink-budget": {
      type: "duration",
      value: "T",
      defaultHelp: `${DEFAULT_SHRINK_BUDGET_MS / 1000}s when there are at most ${AUTO_SHRINK_MAX_FAILURES} failures, else 0`,
      help: "shrink each failure for at most T (given explicitly, every failure is\nshrunk; 0 = never)",
    },
    corpus: { type: "string", value: "DIR", help: "keep the corpus across runs in DIR (e.g. .flint/fuzz/corpus): load it, add to it" },
    mutations: {
      type: "int",
      min: 0,
      value: "M",
      defaultHelp: "0 with --seeds, so a seed budget runs exactly those seeds; with --time, half the runs once the corpus has a plan",
      help: "mutant runs besides the seeds",
    },
    "no-coverage": { type: "boolean", help: "do not track coverage (no corpus growth, no coverage table)" },
    "max-failures": { type: "int", min: 1, value: "N", default: 10, help: "stop after N failures" },
    json: { type: "boolean", help: "print a JSON summary on stdout" },
    quiet: { type: "boolean", help: "no progress bar" },
  },
  footer: "Give exactly one of --seeds and --time. A failure prints the `npx flint sim` command that replays it.",
  exitCodes: [
    [0, "no seed failed"],
    [1, "some seed failed (its plan, shrunk scenario and replay command are printed)"],
    [2, "bad usage, or a bad scenario or corpus file"],
  ],
  environment: [],
});

interface Args {
  files: string[];
  seeds: number | null;
  timeMs: number | null;
  from: number;
  shard: { index: number; count: number };
  jobs: number;
  bugs: string[];
  strict: boolean;
  out: string;
  junit: string | null;
  shrinkBudgetMs: number | null;
  corpus: string | null;
  mutations: number | null;
  coverage: boolean;
  maxFailures: number;
  json: boolean;
  quiet: boolean;
}

/** Why `I/N` is not a shard (1 <= I <= N), or undefined. */
function shardProblem(v: string): string | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  if (!m) return "must be I/N, e.g. 2/4";
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!Number.isSafeInteger(count) || count < 1) return "N must be at least 1";
  if (index < 1 || index > count) return `I must be between 1 and N (${count})`;
  return undefined;
}

/** `I/N` with 1 <= I <= N. */
export function parseShard(v: string): { index: number; count: number } {
  const problem = shardProblem(v);
  if (problem !== undefined) throw new UsageError(`--shard ${v}: ${problem}`);
  const [index, count] = v.trim().split("/").map(Number);
  return { index: index!, count: count! };
}

function argsOf({ options: o, positionals }: ParsedArgs<typeof spec>): Args {
  if ((o.seeds === undefined) === (o.time === undefined)) throw new UsageError("give exactly one of --seeds N or --time T");
  return {
    files: positionals,
    seeds: o.seeds ?? null,
    timeMs: o.time ?? null,
    from: o.from,
    shard: o.shard === undefined ? { index: 1, count: 1 } : parseShard(o.shard),
    jobs: o.jobs ?? availableParallelism(),
    bugs: o.bug,
    strict: o.strict,
    out: o.out,
    junit: o.junit ?? null,
    shrinkBudgetMs: o["shrink-budget"] ?? null,
    corpus: o.corpus ?? null,
    mutations: o.mutations ?? null,
    coverage: !o["no-coverage"],
    maxFailures: o["max-failures"],
    json: o.json,
    quiet: o.quiet,
  };
}

/**
 * The scenarios fuzzed by default: the shipped scenarios/*.json but the JSON Schema and big-cluster
 * (1,000 workers: one seed of it costs as much as hundreds of the others, so `--seeds 500` would
 * take most of an hour on 2 cores; name it to fuzz it).
 */
export const NOT_FUZZED_BY_DEFAULT = ["big-cluster.json"];

export function shippedScenarios(): string[] {
  const dir = fileURLToPath(new URL("../../../scenarios/", import.meta.url));
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json") && !f.endsWith(".schema.json") && !NOT_FUZZED_BY_DEFAULT.includes(f))
    .sort()
    .map((f) => join(dir, f));
}

export function loadScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ScenarioError(file, `cannot read: ${(e as Error).message}`);
  }
  try {
    const scenario = parseScenario(JSON.parse(text));
    checkInjectedMessages(scenario);
    return scenario;
  } catch (e) {
    if (e instanceof ScenarioError) throw new ScenarioError(`${file}: ${e.path}`, e.message.slice(e.path.length + 2));
    throw new ScenarioError(file, `not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * The seeds of a shard: from + j for j = I-1, I-1+N, I-1+2N, ... (below `seeds` when given).
 * Disjoint across the N shards, and together exactly from..from+seeds-1.
 */
export function shardSeeds(
  from: number,
  seeds: number | null,
  shard: { index: number; count: number },
): { at(k: number): number | null; size: number } {
  const first = shard.index - 1;
  const size = seeds === null ? Number.POSITIVE_INFINITY : Math.max(0, Math.ceil((seeds - first) / shard.count));
  return { at: (k) => (k < size ? from + first + k * shard.count : null), size };
}

/** A corpus plan: it reached coverage no earlier run had (or was loaded from --corpus). */
interface CorpusEntry {
  base: number;
  plan: Scenario;
}

function loadCorpus(dir: string, files: string[]): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  files.forEach((file, base) => {
    const sub = join(dir, scenarioName(file));
    if (!existsSync(sub)) return;
    for (const f of readdirSync(sub)
      .filter((n) => n.endsWith(".json"))
      .sort())
      out.push({ base, plan: loadScenarioFile(join(sub, f)) });
  });
  return out;
}

function saveCorpusPlan(dir: string, file: string, plan: Scenario): void {
  const json = scenarioJson(plan);
  const sub = join(dir, scenarioName(file));
  mkdirSync(sub, { recursive: true });
  writeFileSync(
    join(sub, `${scenarioName(file)}-seed-${plan.seed}-${createHash("sha1").update(json).digest("hex").slice(0, 10)}.json`),
    json,
  );
}

interface Failure extends FuzzFailure {
  plan: Scenario | null;
}

export function run(argv: string[]): Promise<number> {
  return runCommand(spec, argv, async (parsed) => {
    const args = argsOf(parsed);
    let bases: Scenario[];
    let files: string[];
    let corpus: CorpusEntry[] = [];
    try {
      files = args.files.length > 0 ? args.files : [...shippedScenarios(), SWARM_BASE_NAME];
      bases = files.map((f) => (f === SWARM_BASE_NAME ? swarmBase() : loadScenarioFile(f)));
      if (args.corpus !== null) corpus = loadCorpus(args.corpus, files);
    } catch (e) {
      if (e instanceof ScenarioError) {
        process.stderr.write(`flint fuzz: bad scenario: ${e.message}\n`);
        return 2;
      }
      throw e;
    }
    return fuzz(args, files, bases, corpus);
  });
}

async function fuzz(args: Args, files: string[], bases: Scenario[], corpus: CorpusEntry[]): Promise<number> {
  const loadedCorpus = corpus.length;
  const started = Date.now();
  const deadline = args.timeMs === null ? Number.POSITIVE_INFINITY : started + args.timeMs;
  const shardLabel = `${args.shard.index}/${args.shard.count}`;
  const seedsOfShard = shardSeeds(args.from, args.seeds, args.shard);
  const freshTotal = seedsOfShard.size * bases.length;
  let mutantsLeft = args.mutations ?? (args.seeds === null ? Number.POSITIVE_INFINITY : 0);
  const pool = new FuzzPool({ bases, bugs: args.bugs, strict: args.strict, coverage: args.coverage, threads: args.jobs });
  const mutantRng = stream(`${args.from}/${shardLabel}`, "fuzz/mutants");

  let ran = 0;
  let done = 0;
  let events = 0;
  let weaknessSeeds = 0;
  let mutantsRun = 0;
  let corpusAdded = 0;
  const perBase = files.map(() => 0);
  const failures: Failure[] = [];
  const weaknesses = new WeaknessTable();
  /** Seeds whose liveness was not judged, by the named reason (liveness.ts `LivenessUnjudged`). */
  const unjudged: Record<string, number> = {};
  const cells = new Set<number>();
  const branches = new Set<string>();
  const tty = process.stderr.isTTY === true;
  let lastDraw = 0;
  const status = (): string => {
    const s = (Date.now() - started) / 1000;
    return `fuzz: ${ran}${Number.isFinite(freshTotal) && mutantsLeft === 0 ? `/${freshTotal}` : ""} runs, ${(ran / Math.max(s, 0.001)).toFixed(1)} runs/s, ${failures.length} failures, ${weaknessSeeds} weakness hits, ${cells.size} cells, ${s.toFixed(0)}s`;
  };
  const draw = (force: boolean): void => {
    if (args.quiet) return;
    const now = Date.now();
    if (!force && now - lastDraw < (tty ? 100 : 10_000)) return;
    lastDraw = now;
    process.stderr.write(tty ? `\r${status()}\x1b[K` : `${status()}\n`);
  };

  /** Takes in one reply, in schedule order; false once the failure limit is reached. */
  const take = (r: WorkerReply, task: WorkerTask): boolean => {
    done++;
    if (r.livenessUnjudged !== null) unjudged[r.livenessUnjudged] = (unjudged[r.livenessUnjudged] ?? 0) + 1;
    perBase[r.base]!++;
    events += r.events;
    const file = files[r.base]!;
    const mutantIndex = task.plan !== undefined ? task.index : null;
    const planOf = (): Scenario => task.plan ?? drawPlan(bases[r.base]!, r.seed, { bugs: args.bugs });
    if (r.weaknesses > 0) {
      weaknessSeeds++;
      weaknesses.add(r.weaknessNames, file, r.seed, () => {
        const dir = join(args.out, "weaknesses");
        mkdirSync(dir, { recursive: true });
        const planFile = join(dir, `${scenarioName(file)}-seed-${r.seed}${mutantIndex === null ? "" : `-m${mutantIndex}`}.json`);
        writeFileSync(planFile, scenarioJson(planOf()));
        return planFile;
      });
    }
    let fresh = false;
    for (const c of r.cells) if (!cells.has(c)) (fresh = true), cells.add(c);
    for (const b of r.branches) if (!branches.has(b)) (fresh = true), branches.add(b);
    if (fresh && r.ok) {
      const plan = planOf();
      corpus.push({ base: r.base, plan });
      corpusAdded++;
      if (args.corpus !== null) saveCorpusPlan(args.corpus, file, plan);
    }
    if (!r.ok) {
      // A crash of the worker's own code comes without the replayable plan: the drawn plan still replays the run.
      const plan = r.plan ?? planOf();
      const f: Failure = {
        file,
        seed: r.seed,
        mutant: task.plan !== undefined ? (task.plan.comment.match(/mutant of [^\]]*/)?.[0] ?? "mutant") : null,
        check: r.check ?? "?",
        detail: r.detail,
        dir: failureDir(args.out, file, r.seed, mutantIndex),
        planFile: null,
        shrunkFile: null,
        plan,
      };
      f.planFile = writeFailure(f, plan);
      failures.push(f);
      if (tty && !args.quiet) process.stderr.write("\n");
      process.stderr.write(`FAIL ${file} seed ${r.seed}${f.mutant !== null ? ` (${f.mutant})` : ""}: ${f.check}: ${f.detail}\n`);
      if (f.planFile !== null) {
        process.stderr.write(`  plan:   ${f.planFile}\n`);
        process.stderr.write(`  replay: ${replayCommand(f.planFile, r.seed)}${pageHint(writeRunPage(f.planFile, plan, r.seed))}\n`);
        process.stderr.write(`  shrink: npx flint shrink ${f.planFile}\n`);
      }
    }
    return failures.length < args.maxFailures;
  };

  let nextFresh = 0;
  let nextIndex = 0;
  let stop = false;
  try {
    while (!stop && Date.now() < deadline) {
      const batch: WorkerTask[] = [];
      const mutants = corpus.length > 0 ? Math.min(mutantsLeft, ROUND_SIZE / 2) : 0;
      while (batch.length < ROUND_SIZE - mutants && nextFresh < freshTotal) {
        const i = nextFresh++;
        batch.push({ type: "seed", base: i % bases.length, seed: seedsOfShard.at(Math.floor(i / bases.length))!, index: nextIndex++ });
      }
      for (let m = 0; m < mutants; m++) {
        const parent = corpus[mutantRng.int(0, corpus.length - 1)]!;
        const plan = mutatePlan(bases[parent.base]!, parent.plan, mutantRng.uint32(), { bugs: args.bugs });
        batch.push({ type: "seed", base: parent.base, seed: plan.seed, plan, index: nextIndex++ });
      }
      if (batch.length === 0) break;
      mutantsLeft -= mutants;
      const replies = await pool.runBatch(
        batch,
        () => {
          ran++;
          draw(false);
        },
        () => Date.now() < deadline,
      );
      replies.sort((a, b) => a.index - b.index);
      const first = batch[0]!.index;
      for (const r of replies) {
        const task = batch[r.index - first]!;
        if (task.plan !== undefined) mutantsRun++;
        if (!take(r, task)) {
          stop = true;
          break;
        }
      }
    }
  } finally {
    await pool.close();
  }
  draw(true);
  if (tty && !args.quiet) process.stderr.write("\n");
  const seconds = (Date.now() - started) / 1000;

  // Shrinking: on by default only when failures are few; each failure gets the same time budget.
  const shrinkBudgetMs = args.shrinkBudgetMs ?? (failures.length <= AUTO_SHRINK_MAX_FAILURES ? DEFAULT_SHRINK_BUDGET_MS : 0);
  if (failures.length > 0 && shrinkBudgetMs === 0 && args.shrinkBudgetMs === null)
    process.stderr.write(
      `fuzz: ${failures.length} failures: not shrinking them (more than ${AUTO_SHRINK_MAX_FAILURES}; --shrink-budget 30s shrinks each)\n`,
    );
  if (shrinkBudgetMs > 0) for (const f of failures) shrinkFailure(f, shrinkBudgetMs, args.strict);

  const table = args.coverage ? knownCells(ROLES) : null;
  const coverage: CoverageSummary | null = table === null ? null : summarize(table, cells, branches);
  if (args.junit !== null) mkdirSync(dirname(args.junit), { recursive: true });
  if (args.junit !== null)
    writeFileSync(
      args.junit,
      junitXml(
        files.map((file, b) => ({ file, seeds: perBase[b]!, failures: failures.filter((f) => f.file === file) })),
        shardLabel,
        seconds,
      ),
    );

  const threads = pool.threads;
  const result = {
    scenarios: files.length,
    shard: shardLabel,
    seeds: done,
    mutants: mutantsRun,
    seconds,
    seedsPerSecond: done / Math.max(seconds, 0.001),
    seedsPerSecondPerThread: done / Math.max(seconds, 0.001) / threads,
    threads,
    events,
    weaknessHits: weaknessSeeds,
    livenessUnjudged: unjudged,
    weaknesses: weaknesses.list(),
    coverage: coverage === null ? null : { ...coverage, cellsReached: cells.size, handlerOutcomes: [...branches].sort() },
    corpus: { loaded: loadedCorpus, added: corpusAdded, dir: args.corpus },
    failures: failures.map((f) => ({
      file: f.file,
      seed: f.seed,
      mutant: f.mutant,
      check: f.check,
      detail: f.detail,
      dir: f.dir,
      plan: f.planFile,
      shrunk: f.shrunkFile,
      replay: f.planFile === null ? null : replayCommand(f.planFile, f.seed),
    })),
  };
  if (args.json) {
    process.stdout.write(JSON.stringify(result) + "\n");
    return failures.length > 0 ? 1 : 0;
  }
  const out = (line: string): void => void process.stdout.write(line + "\n");
  out(
    `fuzz: ${done} runs (${mutantsRun} mutants) over ${files.length} scenarios${args.shard.count > 1 ? `, shard ${shardLabel}` : ""} in ${seconds.toFixed(1)} s on ${threads} threads (${result.seedsPerSecond.toFixed(1)} runs/s), ${failures.length} failures, ${weaknessSeeds} seeds hit a documented Spark weakness, ${unjudgedText(unjudged)}`,
  );
  const w = weaknesses.lines();
  if (w.length > 0) {
    out("documented Spark weaknesses hit (not failures; --strict fails them), with replay commands:");
    for (const line of w) out(line);
  }
  if (coverage !== null) {
    out(
      `coverage: ${Object.entries(coverage.roles)
        .map(([role, c]) => `${role} ${c.reached}/${c.known}`)
        .join(
          ", ",
        )} (phase x input cells reached/known); ${coverage.branches} ignored-input reasons seen; corpus ${corpus.length} plans (${corpusAdded} new)`,
    );
    for (const [role, c] of Object.entries(coverage.roles))
      if (c.never.length > 0)
        out(
          `  never reached, ${role}: ${c.never.slice(0, NEVER_SHOWN).join("; ")}${c.never.length > NEVER_SHOWN ? `; ... ${c.never.length - NEVER_SHOWN} more (--json lists all)` : ""}`,
        );
  }
  return failures.length > 0 ? 1 : 0;
}

/** Shrinks one failure within the budget and writes shrunk.json beside its plan. */
function shrinkFailure(f: Failure, budgetMs: number, strict: boolean): void {
  if (f.plan === null || f.dir === null) return;
  const until = Date.now() + budgetMs;
  let note: string;
  try {
    const r = shrink(f.plan, ROLES, { strict, stop: () => Date.now() >= until });
    f.shrunkFile = join(f.dir, "shrunk.json");
    const shrunk = replayable({ ...r.scenario, name: `${f.plan.name}-min` }, r.outcome);
    writeFileSync(f.shrunkFile, scenarioJson(shrunk));
    const page = writeRunPage(f.shrunkFile, shrunk, f.seed);
    process.stderr.write(`shrunk: ${f.shrunkFile}${pageHint(page)}\n`);
    const size = (z: { faults: number; nodes: number; tasks: number; events: number }): string =>
      `${z.faults} faults, ${z.nodes} nodes, ${z.tasks} tasks, ${z.events} events`;
    note = `shrunk in ${r.runs} runs${Date.now() >= until ? ` (stopped by the ${budgetMs / 1000}s budget)` : ""}: ${size(r.before)} -> ${size(r.after)}, still ${r.check}`;
  } catch (e) {
    note = `not shrunk: ${(e as Error).message}`;
  }
  writeFileSync(join(f.dir, "report.txt"), failureReport(f, note));
}

/** "liveness judged in every seed", or the seeds it was not judged in, by reason. */
function unjudgedText(unjudged: Record<string, number>): string {
  const reasons = Object.entries(unjudged).sort(([a], [b]) => (a < b ? -1 : 1));
  if (reasons.length === 0) return "liveness judged in every seed";
  return `liveness not judged in ${reasons.map(([why, n]) => `${n} (${why})`).join(", ")}`;
}
