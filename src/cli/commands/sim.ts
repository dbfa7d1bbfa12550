/**
 * `flint sim <scenario> [options]` (the options: `spec` below): runs a scenario in the
 * deterministic simulator and prints a timeline and a verdict.
 * Exit status: 0 when the expectation and every check hold, 1 when not, 2 for bad usage or a bad
 * scenario file. A failing run prints the one-line command that replays it. A run that hits a
 * weakness docs/protocol.md documents for Spark itself (the checks record those apart from failures)
 * shows it in the timeline, the summary and the JSON; `--strict` fails such a run.
 */
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import chalk from "chalk";
import { KNOWN_BUGS } from "../../protocol/config.js";
import { ClusterRun, type SimResult } from "../../sim/cluster.js";
import { judgeLiveness, type LivenessUnjudged } from "../../sim/invariants/liveness.js";
import type { Violation } from "../../sim/invariants/report.js";
import { mentions, storyOf } from "../../sim/story.js";
import { ROLES } from "../../sim/roles.js";
import { defineCommand, formatDuration, runCommand, type ParsedArgs } from "../args.js";
import { FORCE_COLOR } from "../environment.js";
import { checkInjectedMessages } from "../../harness/injected-messages.js";
import { parseScenario, ScenarioError, type Scenario } from "../../sim/scenario.js";
import type { TimelineEntry } from "../../sim/timeline.js";
import { describeEffect, describeInput, type TraceRecord } from "../../sim/trace.js";
import { captureRun } from "../../view/capture.js";
import { chromeTrace } from "../../view/chrome-trace.js";
import { renderPage } from "../../view/page.js";

export const spec = defineCommand({
  name: "sim",
  summary: "run a scenario in the deterministic simulator (timeline, verdict, trace)",
  usage: "<scenario.json> [options]",
  description: `Runs a cluster scenario in virtual time with the real protocol reducers, injects its faults,
checks safety after every step, and says whether the expected outcome happened.`,
  positionals: { name: "scenario", min: 1, max: 1, missing: "missing the scenario file" },
  options: {
    seed: { type: "int", min: 0, value: "N", help: "run with this seed instead of the scenario's (same seed = same run, bit for bit)" },
    until: { type: "duration", value: "T", help: "stop at virtual time T (a duration: 90s, 5m, 1h30m, 500ms)" },
    trace: { type: "string", value: "FILE", help: "write every delivered input as JSON lines (step, time, node, cause, input, effects)" },
    html: { type: "string", value: "FILE", help: "also write the run as one self-contained HTML page (see `flint view --help`)" },
    "chrome-trace": { type: "string", value: "FILE", help: "also write the run as Chrome trace-event JSON (Perfetto, chrome://tracing)" },
    json: { type: "boolean", help: "print one JSON object (seed, trace hash, counts, faults, jobs, node states, verdict)" },
    verbose: { type: "boolean", help: "show every step (every message, timer and effect), not only the timeline" },
    story: {
      type: "string",
      value: "ID",
      help: "show only the steps of ID (a node, app, executor, driver or task id, matched\nexactly) and, dimmed, the steps that caused them (#step <- #cause), back to a\nfault, the workload or a node's start",
    },
    limit: { type: "int", min: 0, value: "N", default: 200, help: "timeline lines to print (0 = all)" },
    strict: {
      type: "boolean",
      help: "fail the run when it hits a weakness docs/protocol.md documents for Spark itself\n(no fencing §3.5.1, ...); without it such hits are shown, not failed",
    },
    "no-bugs": {
      type: "boolean",
      help: "turn off the historic bugs the scenario's config switches on (run a museum\nscenario with its bug fixed)",
    },
    bug: {
      type: "strings",
      choices: Object.keys(KNOWN_BUGS),
      noun: "bug",
      value: "NAME",
      help: "turn on a historic bug (on top of the scenario's, or of none with --no-bugs)",
    },
  },
  footer: `The scenario format: scenarios/scenario.schema.json (name it with "$schema" for editor checks)
and the README's "Writing a scenario". A failing run prints the command that replays it.`,
  exitCodes: [
    [0, "the expectation was met and every check held"],
    [1, "the expectation was not met, a check failed (or, with --strict, a documented weakness was hit)"],
    [2, "bad usage, or a bad scenario file"],
  ],
  environment: [FORCE_COLOR],
});

