import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, vi } from "vitest";
import type { Effect, Input } from "../../src/protocol/index.js";
import type { MasterState } from "../../src/protocol/master/state.js";
import { newMasterLedger, type MasterStepView } from "../../src/sim/invariants/master.js";
import { parseScenario, type Scenario } from "../../src/sim/scenario.js";

export const SCENARIO_DIR = fileURLToPath(new URL("../../scenarios/", import.meta.url));

export function scenarioFiles(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith(".json") && !f.endsWith(".schema.json"))
    .sort();
}

export function loadScenario(file: string): Scenario {
  return parseScenario(JSON.parse(readFileSync(join(SCENARIO_DIR, file), "utf8")));
}

/** What a CLI command wrote to stdout and stderr during the current test (reset before each). */
export interface CapturedOutput {
  stdout: string;
  stderr: string;
}

/** Captures process.stdout/stderr writes for every test of the calling file or describe block. */
export function captureOutput(): CapturedOutput {
  const out: CapturedOutput = { stdout: "", stderr: "" };
  beforeEach(() => {
    out.stdout = "";
    out.stderr = "";
    vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => {
      out.stdout += String(s);
      return true;
    });
    vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => {
      out.stderr += String(s);
      return true;
    });
  });
  afterEach(() => vi.restoreAllMocks());
  return out;
}

/** One step of the leading master-1 for a check to judge (its state after, input and effects); a check that fires is pushed on `fired`. */
export function masterStepView(
  s: MasterState,
  input: Input | null,
  effects: readonly Effect[],
  fired: string[],
  nowMs?: number,
): MasterStepView {
  const v: MasterStepView = {
    key: "master-1#0",
    name: "master-1",
    s,
    input,
    effects,
    isLeader: true,
    ledger: newMasterLedger(),
    report: (check: string) => void fired.push(check),
  };
  if (nowMs !== undefined) v.nowMs = nowMs;
  return v;
}
