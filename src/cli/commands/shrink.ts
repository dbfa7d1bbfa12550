/**
 * `flint shrink FILE [--out FILE] [--max-runs N] [--strict]`: from a failing scenario (e.g. a plan `flint
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
import { defineCommand, runCommand } from "../args.js";
import { loadScenarioFile } from "./fuzz.js";

export const spec = defineCommand({
  name: "shrink",
  summary: "minimize a failing scenario (faults, durations, nodes, tasks) to one that fails the same check",
  usage: "<failing-scenario.json> [options]",
  description: `Re-runs the scenario (with its own seed) while removing faults, shortening fault durations and
removing workers, masters, apps, drivers, jobs, stages and tasks, keeping each change that still
fails the same check. Writes the smallest failing scenario (default: FILE with .min.json).`,
  positionals: { name: "scenario", min: 1, max: 1, missing: "missing the scenario file" },
  options: {
    out: { type: "string", value: "FILE", help: "where to write the minimal scenario" },
    "max-runs": { type: "int", min: 1, value: "N", default: DEFAULT_MAX_RUNS, help: "simulations allowed" },
    strict: { type: "boolean", help: "a documented Spark weakness counts as the failure (to shrink a `flint fuzz --strict` plan)" },
  },
  exitCodes: [
    [0, "shrunk, and the minimal scenario written"],
    [1, "the scenario does not fail (nothing to shrink)"],
    [2, "bad usage, or a bad scenario file"],
  ],
  environment: [],
});

const fmt = (s: ScenarioSize): string => `${s.faults} faults, ${s.nodes} nodes, ${s.tasks} tasks, ${s.events} events`;

export function run(argv: string[]): Promise<number> {
  return runCommand(spec, argv, async ({ options, positionals }) =>
    minimize(positionals[0]!, options.out, options["max-runs"], options.strict),
  );
}

async function minimize(file: string, out: string | undefined, maxRuns: number, strict: boolean): Promise<number> {
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
  process.stdout.write(
    `  replay: npx flint sim ${target} --seed ${minimal.seed}${strict ? " --strict" : ""}${pageHint(writeRunPage(target, minimal, minimal.seed))}\n`,
  );
  return 0;
}
