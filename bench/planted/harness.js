// Planted-bug harness: applies each mutant of ./mutants.js to a temporary copy of dist/, bin/ and
// scenarios/, runs `flint fuzz` from that copy over the standard scenarios, and reports whether
// the fuzz budget caught the bug (a failing seed, or the scenarios refused as invalid) and the
// first failing seed. The unpatched copy runs first with the same budget: if it fails, the table
// says so (a catch would mean nothing).
//
//   node bench/planted.js [--seeds N | --ci] [--only NAME] [--jobs K]
//
// Each mutant's witness scenario (if it has one) runs with `flint sim` unpatched and patched, to
// show the planted bug is live ("bug live"); a mutant without one plants a bug on a path no
// scenario takes.
//
// Budget: by default 50 seeds per standard scenario (a documented smaller budget); --ci uses CI's
// (`npm run fuzz`: 2,000 seeds per standard scenario, 4 of big-cluster, 3,000 of swarm).
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CAUSES, MUTANTS } from "./mutants.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const argv = process.argv.slice(2);
const flag = (name) => {
  const i = argv.indexOf(name);
  return i < 0 ? undefined : argv[i + 1];
};
const ci = argv.includes("--ci");
const seeds = ci ? 2000 : Number(flag("--seeds") ?? 50);
const only = flag("--only");
const jobs = flag("--jobs");
if (!Number.isInteger(seeds) || seeds < 1) {
  console.error(`planted: --seeds must be a positive integer (got ${flag("--seeds")})`);
  process.exit(2);
}

/** A fresh copy of what `flint fuzz` runs from: dist/, bin/, scenarios/, package.json, node_modules (linked). */
function copyTree() {
  const dir = mkdtempSync(join(tmpdir(), "flint-planted-"));
  for (const d of ["dist", "bin", "scenarios", "bench/planted/witnesses"]) cpSync(join(ROOT, d), join(dir, d), { recursive: true });
  cpSync(join(ROOT, "package.json"), join(dir, "package.json"));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}

/** Applies the patches; returns null or why the mutant no longer applies. */
function applyPatches(dir, patches) {
  for (const p of patches) {
    const file = join(dir, p.file);
    const text = readFileSync(file, "utf8");
    const n = text.split(p.search).length - 1;
    if (n !== 1) return `stale: the search string occurs ${n} times in ${p.file}`;
    writeFileSync(
      file,
      text.replace(p.search, () => p.replace),
    );
  }
  return null;
}

/** Runs one fuzz invocation from the copy; returns { code, json, stderr }. */
function fuzz(dir, files, n) {
  const args = [
    join(dir, "bin", "flint.js"),
    "fuzz",
    ...files,
    "--seeds",
    String(n),
    "--json",
    "--quiet",
    "--max-failures",
    "1",
    "--shrink-budget",
    "0",
    "--out",
    join(dir, "out"),
  ];
  if (jobs !== undefined) args.push("--jobs", jobs);
  const r = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  let json = null;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = null;
  }
  return { code: r.status ?? -1, json, stderr: r.stderr };
}