interface Args {
  file: string;
  seed: number | undefined;
  untilMs: number | undefined;
  trace: string | undefined;
  /** Write the run's page (flint view) / Chrome trace-event JSON here too. */
  html: string | undefined;
  chromeTrace: string | undefined;
  json: boolean;
  verbose: boolean;
  story: string | undefined;
  limit: number;
  strict: boolean;
  /** Bugs switched on from the command line, on top of the scenario's (or instead, with noBugs). */
  bugs: string[];
  noBugs: boolean;
}

function argsOf({ options: o, positionals }: ParsedArgs<typeof spec>): Args {
  return {
    file: positionals[0]!,
    seed: o.seed,
    untilMs: o.until,
    trace: o.trace,
    html: o.html,
    chromeTrace: o["chrome-trace"],
    json: o.json,
    verbose: o.verbose,
    story: o.story,
    limit: o.limit,
    strict: o.strict,
    bugs: [...new Set(o.bug)],
    noBugs: o["no-bugs"],
  };
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
  const scenario = parseScenario(json);
  checkInjectedMessages(scenario);
  return scenario;
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
    this.buffer.push(
      JSON.stringify({ step: r.step, t: r.timeMs, node: r.node, cause: r.cause, input: r.input ?? { type: "init" }, effects: r.effects }),
    );
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

/** A hit of a weakness docs/protocol.md documents for Spark: which, the check it would have failed, and where. */
export type WeaknessHit = Pick<Violation, "check" | "timeMs" | "step" | "node" | "nodes" | "detail"> & {
  /** The docs/protocol.md section that documents it, e.g. "§3.5.1". */
  section: string;
  /** The weakness in a few words, e.g. "no fencing". */
  weakness: string;
};

function weaknessHit(v: Violation): WeaknessHit {
  const text = v.weakness ?? "";
  const m = /^(§[\d.]*\d)\s*(.*)$/.exec(text);
  return {
    section: m ? m[1]! : "§3.5",
    weakness: m ? m[2]! : text,
    check: v.check,
    timeMs: v.timeMs,
    step: v.step,
    node: v.node,
    nodes: v.nodes.slice(),
    detail: v.detail,
  };
}

const weaknessName = (h: WeaknessHit): string => `docs/protocol.md ${h.section} ${h.weakness}`;

/** The timeline's line for a hit: marked so that it stands out among the ordinary entries. */
function printWeakness(h: WeaknessHit): void {
  const when = h.step >= 0 ? `after step ${h.step}` : "at the end of the run";
  out(
    `${chalk.dim(fmtTime(h.timeMs))}  ${chalk.bold(h.node.padEnd(28))} ${chalk.black.bgYellow(" WEAKNESS ")} ${chalk.yellow.bold(weaknessName(h))}${chalk.yellow(`: ${h.check} ${when}: ${h.detail}`)}`,
  );
}

/** Hits grouped by weakness and check, in order of first appearance. */
function groupHits(hits: readonly WeaknessHit[]): Array<{ first: WeaknessHit; count: number }> {
  const groups = new Map<string, { first: WeaknessHit; count: number }>();
  for (const h of hits) {
    const key = `${weaknessName(h)} ${h.check}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, { first: h, count: 1 });
    else g.count++;
  }
  return [...groups.values()];
}

/**
 * A run's weakness hits (the first MAX kept by the checks, then a liveness stall Spark is known to
 * have), how many there were in all, and for each kept hit the number of timeline entries that
 * came before it (the timeline carries no step numbers: this places a hit right after its step).
 */
interface Weaknesses {
  hits: WeaknessHit[];
  count: number;
  timelineAt: number[];
}

/** Every weakness hit of the run: the checks' (at their steps). A liveness stall is never one: it fails the run. */
function weaknessesOf(cluster: ClusterRun, timelineAt: number[]): Weaknesses {
  const hits = cluster.checks.weaknesses.map(weaknessHit);
  return { hits, count: cluster.checks.weaknessCount, timelineAt: timelineAt.slice(0, hits.length) };
}

/** The verdict: the run's own, failed by any weakness hit under --strict. */
function verdictOf(result: SimResult, hits: readonly WeaknessHit[], strict: boolean): SimResult["verdict"] {
  if (!strict || hits.length === 0) return result.verdict;
  const reasons = [...result.verdict.reasons];
  for (const { first, count } of groupHits(hits))
    reasons.push(
      `documented Spark weakness hit (--strict): ${weaknessName(first)}: ${first.check} ${count}x, first at ${first.timeMs} ms on ${first.node}: ${first.detail}`,
    );
  return { ok: false, reasons };
}

/** One step: its id (`#12`) and its cause's (`<- #9`), so that a reader can follow why it happened. `dim`: a step shown as a cause only. */
function printStep(r: TraceRecord, dim = false): void {
  const effects = r.effects.map(describeEffect);
  const ids = `#${r.step}${r.cause >= 0 ? ` <- #${r.cause}` : ""}`.padEnd(16);
  const line = `${chalk.dim(fmtTime(r.timeMs))}  ${chalk.dim(ids)} ${chalk.bold(r.node.padEnd(28))} ${describeInput(r.input)}${effects.length > 0 ? chalk.dim(`  => ${effects.join("; ")}`) : ""}`;
  out(dim ? chalk.dim(line) : line);
}

function printResult(result: SimResult, args: Args, scenario: Scenario, weaknesses: Weaknesses, verdict: SimResult["verdict"]): void {
  if (!args.verbose && args.story === undefined) {
    const entries = result.timeline;
    const shown = args.limit === 0 ? entries : entries.slice(0, args.limit);
    // Each hit goes right after the entries of the step it followed (every hit is shown, whatever the limit).
    const { hits, timelineAt } = weaknesses;
    let next = 0;
    shown.forEach((e, i) => {
      while (next < hits.length && timelineAt[next]! <= i) printWeakness(hits[next++]!);
      out(`${chalk.dim(fmtTime(e.timeMs))}  ${chalk.bold(e.node.padEnd(28))} ${KIND_COLOUR[e.kind](e.text)}`);
    });
    while (next < hits.length) printWeakness(hits[next++]!);
    const hidden = entries.length - shown.length + result.timelineDropped;
    if (hidden > 0) out(chalk.dim(`  ... ${hidden} more timeline entries (--limit 0 shows them all, --verbose every step)`));
  }
  out("");
  out(chalk.bold("Jobs"));
  for (const [id, job] of Object.entries(result.jobs)) {
    const colour = job.state === "succeeded" ? chalk.green : job.state === "failed" ? chalk.red : chalk.yellow;
    out(
      `  ${id.padEnd(20)} ${colour(job.state)}${job.atMs !== undefined ? chalk.dim(` at ${(job.atMs / 1000).toFixed(3)}s`) : ""}${job.reason ? chalk.dim(` (${job.reason})`) : ""}  ${chalk.dim(`app ${job.app}`)}`,
    );
  }
  if (result.faults.length > 0) {
    out(chalk.bold("Faults"));
    for (const f of result.faults)
      out(
        `  #${f.index} ${(f.atMs / 1000).toFixed(3)}s ${f.kind} ${f.target}: ${f.fired ? chalk.magenta("took effect") : chalk.yellow("did NOT take effect")}${f.detail ? chalk.dim(` (${f.detail})`) : ""}`,
      );
  }
  const c = result.counts;
  out(chalk.bold("Run"));
  out(
    `  ${c.events} events, ${c.steps} steps, ${c.messagesDelivered}/${c.messagesSent} messages delivered (${c.messagesLost} lost), virtual time ${(result.virtualTimeMs / 1000).toFixed(3)}s (${result.stopReason})`,
  );
  out(`  seed ${result.seed}, trace hash ${chalk.bold(result.traceHash)}`);
  if (result.violationCount > 0)
    for (const v of result.violations.slice(0, 10)) out(chalk.red(`  check ${v.check} failed at ${v.timeMs} ms on ${v.node}: ${v.detail}`));
  const groups = groupHits(weaknesses.hits);
  if (weaknesses.count > 0) {
    out(
      chalk.bold(
        `Spark weaknesses hit: ${weaknesses.count} (documented in docs/protocol.md for Spark itself; ${args.strict ? "--strict fails them" : "not failures, --strict fails them"})`,
      ),
    );
    for (const { first, count } of groups)
      out(
        chalk.yellow(
          `  ${count}x ${weaknessName(first)}: ${first.check}, first at ${(first.timeMs / 1000).toFixed(3)}s ${first.step >= 0 ? `after step ${first.step}` : "at the end of the run"} on ${first.node}`,
        ),
      );
    if (weaknesses.count > weaknesses.hits.length) out(chalk.dim(`  ... ${weaknesses.count - weaknesses.hits.length} more hits not kept`));
  }
  out("");
  if (verdict.ok) {
    out(chalk.green.bold(`PASS ${scenario.name}: ${scenario.comment}`));
    if (weaknesses.count > 0)
      out(
        chalk.yellow(
          `  with ${weaknesses.count} documented Spark weakness hits: ${groups
            .map((g) => weaknessName(g.first))
            .filter((n, i, all) => all.indexOf(n) === i)
            .join("; ")} (--strict fails them)`,
        ),
      );
  } else {
    out(chalk.red.bold(`FAIL ${scenario.name}`));
    for (const r of verdict.reasons) out(chalk.red(`  - ${r}`));
  }
}

/**
 * The run's page and/or Chrome trace: the scenario is run once more, observed step by step (the
 * simulator is deterministic: the same run), so that the plain run pays nothing for them.
 */
function writeViews(scenario: Scenario, seed: number, args: Args): void {
  const { view } = captureRun(scenario, {
    seed,
    ...(args.untilMs !== undefined ? { untilMs: args.untilMs } : {}),
    source: replayCommand(args, seed),
  });
  if (args.html !== undefined) writeFileSync(args.html, renderPage([view]));
  if (args.chromeTrace !== undefined) writeFileSync(args.chromeTrace, JSON.stringify(chromeTrace(view)));
  if (!args.json) out(chalk.dim(`wrote ${[args.html, args.chromeTrace].filter((f) => f !== undefined).join(" and ")}`));
}

function replayCommand(args: Args, seed: number): string {
  const bugs = `${args.noBugs ? " --no-bugs" : ""}${args.bugs.map((b) => ` --bug ${b}`).join("")}`;
  return `npx flint sim ${args.file} --seed ${seed}${args.untilMs !== undefined ? ` --until ${formatDuration(args.untilMs)}` : ""}${args.strict ? " --strict" : ""}${bugs}`;
}

/** The scenario with the command line's bug switches applied: --no-bugs drops the file's, --bug adds. */
function withBugs(scenario: Scenario, args: Args): Scenario {
  if (!args.noBugs && args.bugs.length === 0) return scenario;
  const bugs = [...new Set([...(args.noBugs ? [] : (scenario.config.bugs ?? [])), ...args.bugs])];
  return { ...scenario, config: { ...scenario.config, bugs } };
}

export function run(argv: string[]): Promise<number> {
  return runCommand(spec, argv, async (parsed) => {
    const args = argsOf(parsed);
    let scenario: Scenario;
    try {
      scenario = withBugs(loadScenario(args.file), args);
    } catch (e) {
      if (e instanceof ScenarioError) {
        process.stderr.write(`flint sim: bad scenario: ${e.message}\n`);
        return 2;
      }
      throw e;
    }
    return simulate(args, scenario);
  });
}

async function simulate(args: Args, scenario: Scenario): Promise<number> {
  const seed = args.seed ?? scenario.seed;
  const trace = args.trace !== undefined ? new TraceFile(args.trace) : null;
  const story = args.story;
  const showSteps = !args.json && (args.verbose || story !== undefined);
  let cluster: ClusterRun | null = null;
  // Where each weakness hit falls in the timeline: its length when the hit's step had ended.
  const timelineAt: number[] = [];
  const noteHits = (): void => {
    if (cluster === null) return;
    const all = cluster.checks.weaknesses;
    while (timelineAt.length < all.length) timelineAt.push(cluster.timeline.length);
  };
  // With every step shown, a weakness hit is printed before the step after the one it followed.
  let hitsShown = 0;
  const showHitsBefore = (step: number): void => {
    const all = cluster?.checks.weaknesses ?? [];
    for (; hitsShown < all.length && all[hitsShown]!.step < step; hitsShown++) {
      const h = weaknessHit(all[hitsShown]!);
      if (story === undefined || mentions(h, story)) printWeakness(h);
    }
  };
  // A story is chosen once the run is over: a step's causes come before it, and are known only by then.
  const storyRecords: TraceRecord[] = [];
  // The sink runs before each step's checks: a hit seen here came from an earlier, finished step.
  const sink = (r: TraceRecord): void => {
    noteHits();
    trace?.add(r);
    if (!showSteps) return;
    if (story !== undefined) {
      storyRecords.push({ ...r });
      return;
    }
    showHitsBefore(r.step);
    printStep(r);
  };
  if (!args.json) {
    const bugs = scenario.config.bugs ?? [];
    out(
      chalk.bold(`flint sim ${scenario.name}`) +
        chalk.dim(` (seed ${seed}${bugs.length > 0 ? `, historic bugs on: ${bugs.join(", ")}` : ""})`),
    );
    out(chalk.dim(scenario.comment));
    out("");
  }
  let result: SimResult;
  let weaknesses: Weaknesses;
  let livenessUnjudged: LivenessUnjudged | null = null;
  try {
    cluster = new ClusterRun(scenario, ROLES, {
      seed,
      ...(args.untilMs !== undefined ? { untilMs: args.untilMs } : {}),
      recordSink: sink,
      includeStates: args.json,
    });
    result = cluster.run();
    noteHits();
    // Liveness as the fuzzer judges it, so that a fuzz failure's replay fails here too (not for a run cut short by --until).
    if (args.untilMs === undefined && result.violationCount === 0) {
      const liveness = judgeLiveness({
        scenario: cluster.scenario,
        nodes: cluster.world.nodes,
        nowMs: cluster.world.now,
        jobs: cluster.jobs,
      });
      livenessUnjudged = liveness.unjudged;
      if (liveness.stall !== null) {
        result.violations.push(liveness.stall);
        result.violationCount++;
        result.verdict = {
          ok: false,
          reasons: [...result.verdict.reasons, `check ${liveness.stall.check} failed at the end of the run: ${liveness.stall.detail}`],
        };
      }
    }
    weaknesses = weaknessesOf(cluster, timelineAt);
  } catch (e) {
    trace?.close();
    process.stderr.write(chalk.red(`flint sim: the run failed: ${(e as Error).stack ?? String(e)}\n`));
    process.stderr.write(`replay: ${replayCommand(args, seed)}\n`);
    return 1;
  }
  trace?.close();
  if (showSteps && story !== undefined) {
    const { own, causes } = storyOf(storyRecords, story);
    for (const r of storyRecords) {
      if (!own.has(r.step) && !causes.has(r.step)) continue;
      showHitsBefore(r.step);
      printStep(r, !own.has(r.step));
    }
  }
  if (showSteps) {
    showHitsBefore(Number.POSITIVE_INFINITY);
    for (const h of weaknesses.hits) if (h.step < 0 && (story === undefined || mentions(h, story))) printWeakness(h);
  }
  const verdict = verdictOf(result, weaknesses.hits, args.strict);
  if (args.html !== undefined || args.chromeTrace !== undefined) writeViews(scenario, seed, args);
  if (args.json) {
    out(
      JSON.stringify({
        scenario: result.scenario,
        seed: result.seed,
        traceHash: result.traceHash,
        virtualTimeMs: result.virtualTimeMs,
        stopReason: result.stopReason,
        counts: {
          events: result.counts.events,
          steps: result.counts.steps,
          messagesSent: result.counts.messagesSent,
          messagesDelivered: result.counts.messagesDelivered,
          messagesLost: result.counts.messagesLost,
          lostByReason: result.counts.lost,
          inputsByType: result.counts.inputs,
        },
        faults: result.faults,
        jobs: result.jobs,
        verdict,
        violations: result.violations,
        livenessUnjudged,
        weaknessCount: weaknesses.count,
        weaknesses: weaknesses.hits,
        election: result.election,
        store: result.store,
        timeline: result.timeline,
        nodes: result.nodes,
        replay: verdict.ok ? undefined : replayCommand(args, seed),
      }),
    );
  } else {
    printResult(result, args, scenario, weaknesses, verdict);
  }
  if (!verdict.ok) {
    process.stderr.write(`replay: ${replayCommand(args, seed)}\n`);
    return 1;
  }
  return 0;
}
