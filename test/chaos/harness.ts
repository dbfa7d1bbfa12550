/**
 * What the `flint chaos` test files share: a run of a scenario file on real processes in a fresh
 * folder, the check that it passed, and the clean-up after each test (no process may outlive a run;
 * its folder is removed). The runs are split over several files so that vitest spreads them over
 * its workers: most of a run is waiting on real timeouts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect } from "vitest";
import { runChaos, type ChaosResult } from "../../src/chaos/run.js";
import type { Scenario } from "../../src/sim/scenario.js";
import { loadScenarioFile } from "../../src/cli/commands/fuzz.js";
import { ROOT } from "../real/cluster/harness.js";

/** The run folders of the current test file. */
export const dirs: string[] = [];

/** Processes whose command line names `dir`: none may outlive a run. */
function processesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ");
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      if (cmd.includes(dir)) out.push(`${entry}: ${cmd}`);
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** Registers the clean-up in the calling test file. */
export function cleanUpAfterEach(): void {
  afterEach(() => {
    const left = dirs.flatMap(processesUnder);
    // Removed before the check, so that a failed check does not leave the folders behind too.
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    expect(left).toEqual([]);
  });
}

/** Runs one scenario file (changed by `change`) on real processes. */
export async function chaos(file: string, change: (s: Scenario) => Scenario = (s) => s): Promise<ChaosResult> {
  const dir = mkdtempSync(join(tmpdir(), "flint-chaos-test-"));
  dirs.push(dir);
  const result = await runChaos({ scenario: change(loadScenarioFile(join(ROOT, file))), dir, removeWhenPassed: false, say: () => {} });
  return result;
}

export const passes = (r: ChaosResult): void => {
  // The reasons are the message a failure shows.
  expect(r.reasons).toEqual([]);
  expect(r.passed).toBe(true);
  expect(r.replay).toMatch(/every effect as recorded, no invariant broken/);
};