/** The fuzz budget of CI (or the smaller one) over the copy; stops at the first failing run. */
function runBudget(dir) {
  const scen = join(dir, "scenarios");
  const standard = readdirSync(scen)
    .filter((f) => f.endsWith(".json") && !f.endsWith(".schema.json") && f !== "big-cluster.json")
    .sort()
    .map((f) => join(scen, f));
  // As `npm run fuzz`: the shipped scenarios, big-cluster, then the swarm base (3,000 seeds under --ci).
  const steps = [[standard, seeds]];
  if (ci) steps.push([[join(scen, "big-cluster.json")], 4]);
  steps.push([["swarm"], ci ? 3000 : seeds]);
  let runs = 0;
  let weaknessHits = 0;
  for (const [files, n] of steps) {
    const r = fuzz(dir, files, n);
    if (r.code === 2)
      return {
        verdict: "caught",
        how: `scenarios refused: ${r.stderr.split("\n").find((l) => l.trim() !== "") ?? ""}`,
        runs,
        weaknessHits,
      };
    if (r.json === null)
      return { verdict: "error", how: `fuzz exited ${r.code}: ${r.stderr.split("\n").slice(0, 3).join(" | ")}`, runs, weaknessHits };
    runs += r.json.seeds;
    weaknessHits += r.json.weaknessHits;
    const f = r.json.failures[0];
    if (f !== undefined) return { verdict: "caught", how: `${f.file.split("/").pop()} seed ${f.seed}: ${f.check}`, runs, weaknessHits };
  }
  return {
    verdict: "missed",
    how: weaknessHits > 0 ? `${weaknessHits} seeds hit a documented weakness (not failures)` : "",
    runs,
    weaknessHits,
  };
}

/** Whether `flint sim` passes the witness scenario in the copy. */
function simPasses(dir, witness) {
  return (
    spawnSync(process.execPath, [join(dir, "bin", "flint.js"), "sim", join(dir, witness), "--json"], {
      encoding: "utf8",
      maxBuffer: 256 << 20,
    }).status === 0
  );
}

function runOne(_name, patches, witness = null) {
  const t0 = performance.now();
  const dir = copyTree();
  try {
    // The witness runs unpatched first (it must pass), then patched (it must fail).
    const witnessBefore = witness === null ? null : simPasses(dir, witness);
    const stale = applyPatches(dir, patches);
    if (stale !== null) return { verdict: "stale", how: stale, runs: 0, seconds: 0, live: "?" };
    const live =
      witness === null
        ? "no witness"
        : witnessBefore && !simPasses(dir, witness)
          ? "live"
          : witnessBefore
            ? "NOT SHOWN (witness passes)"
            : "NOT SHOWN (witness fails unpatched)";
    return { ...runBudget(dir), seconds: (performance.now() - t0) / 1000, live };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const chosen = MUTANTS.filter((m) => only === undefined || m.name === only);
if (chosen.length === 0) {
  console.error(`planted: no mutant named ${only} (have: ${MUTANTS.map((m) => m.name).join(", ")})`);
  process.exit(2);
}
console.log(
  `planted bugs: ${ci ? "CI's fuzz budget (2,000 seeds per standard scenario, 4 of big-cluster, 3,000 of swarm)" : `${seeds} seeds per standard scenario (smaller than CI's 2,000; --ci for CI's)`}, stop at the first failing seed`,
);
const baseline = runOne("baseline", []);
console.log(
  `  baseline (no bug planted): ${baseline.verdict === "missed" ? "passes" : `FAILS (${baseline.how}): a catch below may not be the planted bug's`} (${baseline.runs} runs, ${baseline.seconds.toFixed(0)} s)`,
);
const rows = [];
for (const m of chosen) {
  const r = runOne(m.name, m.patches, m.witness);
  rows.push({ ...m, ...r });
  console.log(
    `  ${m.name.padEnd(36)} (${m.cause}) ${r.verdict.toUpperCase().padEnd(7)} ${String(r.runs).padStart(6)} runs ${r.seconds.toFixed(0).padStart(4)} s  bug ${r.live}${m.witness ? ` (${m.witness})` : ""}; ${r.how}`,
  );
}
console.log("\ncause                                                              planted bug                          result");
for (const r of rows)
  console.log(
    `  (${r.cause}) ${CAUSES[r.cause].slice(0, 60).padEnd(62)} ${r.name.padEnd(36)} ${r.verdict}${r.verdict === "caught" ? `: ${r.how}` : ""}`,
  );
const caught = rows.filter((r) => r.verdict === "caught").length;
console.log(`\n${caught}/${rows.length} planted bugs caught`);
if (rows.some((r) => r.verdict === "stale" || r.verdict === "error")) process.exitCode = 1;
