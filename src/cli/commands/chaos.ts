/**
 * `flint chaos SCENARIO.json`: the scenario on real processes on this machine (src/chaos/run.ts),
 * then its journals through `flint replay` and its expectations on the merged history.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChaosRefused, runChaos } from "../../chaos/run.js";
import { ScenarioError, type Scenario } from "../../sim/scenario.js";
import { defineCommand, runCommand } from "../args.js";
import { loadScenarioFile } from "./fuzz.js";

export const spec = defineCommand({
  name: "chaos",
  summary: "run a scenario on real processes (kill -9, SIGSTOP), then replay and check it",
  usage: "<scenario.json> [options]",
  description: `Starts the scenario's cluster as real processes on this machine (masters with their recovery
store, and ZooKeeper when the scenario says so; workers with their cores and memory), runs each app
as a client-mode driver whose tasks sleep the stage's durationMs, and throws the scenario's faults
at the processes in real time: crash is kill -9 (restarted after restartAfterMs on the same work
directory or recovery store), pause is SIGSTOP then SIGCONT, target "leader" is the master whose
status says ALIVE, "executor:APP" kills -9 one executor process of the app, failTasks makes the
next count task attempts to finish throw. The protocol config
goes to every process (FLINT_PROTOCOL_CONFIG): give a scenario short timeouts. Every process
journals into the run folder; then the journals are replayed as by flint replay (same effects, no
invariant broken) and the job outcomes and expect.events are checked on the merged history.
A partition of hosts from every other node runs each node in its own network namespace (veth
links to a bridge) and cuts and restores the hosts' links; that needs root, and without it the
command refuses with the reason. A fault or feature processes cannot do (messages, storeDown,
loseTasks, ...) is refused before anything starts, naming it; an expectation that cannot be
judged is printed as "not checked on real processes".`,
  positionals: { name: "scenario.json", min: 1, max: 1, missing: "missing the scenario file" },
  options: {
    dir: {
      type: "string",
      value: "DIR",
      defaultHelp: "a fresh temporary folder",
      help: "the run folder (journals, logs, work directories, recovery store)",
    },
    keep: { type: "boolean", help: "keep the run folder when the run passed (a failed run's is always kept)" },
    "no-bugs": { type: "boolean", help: "turn off the historic bugs the scenario's config switches on" },
    settle: {
      type: "duration",
      min: 0,
      max: 600_000,
      default: 2_000,
      value: "T",
      help: "once every app ended and every fault fired, wait this long for late events",
    },
  },
  exitCodes: [
    [0, "the run passed: jobs as expected, every expectation met, the replay clean"],
    [1, "the run failed (a job, an expectation, a fault that could not be done, the replay)"],
    [2, "bad usage, a bad scenario file, or a scenario that cannot run on real processes"],
  ],
  environment: [],
});

export function run(argv: string[]): Promise<number> {
  return runCommand(spec, argv, async ({ options, positionals }) => {
    let scenario: Scenario;
    try {
      scenario = loadScenarioFile(positionals[0]!);
    } catch (e) {
      if (e instanceof ScenarioError) {
        process.stderr.write(`flint chaos: bad scenario: ${e.message}\n`);
        return 2;
      }
      throw e;
    }
    if (options["no-bugs"]) scenario = { ...scenario, config: { ...scenario.config, bugs: [] } };
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), "flint-chaos-"));
    mkdirSync(dir, { recursive: true });
    try {
      const result = await runChaos({
        scenario,
        dir,
        removeWhenPassed: !options.keep && options.dir === undefined,
        settleMs: options.settle,
        say: (line) => process.stdout.write(`${line}\n`),
      });
      for (const [id, job] of Object.entries(result.jobs))
        process.stdout.write(`  job ${id}: ${job.state}${job.state === "failed" ? ` (${job.reason})` : ""}\n`);
      process.stdout.write(`  replay: ${result.replay}\n`);
      for (const line of result.notChecked) process.stdout.write(`  not checked on real processes: ${line}\n`);
      const took = `${(result.elapsedMs / 1000).toFixed(1)} s`;
      if (result.passed) {
        process.stdout.write(
          `flint chaos: ${scenario.name} passed on real processes (${took})${options.keep || options.dir !== undefined ? `; run folder ${dir}` : ""}\n`,
        );
        return 0;
      }
      process.stdout.write(
        `flint chaos: ${scenario.name} FAILED on real processes (${took}):\n${result.reasons.map((r) => `  ${r}`).join("\n")}\n  run folder (journals, logs): ${dir}\n`,
      );
      return 1;
    } catch (e) {
      if (e instanceof ChaosRefused) {
        if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
        process.stderr.write(`flint chaos: ${e.message}\n`);
        return 2;
      }
      throw e;
    }
  });
}
