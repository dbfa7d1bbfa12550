/**
 * `flint shrink FILE [--out FILE] [--max-runs N]`: from a failing scenario (e.g. a plan `flint
 * fuzz` wrote), finds a smaller one that still fails the same check — fewer faults, shorter
 * durations, fewer workers, apps, jobs and tasks — and writes it as a scenario that replays the
 * failure with `flint sim`. Reports the sizes before and after.
 */
import { pageHint, writeRunPage } from "../../view/write.js";
import { writeFileSync } from "node:fs";
import { replayable, scenarioJson } from "../../sim/fuzz/index.js";
import { ROLES } from "../../sim/roles.js";
import { DEFAULT_MAX_RUNS, shrink, type ScenarioSize } from "../../sim/shrink/index.js";
import { ScenarioError } from "../../sim/scenario.js";
import { loadScenarioFile } from "./fuzz.js";

export const summary = "minimize a failing scenario (faults, durations, nodes, tasks) to one that fails the same check";

const USAGE = `Usage: flint shrink <failing-scenario.json> [--out FILE] [--max-runs N] [--strict]

Re-runs the scenario (with its own seed) while removing faults, shortening fault durations and
removing workers, masters, apps, drivers, jobs, stages and tasks, keeping each change that still
fails the same check. Writes the smallest failing scenario (default: FILE with .min.json).

Options:
  --out FILE      where to write the minimal scenario
  --max-runs N    simulations allowed (default ${DEFAULT_MAX_RUNS})
  --strict        a documented Spark weakness counts as the failure (to shrink a \`flint fuzz --strict\` plan)
  -h, --help      this help

Exit status: 0 shrunk and written, 1 the scenario does not fail, 2 bad usage or scenario file.`;

const fmt = (s: ScenarioSize): string => `${s.faults} faults, ${s.nodes} nodes, ${s.tasks} tasks, ${s.events} events`;

export async function run(argv: string[]): Promise<number> {
  let file: string | undefined;
  let out: string | undefined;
  let maxRuns = DEFAULT_MAX_RUNS;
  let strict = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-h" || a === "--help") {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    if (a === "--strict") {
      strict = true;
      continue;
    }
    if (a === "--out" || a === "--max-runs") {
      const v = argv[++i];
      if (v === undefined) {
        process.stderr.write(`flint shrink: ${a} needs a value\n\n${USAGE}\n`);
        return 2;
      }
      if (a === "--out") out = v;
      else if (/^\d+$/.test(v) && Number(v) > 0) maxRuns = Number(v);
      else {
        process.stderr.write(`flint shrink: --max-runs must be a positive integer (got ${JSON.stringify(v)})\n`);
        return 2;
      }
    } else if (a.startsWith("-") || file !== undefined) {
      process.stderr.write(`flint shrink: ${a.startsWith("-") ? `unknown option ${a}` : "one scenario at a time"}\n\n${USAGE}\n`);
      return 2;
    } else file = a;
  }
  if (file === undefined) {
    process.stderr.write(`flint shrink: missing the scenario file\n\n${USAGE}\n`);
    return 2;
  }
  let scenario;
  try {
    scenario = loadScenarioFile(file);
  } catch (e) {
    if (e instanceof ScenarioError) {
      process.stderr.write(`flint shrink: bad scenario: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const started = Date.now();
  let result;
  try {
    result = shrink(scenario, ROLES, {
      maxRuns,
      strict,
      progress: (size, runs) => process.stderr.write(`shrink: ${fmt(size)} after ${runs} runs\n`),
    });
  } catch (e) {
    process.stderr.write(`flint shrink: ${(e as Error).message}\n`);
    return 1;
  }
  const target = out ?? file.replace(/(\.json)?$/, ".min.json");
  const minimal = replayable({ ...result.scenario, name: `${scenario.name}-min` }, result.outcome);
  writeFileSync(target, scenarioJson(minimal));
  const ms = Date.now() - started;
  process.stdout.write(`shrink: ${result.check} still fails\n`);
  process.stdout.write(`  before: ${fmt(result.before)}\n`);
  process.stdout.write(`  after:  ${fmt(result.after)}\n`);
  process.stdout.write(`  ${result.runs} simulations in ${(ms / 1000).toFixed(1)} s; wrote ${target}\n`);
  process.stdout.write(`  replay: npx flint sim ${target} --seed ${minimal.seed}${pageHint(writeRunPage(target, minimal, minimal.seed))}\n`);
  return 0;
}
