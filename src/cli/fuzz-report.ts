/**
 * What `flint fuzz` leaves behind for people and CI: the folder of each failure (its plan, its
 * shrunk scenario and a report), the JUnit XML report CI systems read, and the seeds grouped by
 * the documented Spark weakness they hit.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { scenarioJson } from "../sim/fuzz/index.js";
import type { Scenario } from "../sim/scenario.js";

/** One failing run as the report shows it. */
export interface FuzzFailure {
  /** The base scenario file. */
  file: string;
  seed: number;
  /** Set for a mutant of a corpus plan: what it was built from (its seed alone does not replay it). */
  mutant: string | null;
  check: string;
  detail: string;
  /** The failure's folder (null when the run gave no plan to write). */
  dir: string | null;
  planFile: string | null;
  shrunkFile: string | null;
}

export const scenarioName = (file: string): string => basename(file, ".json");

export const replayCommand = (planFile: string, seed: number): string => `npx flint sim ${planFile} --seed ${seed}`;

/** `<out>/failures/<scenario>-seed-<N>[-m<index>]/`: the folder a failure's files go to. */
export function failureDir(out: string, file: string, seed: number, mutantIndex: number | null): string {
  return join(out, "failures", `${scenarioName(file)}-seed-${seed}${mutantIndex === null ? "" : `-m${mutantIndex}`}`);
}

/** Writes plan.json and report.txt of a failure; returns the plan's path. */
export function writeFailure(f: FuzzFailure, plan: Scenario): string {
  const dir = f.dir!;
  mkdirSync(dir, { recursive: true });
  const planFile = join(dir, "plan.json");
  writeFileSync(planFile, scenarioJson(plan));
  writeFileSync(join(dir, "report.txt"), failureReport({ ...f, planFile }));
  return planFile;
}

export function failureReport(f: FuzzFailure, shrunkNote = ""): string {
  const lines = [
    `scenario: ${f.file}`,
    `seed:     ${f.seed}${f.mutant !== null ? ` (${f.mutant})` : ""}`,
    `check:    ${f.check}`,
    `detail:   ${f.detail}`,
  ];
  if (f.planFile !== null) {
    lines.push(`plan:     ${f.planFile}`, `replay:   ${replayCommand(f.planFile, f.seed)}`, `shrink:   npx flint shrink ${f.planFile}`);
  }
  if (f.shrunkFile !== null) lines.push(`shrunk:   ${f.shrunkFile}`, `replay the shrunk scenario: ${replayCommand(f.shrunkFile, f.seed)}`);
  if (shrunkNote !== "") lines.push(shrunkNote);
  return lines.join("\n") + "\n";
}

const xml = (s: string): string =>
  s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");

/** One scenario's part of the JUnit report: how many seeds ran, and its failures. */
export interface JunitCase {
  file: string;
  seeds: number;
  failures: FuzzFailure[];
}

/**
 * JUnit XML: one testcase per scenario x shard, one failure element per failing seed. The time
 * is the whole run's, on the suite (threads run the scenarios interleaved: no per-case time).
 */
export function junitXml(cases: readonly JunitCase[], shard: string, seconds: number): string {
  const failures = cases.reduce((n, c) => n + c.failures.length, 0);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="flint fuzz" tests="${cases.length}" failures="${failures}" time="${seconds.toFixed(3)}">`,
  ];
  out.push(
    `  <testsuite name="flint fuzz shard ${xml(shard)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${seconds.toFixed(3)}">`,
  );
  for (const c of cases) {
    const name = `${scenarioName(c.file)} shard ${shard}`;
    out.push(`    <testcase classname="flint.fuzz.${xml(scenarioName(c.file))}" name="${xml(name)}">`);
    out.push(`      <system-out>${xml(`${c.seeds} seeds of ${c.file}`)}</system-out>`);
    for (const f of c.failures) {
      const body = [`seed ${f.seed}${f.mutant !== null ? ` (${f.mutant})` : ""}: ${f.check}: ${f.detail}`];
      if (f.planFile !== null) body.push(`replay: ${replayCommand(f.planFile, f.seed)}`);
      if (f.shrunkFile !== null) body.push(`shrunk: ${f.shrunkFile}`);
      out.push(`      <failure message="${xml(`seed ${f.seed}: ${f.check}`)}" type="${xml(f.check)}">${xml(body.join("\n"))}</failure>`);
    }
    out.push("    </testcase>");
  }
  out.push("  </testsuite>", "</testsuites>");
  return out.join("\n") + "\n";
}

/** The seeds that hit one documented weakness (the first few with their replay plans, and the count). */
export interface WeaknessSeeds {
  weakness: string;
  count: number;
  first: Array<{ file: string; seed: number; plan: string | null; replay: string | null }>;
}

/** Seeds listed (with a replay plan written) per weakness; the rest are counted. */
export const WEAKNESS_SEEDS_SHOWN = 3;

export class WeaknessTable {
  private readonly byName = new Map<string, WeaknessSeeds>();

  /** Records a run's weaknesses; `writePlan` writes the plan of a run listed first and returns its path. */
  add(names: readonly string[], file: string, seed: number, writePlan: () => string | null): void {
    for (const weakness of names) {
      let w = this.byName.get(weakness);
      if (w === undefined) {
        w = { weakness, count: 0, first: [] };
        this.byName.set(weakness, w);
      }
      w.count++;
      if (w.first.length < WEAKNESS_SEEDS_SHOWN) {
        const plan = writePlan();
        w.first.push({ file, seed, plan, replay: plan === null ? null : replayCommand(plan, seed) });
      }
    }
  }

  /** Weaknesses sorted by name (a defined order whatever order threads replied in). */
  list(): WeaknessSeeds[] {
    return [...this.byName.values()].sort((a, b) => (a.weakness < b.weakness ? -1 : a.weakness > b.weakness ? 1 : 0));
  }

  lines(): string[] {
    const out: string[] = [];
    for (const w of this.list()) {
      out.push(`  ${w.weakness}: ${w.count} seed${w.count === 1 ? "" : "s"}`);
      for (const s of w.first) out.push(`    ${scenarioName(s.file)} seed ${s.seed}${s.replay !== null ? `: ${s.replay}` : ""}`);
      if (w.count > w.first.length) out.push(`    ... and ${w.count - w.first.length} more`);
    }
    return out;
  }
}
