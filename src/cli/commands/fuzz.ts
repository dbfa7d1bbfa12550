/**
 * `flint fuzz [scenario...] --seeds N | --time 60s [--jobs K] [--bug NAME] [--strict] [--out DIR]`:
 * swarm-fuzzes scenarios (fault kinds and rates drawn per seed, faults made explicit), checking
 * safety after every step and liveness after healing, across worker threads. A failure prints the
 * exact `flint sim` replay command and writes the failing run's plan as a scenario file.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { KNOWN_BUGS } from "../../protocol/config.js";
import { scenarioJson, SWARM_BASE_NAME, swarmBase } from "../../sim/fuzz/index.js";
import { parseScenario, ScenarioError, type Scenario } from "../../sim/scenario.js";
import { checkInjectedMessages } from "../injected-messages.js";
import { runTask, type WorkerReply, type WorkerRequest, type WorkerTask } from "../fuzz-worker.js";

export const summary = "fuzz scenarios with random fault plans (swarm testing), safety + liveness checks";

const USAGE = `Usage: flint fuzz [scenario.json | swarm ...] (--seeds N | --time T) [options]

Runs every scenario (default: the shipped scenarios/*.json but big-cluster.json, which is slow:
name it to fuzz it, and the built-in base "swarm") under many seeds. The base "swarm" draws the
whole run from the seed: the cluster (1-3 masters, 1-8 workers, tight memory), the apps and
cluster-mode drivers, their jobs, the driver's own actions (request or kill executors, cancel a
job, kill a task) and faults of every kind the simulator has. Each seed draws
which fault kinds are on and how often (swarm testing), then an explicit fault plan: worker
crashes (some for good), pauses, partitions, executor crashes, leader crashes and pauses,
message drops, delays and duplicates, and lost or late executor registration replies
(RegisteredExecutor). Safety invariants (docs/protocol.md §6) are checked after every
step; liveness (every job ends once faults heal) at the end.

Options:
  --seeds N       seeds per scenario (from --from, default 1)
  --time T        keep going until T of wall time has passed (90s, 5m, ...)
  --from S        first seed (default 1)
  --jobs K        worker threads (default: one per core)
  --bug NAME      turn on a historic bug (repeatable): ${Object.keys(KNOWN_BUGS).join(", ")}
  --strict        also fail on documented Spark weaknesses (docs/protocol.md §3.5: split brain, ...)
  --out DIR       where failing plans go (default .flint/fuzz)
  --max-failures N  stop after N failures (default 10)
  --json          print a JSON summary on stdout
  --quiet         no progress bar
  -h, --help      this help

Exit status: 0 no failure, 1 some seed failed, 2 bad usage or scenario file.`;

interface Args {
  files: string[];
  seeds: number | null;
  timeMs: number | null;
  from: number;
  jobs: number;
  bugs: string[];
  strict: boolean;
  out: string;
  maxFailures: number;
  json: boolean;
  quiet: boolean;
}

class UsageError extends Error {}

export function parseDuration(s: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new UsageError(`${flag}: cannot read ${JSON.stringify(s)} (try 60s, 5m)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Math.round(Number(m[1]) * unit);
}

function int(v: string, flag: string, min: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) throw new UsageError(`${flag} must be an integer >= ${min} (got ${JSON.stringify(v)})`);
  return Number(v);
}

function parseArgs(argv: string[]): Args | "help" {
  const a: Args = { files: [], seeds: null, timeMs: null, from: 1, jobs: availableParallelism(), bugs: [], strict: false, out: ".flint/fuzz", maxFailures: 10, json: false, quiet: false };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    switch (arg) {
      case "-h":
      case "--help":
        return "help";
      case "--seeds":
        a.seeds = int(value(i++, arg), arg, 1);
        break;
      case "--time":
        a.timeMs = parseDuration(value(i++, arg), arg);
        break;
      case "--from":
        a.from = int(value(i++, arg), arg, 0);
        break;
      case "--jobs":
        a.jobs = int(value(i++, arg), arg, 1);
        break;
      case "--bug": {
        const bug = value(i++, arg);
        if (!Object.hasOwn(KNOWN_BUGS, bug)) throw new UsageError(`--bug ${bug}: unknown bug (known: ${Object.keys(KNOWN_BUGS).join(", ")})`);
        a.bugs.push(bug);
        break;
      }
      case "--strict":
        a.strict = true;
        break;
      case "--out":
        a.out = value(i++, arg);
        break;
      case "--max-failures":
        a.maxFailures = int(value(i++, arg), arg, 1);
        break;
      case "--json":
        a.json = true;
        break;
      case "--quiet":
        a.quiet = true;
        break;
      default:
        if (arg.startsWith("-")) throw new UsageError(`unknown option ${arg}`);
        a.files.push(arg);
    }
  }
  if ((a.seeds === null) === (a.timeMs === null)) throw new UsageError("give exactly one of --seeds N or --time T");
  return a;
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

/** Runs tasks on K worker threads (or in this thread when K is 1 or the compiled worker is missing). */
async function execute(tasks: () => WorkerTask | null, bases: Scenario[], args: Args, onReply: (r: WorkerReply) => boolean): Promise<number> {
  const workerFile = new URL("../fuzz-worker.js", import.meta.url);
  const threads = args.jobs > 1 && existsSync(fileURLToPath(workerFile)) ? args.jobs : 1;
  if (threads === 1) {
    for (let t = tasks(); t !== null; t = tasks()) {
      if (!onReply(runTask(bases, args.bugs, args.strict, t))) break;
      await new Promise<void>((resolve) => setImmediate(resolve)); // let the progress bar draw
    }
    return 1;
  }
  const init: WorkerRequest = { type: "init", bases, bugs: args.bugs, strict: args.strict };
  let stopped = false;
  await Promise.all(
    Array.from({ length: threads }, () => {
      const w = new Worker(workerFile);
      w.postMessage(init);
      return new Promise<void>((resolve, reject) => {
        let inFlight = 0;
        const feed = (): void => {
          while (!stopped && inFlight < 2) {
            const t = tasks();
            if (t === null) break;
            inFlight++;
            w.postMessage(t);
          }
          if (inFlight === 0) {
            w.postMessage({ type: "stop" } satisfies WorkerRequest);
            void w.terminate().then(() => resolve());
          }
        };
        w.on("message", (r: WorkerReply) => {
          inFlight--;
          if (!onReply(r)) stopped = true;
          feed();
        });
        w.on("error", reject);
        feed();
      });
    }),
  );
  return threads;
}

