/**
 * Golden transcripts (etcd's testdata style): each shipped scenario's `flint sim` output at its own
 * seed, without colours, is checked in under scenarios/testdata/. A protocol change then shows in
 * review as a diff of transcripts. After a deliberate change, rewrite them with `npm run golden`
 * (UPDATE_GOLDEN=1) and read the diff before committing it.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../../src/cli/commands/sim.js";
import { captureOutput, SCENARIO_DIR } from "./helpers.js";

const out = captureOutput();
const UPDATE = process.env.UPDATE_GOLDEN === "1";
/** Timeline entries kept per transcript: the two largest runs (thousands of entries) end with an explicit "... N more" line. */
const LIMIT = "1000";

const shipped = [
  ...readdirSync(SCENARIO_DIR).filter((f) => f.endsWith(".json") && !f.endsWith(".schema.json")),
  ...readdirSync(join(SCENARIO_DIR, "museum"))
    .filter((f) => f.endsWith(".json"))
    .map((f) => `museum/${f}`),
].sort();

const goldenPath = (scenario: string): string => join(SCENARIO_DIR, "testdata", scenario.replace(/\.json$/, ".txt"));
const plain = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, "");

describe("golden transcripts (scenarios/testdata)", () => {
  it("covers every shipped scenario, and nothing else", () => {
    const golden = [
      ...readdirSync(join(SCENARIO_DIR, "testdata")).filter((f) => f.endsWith(".txt")),
      ...(existsSync(join(SCENARIO_DIR, "testdata", "museum"))
        ? readdirSync(join(SCENARIO_DIR, "testdata", "museum")).map((f) => `museum/${f}`)
        : []),
    ].sort();
    expect(golden).toEqual(shipped.map((s) => s.replace(/\.json$/, ".txt")));
  });

  for (const scenario of shipped) {
    it(scenario, async () => {
      await run([join(SCENARIO_DIR, scenario), "--limit", LIMIT]);
      const transcript = plain(out.stdout);
      const path = goldenPath(scenario);
      if (UPDATE) {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, transcript);
        return;
      }
      expect(existsSync(path), `${path} is missing: run npm run golden`).toBe(true);
      expect(transcript, `${scenario}: the transcript changed; if the change is deliberate, run npm run golden and review the diff`).toBe(
        readFileSync(path, "utf8"),
      );
    }, 60_000);
  }
});
