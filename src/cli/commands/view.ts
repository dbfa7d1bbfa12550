/**
 * `flint view RUN [RUN2] -o run.html [--seed N] [--chrome-trace FILE]`: writes a run (or two runs,
 * side by side from their first difference) as one self-contained HTML page, and/or as Chrome
 * trace-event JSON for Perfetto. RUN is a scenario file, a fuzz failure's folder, a
 * `flint sim --trace` file or a real cluster's journals (replayed to rebuild the states).
 */
import { writeFileSync } from "node:fs";
import { loadCode } from "../../replay/code.js";
import { JournalError, readJournalDir } from "../../replay/reader.js";
import { viewOfJournals } from "../../view/journals.js";
import { KNOWN_BUGS } from "../../protocol/config.js";
import { defineCommand, runCommand, type ParsedArgs } from "../args.js";
import { ScenarioError, type Scenario } from "../../sim/scenario.js";
import { captureRun, DEFAULT_DETAIL_BUDGET_BYTES } from "../../view/capture.js";
import { chromeTrace } from "../../view/chrome-trace.js";
import { resolveRun, RunSourceError, type RunSource } from "../../view/load.js";
import type { ViewRun } from "../../view/model.js";
import { firstDifference, renderPage } from "../../view/page.js";
import { TraceFileError, viewOfTraceFile } from "../../view/trace-file.js";

export const spec = defineCommand({
  name: "view",
  summary: "draw a run as one HTML page (lanes, messages, faults, states; two runs: their first difference)",
  usage: "RUN [RUN2] [-o FILE] [options]",
  description: `Writes a run as one self-contained HTML page (works offline): a lane per node, time running down,
messages as arrows (lost, duplicated and delayed ones drawn apart), crashes, pauses, partitions,
leader changes and invariant violations where they act; click a step for its input, its effects
and the node's state before and after it. With two runs, shows them side by side from the first
step where they differ.

RUN is one of:
  a scenario file          run in the simulator (with --seed, or the scenario's seed)
  a fuzz failure's folder  e.g. .flint/fuzz/failures/<scenario>-seed-<N>/ (its shrunk scenario, else its plan)
  a trace file             what \`flint sim --trace\` writes (no states, faults or checks in it)
  a journal directory      a real cluster's flight-recorder journals (see \`flint master --journal\`), or
                           a folder with them in journal/ (a \`flint local\` cluster's folder): replayed
                           as \`flint replay\` does, drawn on the journals' real time`,
  positionals: {
    name: "RUN",
    min: 1,
    max: 2,
    missing: "missing the run to view (a scenario file, a fuzz failure's folder or a trace file)",
  },
  options: {
    out: { type: "string", short: "o", value: "FILE", help: "the HTML page to write (default run.html, or diff.html for two runs)" },
    seed: { type: "int", min: 0, value: "N", help: "the seed for a scenario RUN (with two runs: RUN's seed; see --seed2)" },
    seed2: { type: "int", min: 0, value: "N", help: "the seed for RUN2 (RUN2 defaults to RUN: compare two seeds of one scenario)" },
    bug: {
      type: "strings",
      choices: Object.keys(KNOWN_BUGS),
      noun: "bug",
      value: "NAME",
      help: "turn on a historic bug in the second run (repeatable)",
    },
    "no-bugs": {
      type: "boolean",
      help: "run RUN with its scenario's historic bugs off, and compare it with the run\nwith them on (a museum scenario: the fix against the bug)",
    },
    "chrome-trace": {
      type: "string",
      value: "FILE",
      help: "also write the (first) run as Chrome trace-event JSON (Perfetto, chrome://tracing)",
    },
    "detail-mb": {
      type: "int",
      min: 0,
      value: "N",
      default: DEFAULT_DETAIL_BUDGET_BYTES / 1e6,
      help: "keep inputs, effects and states for the first N MB of detail",
    },
  },
  footer: `Examples:
  npx flint view scenarios/master-failover.json -o failover.html
  npx flint view scenarios/master-failover.json --seed 1 --seed2 2 -o diff.html
  npx flint view scenarios/museum/SPARK-12552.json --no-bugs -o bug.html
  npx flint view .flint/fuzz/failures/partition-heal-seed-42/ -o failure.html
  npx flint view /tmp/flint-journal -o cluster.html`,
  exitCodes: [
    [0, "the page (and the trace) was written"],
    [2, "bad usage, or a run that cannot be read (a bad scenario, folder, trace file or journal)"],
  ],
  environment: [],
});

interface ViewArgs {
  runs: string[];
  out: string | null;
  seed: number | null;
  seed2: number | null;
  bugs: string[];
  noBugs: boolean;
  chromeTrace: string | null;
  detailBudgetBytes: number;
}

function argsOf({ options: o, positionals }: ParsedArgs<typeof spec>): ViewArgs {
  return {
    runs: positionals,
    out: o.out ?? null,
    seed: o.seed ?? null,
    seed2: o.seed2 ?? null,
    bugs: o.bug,
    noBugs: o["no-bugs"],
    chromeTrace: o["chrome-trace"] ?? null,
    detailBudgetBytes: o["detail-mb"] * 1e6,
  };
}

