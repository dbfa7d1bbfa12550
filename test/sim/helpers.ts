import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseScenario, type Scenario } from "../../src/sim/scenario.js";

export const SCENARIO_DIR = fileURLToPath(new URL("../../scenarios/", import.meta.url));

export function scenarioFiles(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort();
}

export function loadScenario(file: string): Scenario {
  return parseScenario(JSON.parse(readFileSync(join(SCENARIO_DIR, file), "utf8")));
}
