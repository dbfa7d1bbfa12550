/**
 * `flint sim <scenario> [--seed N] [--until T] [--trace FILE] [--json] [--verbose] [--story ID]`:
 * runs a scenario in the deterministic simulator and prints a timeline and a verdict.
 * Exit status: 0 when the expectation and every check hold, 1 when not, 2 for bad usage or a bad
 * scenario file. A failing run prints the one-line command that replays it.
 */
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import chalk from "chalk";
import { runScenario, type SimResult } from "../../sim/cluster.js";
import { ROLES } from "../../sim/roles.js";
import { parseScenario, ScenarioError, type Scenario } from "../../sim/scenario.js";
import type { TimelineEntry } from "../../sim/timeline.js";
import { describeEffect, describeInput, type TraceRecord } from "../../sim/trace.js";

export const summary = "run a scenario in the deterministic simulator (timeline, verdict, trace)";

const USAGE = `Usage: flint sim <scenario.json> [options]

Runs a cluster scenario in virtual time with the real protocol reducers, injects its faults,
checks safety after every step, and says whether the expected outcome happened.

Options:
  --seed N        run with this seed instead of the scenario's (same seed = same run, bit for bit)
  --until T       stop at virtual time T (ms, or with a unit: 90s, 5m, 1h)
  --trace FILE    write every delivered input as JSON lines (time, node, input, effects)
  --json          print one JSON object (seed, trace hash, counts, faults, jobs, node states, verdict)
  --verbose       show every step (every message, timer and effect), not only the timeline
  --story ID      show only the steps that mention ID (a worker, app, executor, driver or task id)
  --limit N       timeline lines to print (default 200; 0 = all)
  -h, --help      this help

Exit status: 0 expectation met, 1 not met (or a check failed), 2 bad usage or scenario file.`;

interface Args {
  file: string;
  seed?: number;
  untilMs?: number;
  trace?: string;
  json: boolean;
  verbose: boolean;
  story?: string;
  limit: number;
}

class UsageError extends Error {}

function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new UsageError(`--until: cannot read ${JSON.stringify(s)} (try 90000, 90s, 5m)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "ms") as "ms" | "s" | "m" | "h"];
  return Math.round(Number(m[1]) * unit);
}

function parseArgs(argv: string[]): Args | "help" {
  const args: Partial<Args> & { json: boolean; verbose: boolean; limit: number } = { json: false, verbose: false, limit: 200 };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case "-h":
      case "--help":
        return "help";
      case "--json":
        args.json = true;
        break;
      case "--verbose":
        args.verbose = true;
        break;
      case "--seed": {
        const v = value(i++, a);
        if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new UsageError(`--seed must be a non-negative integer (got ${JSON.stringify(v)})`);
        args.seed = Number(v);
        break;
      }
      case "--until":
        args.untilMs = parseDuration(value(i++, a));
        break;
      case "--trace":
        args.trace = value(i++, a);
        break;
      case "--story":
        args.story = value(i++, a);
        break;
      case "--limit": {
        const v = value(i++, a);
        if (!/^\d+$/.test(v)) throw new UsageError(`--limit must be a non-negative integer (got ${JSON.stringify(v)})`);
        args.limit = Number(v);
        break;
      }
      default:
        if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
        if (args.file !== undefined) throw new UsageError(`one scenario at a time (got ${args.file} and ${a})`);
        args.file = a;
    }
  }
  if (args.file === undefined) throw new UsageError("missing the scenario file");
  return args as Args;
}

function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ScenarioError(file, `cannot read: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(file, `not valid JSON: ${(e as Error).message}`);
  }
  return parseScenario(json);
}

const fmtTime = (ms: number): string => `${(ms / 1000).toFixed(3).padStart(10)}s`;

const KIND_COLOUR: Record<TimelineEntry["kind"], (s: string) => string> = {
  fault: chalk.magenta.bold,
  election: chalk.cyan.bold,
  cluster: chalk.white,
  executor: chalk.yellow,
  job: chalk.green,
  exit: chalk.red,
  check: chalk.red.bold,
};

function out(s: string): void {
  process.stdout.write(s + "\n");
}

