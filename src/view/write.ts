/**
 * The page of a failing scenario, written next to its file (`plan.json` -> `plan.html`) for
 * `flint fuzz` and `flint shrink`, whose replay hints name it. Writing it never fails the command
 * that asked: a page that cannot be written is reported instead.
 */
import { writeFileSync } from "node:fs";
import type { Scenario } from "../sim/scenario.js";
import { captureRun } from "./capture.js";
import { renderPage } from "./page.js";

/** The page's path for a scenario file. */
export const pageFileFor = (scenarioFile: string): string => scenarioFile.replace(/(\.json)?$/, ".html");

/**
 * A failure's page keeps less detail than `flint view`'s default: a fuzz run of a big cluster must
 * not spend minutes on each failure (`flint view` of the plan keeps more).
 */
const FAILURE_DETAIL_BUDGET_BYTES = 32_000_000;
const FAILURE_STATE_VISITS_MAX = 100_000_000;

/** Writes the run's page next to the scenario file; returns its path, or an error message. */
export function writeRunPage(scenarioFile: string, scenario: Scenario, seed: number): { file: string } | { error: string } {
  const file = pageFileFor(scenarioFile);
  try {
    const { view } = captureRun(scenario, {
      seed,
      source: `flint sim ${scenarioFile} --seed ${seed}`,
      detailBudgetBytes: FAILURE_DETAIL_BUDGET_BYTES,
      stateVisitsMax: FAILURE_STATE_VISITS_MAX,
    });
    writeFileSync(file, renderPage([view]));
    return { file };
  } catch (e) {
    return { error: `could not write the page ${file}: ${(e as Error).message}` };
  }
}

/** The replay hint's tail that names the page (or says why there is none). */
export const pageHint = (r: { file: string } | { error: string }): string => ("file" in r ? `   (see it: ${r.file})` : `   (${r.error})`);
