/** `flint replay DIR`: re-runs a cluster's journals, compares every step's effects, checks the invariants. */
import { loadCode } from "../../replay/code.js";
import { JournalError, readJournalDir } from "../../replay/reader.js";
import { describeDivergence, describeUnmatchedReceipt, describeViolation, replay } from "../../replay/replay.js";
import { scenarioFromJournals, scenarioText } from "../../replay/to-scenario.js";
import { writeFileSync } from "node:fs";
import { basename } from "node:path";
import { defineCommand, runCommand } from "../args.js";

export const spec = defineCommand({
  name: "replay",
  summary: "re-run recorded journals: same effects at every step, no invariant broken",
  usage: "DIR [options]",
  description: `Re-runs every node's reducer from the journals in DIR (written by flint master, flint worker, their
executors and drivers: see --journal) and checks that each step gives exactly the effects that
were recorded; a difference means nondeterminism or changed code, and names the node, the step and
the journal file. Then runs the simulator's invariants over the merged history of the cluster.`,
  positionals: { name: "DIR", min: 1, max: 1, missing: "give the journal directory: flint replay DIR" },
  options: {
    code: {
      type: "string",
      value: "PATH",
      help: "replay with the reducers of another build of flint (a checkout or package\nwith a built dist/), e.g. the next version in CI",
    },
    "no-checks": { type: "boolean", help: "compare effects only; skip the invariants" },
    "to-scenario": {
      type: "string",
      value: "FILE",
      help: "also write the cluster, the workload and the faults observed (executor,\nworker and master crashes, restarts) as a scenario for flint sim / fuzz",
    },
  },
  exitCodes: [
    [0, "every step matched and no invariant broke"],
    [1, "a step differed, a received message names no recorded send, or an invariant\nbroke (or --to-scenario could not be written)"],
    [2, "bad usage, or a journal that is truncated, corrupt or from another version"],
  ],
  environment: [],
});

interface ReplayArgs {
  dir: string;
  code: string | undefined;
  checks: boolean;
  toScenario: string | undefined;
}

export function run(argv: string[]): Promise<number> {
  return runCommand(spec, argv, async ({ options: o, positionals }) => {
    const args: ReplayArgs = { dir: positionals[0]!, code: o.code, checks: !o["no-checks"], toScenario: o["to-scenario"] };
    let code;
    try {
      code = await loadCode(args.code);
    } catch (err) {
      process.stderr.write(`flint replay: ${(err as Error).message}\n`);
      return 2;
    }
    let journals;
    try {
      journals = readJournalDir(args.dir, code.protocolVersion);
    } catch (err) {
      process.stderr.write(`flint replay: ${err instanceof JournalError ? "bad journal " : ""}${(err as Error).message}\n`);
      return 2;
    }
    if (args.toScenario !== undefined) {
      let text;
      try {
        text = scenarioText(scenarioFromJournals(journals, `recorded-${basename(args.dir.replace(/\/+$/, "")) || "run"}`));
        writeFileSync(args.toScenario, text);
      } catch (err) {
        process.stderr.write(`flint replay: --to-scenario ${args.toScenario}: ${(err as Error).message}\n`);
        return 1;
      }
      process.stdout.write(`flint replay: wrote the recorded cluster, workload and faults to ${args.toScenario}\n`);
    }
    const result = replay(journals, code, { checks: args.checks });
    if (result.divergence !== null) {
      process.stdout.write(`flint replay: ${describeDivergence(result.divergence)}\n`);
      return 1;
    }
    if (result.unmatchedReceipts.length > 0) {
      const more = result.unmatchedReceipts.length - 1;
      process.stdout.write(
        `flint replay: ${result.steps} steps of ${result.nodes} journals replayed; a received message names no recorded send${more > 0 ? ` (and ${more} more)` : ""}: ${describeUnmatchedReceipt(result.unmatchedReceipts[0]!)}\n`,
      );
      return 1;
    }
    if (result.violations.length > 0) {
      process.stdout.write(
        `flint replay: ${result.steps} steps of ${result.nodes} journals replayed; ${describeViolation(result.violations[0]!)}\n`,
      );
      return 1;
    }
    const notes = [
      ...(result.weaknesses.length > 0 ? [`${result.weaknesses.length} documented Spark weaknesses seen`] : []),
      ...(result.unrecordedSends > 0
        ? [`${result.unrecordedSends} messages whose sending step was lost with a killed process's last journal records`]
        : []),
      ...(result.sendsInDeletedSegments > 0
        ? [`${result.sendsInDeletedSegments} messages whose sending step was in a journal segment rotation deleted`]
        : []),
    ];
    const weak = notes.length > 0 ? ` (${notes.join("; ")})` : "";
    process.stdout.write(
      `flint replay: ${result.steps} steps of ${result.nodes} journals replayed: every effect as recorded${args.checks ? ", no invariant broken" : ""}${weak}\n`,
    );
    return 0;
  });
}