/** A JSON-lines trace file writer that batches its writes. */
class TraceFile {
  private readonly fd: number;
  private buffer: string[] = [];
  constructor(path: string) {
    this.fd = openSync(path, "w");
  }
  add(r: TraceRecord): void {
    this.buffer.push(JSON.stringify({ step: r.step, t: r.timeMs, node: r.node, input: r.input ?? { type: "init" }, effects: r.effects }));
    if (this.buffer.length >= 2000) this.flush();
  }
  flush(): void {
    if (this.buffer.length > 0) writeSync(this.fd, this.buffer.join("\n") + "\n");
    this.buffer = [];
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

function printStep(r: TraceRecord): void {
  const effects = r.effects.map(describeEffect);
  out(`${chalk.dim(fmtTime(r.timeMs))}  ${chalk.bold(r.node.padEnd(28))} ${describeInput(r.input)}${effects.length > 0 ? chalk.dim(`  => ${effects.join("; ")}`) : ""}`);
}

function printResult(result: SimResult, args: Args, scenario: Scenario): void {
  if (!args.verbose && args.story === undefined) {
    const entries = result.timeline;
    const shown = args.limit === 0 ? entries : entries.slice(0, args.limit);
    for (const e of shown) out(`${chalk.dim(fmtTime(e.timeMs))}  ${chalk.bold(e.node.padEnd(28))} ${KIND_COLOUR[e.kind](e.text)}`);
    const hidden = entries.length - shown.length + result.timelineDropped;
    if (hidden > 0) out(chalk.dim(`  ... ${hidden} more timeline entries (--limit 0 shows them all, --verbose every step)`));
  }
  out("");
  out(chalk.bold("Jobs"));
  for (const [id, job] of Object.entries(result.jobs)) {
    const colour = job.state === "succeeded" ? chalk.green : job.state === "failed" ? chalk.red : chalk.yellow;
    out(`  ${id.padEnd(20)} ${colour(job.state)}${job.atMs !== undefined ? chalk.dim(` at ${(job.atMs / 1000).toFixed(3)}s`) : ""}${job.reason ? chalk.dim(` (${job.reason})`) : ""}  ${chalk.dim(`app ${job.app}`)}`);
  }
  if (result.faults.length > 0) {
    out(chalk.bold("Faults"));
    for (const f of result.faults) out(`  #${f.index} ${(f.atMs / 1000).toFixed(3)}s ${f.kind} ${f.target}: ${f.fired ? chalk.magenta("took effect") : chalk.yellow("did NOT take effect")}${f.detail ? chalk.dim(` (${f.detail})`) : ""}`);
  }
  const c = result.counts;
  out(chalk.bold("Run"));
  out(`  ${c.events} events, ${c.steps} steps, ${c.messagesDelivered}/${c.messagesSent} messages delivered (${c.messagesLost} lost), virtual time ${(result.virtualTimeMs / 1000).toFixed(3)}s (${result.stopReason})`);
  out(`  seed ${result.seed}, trace hash ${chalk.bold(result.traceHash)}`);
  if (result.violationCount > 0) for (const v of result.violations.slice(0, 10)) out(chalk.red(`  check ${v.check} failed at ${v.timeMs} ms on ${v.node}: ${v.detail}`));
  out("");
  if (result.verdict.ok) out(chalk.green.bold(`PASS ${scenario.name}: ${scenario.comment}`));
  else {
    out(chalk.red.bold(`FAIL ${scenario.name}`));
    for (const r of result.verdict.reasons) out(chalk.red(`  - ${r}`));
  }
}

function replayCommand(args: Args, seed: number): string {
  return `flint sim ${args.file} --seed ${seed}${args.untilMs !== undefined ? ` --until ${args.untilMs}` : ""}`;
}

export async function run(argv: string[]): Promise<number> {
  let args: Args;
  let scenario: Scenario;
  try {
    const parsed = parseArgs(argv);
    if (parsed === "help") {
      out(USAGE);
      return 0;
    }
    args = parsed;
    scenario = loadScenario(args.file);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`flint sim: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof ScenarioError) {
      process.stderr.write(`flint sim: bad scenario: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const seed = args.seed ?? scenario.seed;
  const trace = args.trace !== undefined ? new TraceFile(args.trace) : null;
  const story = args.story;
  const showSteps = !args.json && (args.verbose || story !== undefined);
  const sink =
    trace !== null || showSteps
      ? (r: TraceRecord): void => {
          trace?.add(r);
          if (!showSteps) return;
          if (story !== undefined && !JSON.stringify(r).includes(story)) return;
          printStep(r);
        }
      : undefined;
  if (!args.json) {
    out(chalk.bold(`flint sim ${scenario.name}`) + chalk.dim(` (seed ${seed})`));
    out(chalk.dim(scenario.comment));
    out("");
  }
  let result: SimResult;
  try {
    result = runScenario(scenario, ROLES, { seed, ...(args.untilMs !== undefined ? { untilMs: args.untilMs } : {}), ...(sink ? { recordSink: sink } : {}), includeStates: args.json });
  } catch (e) {
    trace?.close();
    process.stderr.write(chalk.red(`flint sim: the run failed: ${(e as Error).stack ?? String(e)}\n`));
    process.stderr.write(`replay: ${replayCommand(args, seed)}\n`);
    return 1;
  }
  trace?.close();
  if (args.json) {
    out(
      JSON.stringify({
        scenario: result.scenario,
        seed: result.seed,
        traceHash: result.traceHash,
        virtualTimeMs: result.virtualTimeMs,
        stopReason: result.stopReason,
        counts: { events: result.counts.events, steps: result.counts.steps, messagesSent: result.counts.messagesSent, messagesDelivered: result.counts.messagesDelivered, messagesLost: result.counts.messagesLost, lostByReason: result.counts.lost, inputsByType: result.counts.inputs },
        faults: result.faults,
        jobs: result.jobs,
        verdict: result.verdict,
        violations: result.violations,
        election: result.election,
        store: result.store,
        timeline: result.timeline,
        nodes: result.nodes,
        replay: result.verdict.ok ? undefined : replayCommand(args, seed),
      }),
    );
  } else {
    printResult(result, args, scenario);
  }
  if (!result.verdict.ok) {
    process.stderr.write(`replay: ${replayCommand(args, seed)}\n`);
    return 1;
  }
  return 0;
}
