/** A fuzz failure and a shrunk scenario come with their page, next to the scenario file, named by the replay hint. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run as fuzz } from "../../src/cli/commands/fuzz.js";
import { run as shrink } from "../../src/cli/commands/shrink.js";
import type { ViewRun } from "../../src/view/model.js";
import { fileTempDir } from "../hygiene/tempDir.js";
import { captureOutput, SCENARIO_DIR } from "../sim/helpers.js";

const out = captureOutput();
const TMP = fileTempDir("flint-view-fuzz-");
const BUGGY = join(SCENARIO_DIR, "museum", "SPARK-12552.json"); // most seeds fail I6 with its bug on

function pageRun(file: string): ViewRun {
  const m = /<script id="run-data" type="application\/json">(.*?)<\/script>/s.exec(readFileSync(file, "utf8"));
  return JSON.parse(m![1]!).runs[0];
}

describe("failure pages", () => {
  it("fuzz: a failure's plan.html shows the failing check, and the replay hint names it", async () => {
    const dir = join(TMP, "fuzz");
    expect(await fuzz([BUGGY, "--seeds", "3", "--max-failures", "1", "--shrink-budget", "0", "--out", dir, "--quiet", "--jobs", "1"])).toBe(
      1,
    );
    const m = /FAIL \S+ seed (\d+): (I\d+):.*\n\s+plan:\s+(\S+)\n\s+replay: .*\(see it: (\S+)\)/.exec(out.stderr);
    expect(m).not.toBeNull();
    const [, seed, check, plan, page] = m!;
    expect(page).toBe(plan!.replace(/\.json$/, ".html"));
    const v = pageRun(page!);
    expect(v.seed).toBe(Number(seed));
    expect(v.violations.map((x) => x.check.split(":")[0])).toContain(check);
  });

  it("shrink: writes the minimal scenario's page next to it and names it in the replay hint", async () => {
    const target = join(TMP, "min.json");
    expect(await shrink([BUGGY, "--out", target, "--max-runs", "30"])).toBe(0);
    expect(out.stdout).toContain(`(see it: ${join(TMP, "min.html")})`);
    expect(pageRun(join(TMP, "min.html")).violations.length).toBeGreaterThan(0);
  });
});
