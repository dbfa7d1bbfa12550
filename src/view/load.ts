/**
 * What `flint view` accepts as a run, resolved to something it can show: a scenario file (run
 * with a seed), a fuzz failure's folder (its shrunk scenario if there is one, else its plan, with
 * the failure's seed), a `flint sim --trace` file, or a real cluster's journals: a directory of
 * flight-recorder segments (`*.N.jsonl`), or a folder with one in `journal/` (a `flint local`
 * cluster's folder, a master's recovery directory).
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { checkInjectedMessages } from "../harness/injected-messages.js";
import { parseSegmentFileName } from "../real/journal/format.js";
import { parseScenario, ScenarioError, type Scenario } from "../sim/scenario.js";

export class RunSourceError extends Error {}

export type RunSource =
  | { kind: "scenario"; file: string; scenario: Scenario; seed: number | null }
  | { kind: "trace"; file: string }
  | { kind: "journals"; dir: string };

/** Whether `dir` holds flight-recorder segment files. */
function holdsJournals(dir: string): boolean {
  return readdirSync(dir).some((name) => parseSegmentFileName(name) !== undefined);
}

export function loadScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ScenarioError(file, `cannot read: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(file, `not valid JSON: ${(e as Error).message}`);
  }
  const scenario = parseScenario(json);
  checkInjectedMessages(scenario);
  return scenario;
}

/** The seed a fuzz failure's report names (`seed:     N`), or null. */
function reportSeed(dir: string): number | null {
  const report = join(dir, "report.txt");
  if (!existsSync(report)) return null;
  const m = /^seed:\s+(\d+)/m.exec(readFileSync(report, "utf8"));
  return m ? Number(m[1]) : null;
}

export function resolveRun(path: string): RunSource {
  if (!existsSync(path)) throw new RunSourceError(`${path}: no such file or folder`);
  if (statSync(path).isDirectory()) {
    for (const name of ["shrunk.json", "plan.json"]) {
      const file = join(path, name);
      if (existsSync(file)) return { kind: "scenario", file, scenario: loadScenarioFile(file), seed: reportSeed(path) };
    }
    if (holdsJournals(path)) return { kind: "journals", dir: path };
    const sub = join(path, "journal");
    if (existsSync(sub) && statSync(sub).isDirectory() && holdsJournals(sub)) return { kind: "journals", dir: sub };
    throw new RunSourceError(
      `${path}: neither a fuzz failure's folder (no shrunk.json or plan.json in it) nor a real cluster's journals (no *.N.jsonl files in it or in its journal/ folder)`,
    );
  }
  const head = firstBytes(path, 4096).trimStart();
  // A trace file is JSON lines of step records; a scenario is one JSON object.
  if (/^\{"step":/.test(head)) return { kind: "trace", file: path };
  return { kind: "scenario", file: path, scenario: loadScenarioFile(path), seed: null };
}

function firstBytes(file: string, n: number): string {
  const fd = openSync(file, "r");
  const buffer = Buffer.alloc(n);
  const got = readSync(fd, buffer, 0, n, 0);
  closeSync(fd);
  return buffer.subarray(0, got).toString("utf8");
}