export async function run(argv: string[]): Promise<number> {
  let args: Args;
  let bases: Scenario[];
  let files: string[];
  try {
    const parsed = parseArgs(argv);
    if (parsed === "help") {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    args = parsed;
    files = args.files.length > 0 ? args.files : [...shippedScenarios(), SWARM_BASE_NAME];
    bases = files.map((f) => (f === SWARM_BASE_NAME ? swarmBase() : loadScenarioFile(f)));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`flint fuzz: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof ScenarioError) {
      process.stderr.write(`flint fuzz: bad scenario: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const started = Date.now();
  const deadline = args.timeMs === null ? Number.POSITIVE_INFINITY : started + args.timeMs;
  let next = 0;
  const total = args.seeds === null ? Number.POSITIVE_INFINITY : args.seeds * bases.length;
  const tasks = (): WorkerTask | null => {
    if (next >= total || Date.now() >= deadline) return null;
    const i = next++;
    return { type: "seed", base: i % bases.length, seed: args.from + Math.floor(i / bases.length) };
  };
  let done = 0;
  let events = 0;
  let weaknesses = 0;
  /** Seeds whose liveness was not judged, by the named reason (liveness.ts `LivenessUnjudged`). */
  const unjudged: Record<string, number> = {};
  const failures: Array<WorkerReply & { file: string; planFile: string | null }> = [];
  const tty = process.stderr.isTTY === true;
  let lastDraw = 0;
  const status = (): string => {
    const s = (Date.now() - started) / 1000;
    return `fuzz: ${done}${Number.isFinite(total) ? `/${total}` : ""} seeds, ${(done / Math.max(s, 0.001)).toFixed(1)} seeds/s, ${failures.length} failures, ${weaknesses} weakness hits, ${s.toFixed(0)}s`;
  };
  const draw = (force: boolean): void => {
    if (args.quiet) return;
    const now = Date.now();
    if (!force && now - lastDraw < (tty ? 100 : 10_000)) return;
    lastDraw = now;
    process.stderr.write(tty ? `\r${status()}\x1b[K` : `${status()}\n`);
  };
  const onReply = (r: WorkerReply): boolean => {
    done++;
    events += r.events;
    if (r.weaknesses > 0) weaknesses++;
    if (r.livenessUnjudged !== null) unjudged[r.livenessUnjudged] = (unjudged[r.livenessUnjudged] ?? 0) + 1;
    if (!r.ok) {
      const file = files[r.base]!;
      let planFile: string | null = null;
      if (r.plan !== null) {
        mkdirSync(args.out, { recursive: true });
        planFile = join(args.out, `${basename(file, ".json")}-seed-${r.seed}.json`);
        writeFileSync(planFile, scenarioJson(r.plan));
      }
      failures.push({ ...r, file, planFile });
      if (tty && !args.quiet) process.stderr.write("\n");
      process.stderr.write(`FAIL ${file} seed ${r.seed}: ${r.check}: ${r.detail}\n`);
      if (planFile !== null) {
        process.stderr.write(`  plan:   ${planFile}\n`);
        process.stderr.write(`  replay: npx flint sim ${planFile} --seed ${r.seed}\n`);
        process.stderr.write(`  shrink: npx flint shrink ${planFile}\n`);
      }
    }
    draw(!r.ok);
    return failures.length < args.maxFailures;
  };
  const threads = await execute(tasks, bases, args, onReply);
  draw(true);
  if (tty && !args.quiet) process.stderr.write("\n");
  const seconds = (Date.now() - started) / 1000;
  const result = { scenarios: files.length, seeds: done, seconds, seedsPerSecond: done / Math.max(seconds, 0.001), seedsPerSecondPerThread: done / Math.max(seconds, 0.001) / threads, threads, events, weaknessHits: weaknesses, livenessUnjudged: unjudged, failures: failures.map((f) => ({ file: f.file, seed: f.seed, check: f.check, detail: f.detail, plan: f.planFile })) };
  if (args.json) process.stdout.write(JSON.stringify(result) + "\n");
  else process.stdout.write(`fuzz: ${done} seeds over ${files.length} scenarios in ${seconds.toFixed(1)} s on ${threads} threads (${result.seedsPerSecond.toFixed(1)} seeds/s), ${failures.length} failures, ${weaknesses} seeds hit a documented Spark weakness, ${unjudgedText(unjudged)}\n`);
  return failures.length > 0 ? 1 : 0;
}

/** "liveness judged in every seed", or the seeds it was not judged in, by reason. */
function unjudgedText(unjudged: Record<string, number>): string {
  const reasons = Object.entries(unjudged).sort(([a], [b]) => (a < b ? -1 : 1));
  if (reasons.length === 0) return "liveness judged in every seed";
  return `liveness not judged in ${reasons.map(([why, n]) => `${n} (${why})`).join(", ")}`;
}