function out(s: string): void {
  process.stdout.write(s + "\n");
}

/** The view of a real cluster's journals, replayed with this build's reducers. */
async function viewOfJournalDir(dir: string, detailBudgetBytes: number): Promise<ViewRun> {
  const code = await loadCode();
  /** Journals left empty by a process killed before its first write: nothing to draw of them, said in the verdict. */
  const empty: string[] = [];
  let journals;
  try {
    journals = readJournalDir(dir, code.protocolVersion, { onEmpty: (file) => empty.push(file) });
  } catch (e) {
    if (e instanceof JournalError) throw e;
    throw new RunSourceError((e as Error).message);
  }
  // A segment file's name ends with its process's pid (format.ts): messages that process sent are drawn as injected.
  const pidsLeftOut = new Set(empty.map((file) => Number(/-(\d+)\.\d+\.jsonl$/.exec(file)?.[1] ?? 0)));
  const view = viewOfJournals(journals, code, { title: `journals ${dir}`, source: `flint replay ${dir}`, detailBudgetBytes, pidsLeftOut });
  for (const file of empty) view.verdict?.reasons.push(`${file} is empty (its process was killed before it wrote anything): not drawn`);
  return view;
}

/** The view of one run: a trace file as it is, a scenario run with its seed (and bugs), journals replayed. */
async function viewOfAny(
  source: RunSource,
  seed: number | null,
  bugs: readonly string[],
  detailBudgetBytes: number,
  noBugs = false,
): Promise<ViewRun> {
  if (source.kind !== "journals") return viewOf(source, seed, bugs, detailBudgetBytes, noBugs);
  if (seed !== null || bugs.length > 0 || noBugs)
    throw new RunSourceError(
      `${source.dir}: a real cluster's journals are what happened: --seed, --seed2, --bug and --no-bugs do not apply to them`,
    );
  return viewOfJournalDir(source.dir, detailBudgetBytes);
}

/** The view of one simulated run: a trace file as it is, a scenario run with its seed (and bugs). */
export function viewOf(
  source: Exclude<RunSource, { kind: "journals" }>,
  seed: number | null,
  bugs: readonly string[],
  detailBudgetBytes: number,
  noBugs = false,
): ViewRun {
  if (source.kind === "trace") return viewOfTraceFile(source.file);
  const scenarioBugs = noBugs ? [] : (source.scenario.config.bugs ?? []);
  const scenario: Scenario =
    bugs.length === 0 && !noBugs
      ? source.scenario
      : { ...source.scenario, config: { ...source.scenario.config, bugs: [...new Set([...scenarioBugs, ...bugs])] } };
  const s = seed ?? source.seed ?? scenario.seed;
  const bugText = `${noBugs ? " --no-bugs" : ""}${bugs.map((b) => ` --bug ${b}`).join("")}`;
  const { view } = captureRun(scenario, { seed: s, source: `flint sim ${source.file} --seed ${s}${bugText}`, detailBudgetBytes });
  if (noBugs) view.title += " with historic bugs off";
  else if ((scenario.config.bugs ?? []).length > 0) view.title += ` with ${(scenario.config.bugs ?? []).join(", ")}`;
  return view;
}

export const run = (argv: string[]): Promise<number> => runCommand(spec, argv, async (parsed) => view(argsOf(parsed)));

async function view(args: ViewArgs): Promise<number> {
  try {
    const sources = args.runs.map(resolveRun);
    const first = await viewOfAny(sources[0]!, args.seed, [], args.detailBudgetBytes, args.noBugs);
    const views = [first];
    // Two runs: the second file, or the same scenario again with another seed or bugs.
    const secondSource = sources[1] ?? (args.seed2 !== null || args.bugs.length > 0 || args.noBugs ? sources[0]! : null);
    if (secondSource !== null)
      views.push(
        await viewOfAny(secondSource, args.seed2 ?? (sources[1] === undefined ? args.seed : null), args.bugs, args.detailBudgetBytes),
      );
    const file = args.out ?? (views.length === 2 ? "diff.html" : "run.html");
    const divergence = views.length === 2 ? firstDifference(views[0]!, views[1]!) : null;
    writeFileSync(file, renderPage(views, divergence));
    out(`flint view: wrote ${file} (${views.map((v) => `${v.title}: ${v.step.length} steps`).join("; ")})`);
    if (views.length === 2) out(divergence === null ? "the runs are the same, step for step" : divergence.text);
    if (args.chromeTrace !== null) {
      writeFileSync(args.chromeTrace, JSON.stringify(chromeTrace(first)));
      out(`flint view: wrote ${args.chromeTrace} (Chrome trace events: open it in https://ui.perfetto.dev or chrome://tracing)`);
    }
    return 0;
  } catch (e) {
    if (e instanceof JournalError) {
      process.stderr.write(`flint view: bad journal ${e.message}\n`);
      return 2;
    }
    if (e instanceof RunSourceError || e instanceof TraceFileError) {
      process.stderr.write(`flint view: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ScenarioError) {
      process.stderr.write(`flint view: bad scenario: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
