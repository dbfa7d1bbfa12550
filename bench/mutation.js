// `npm run bench -- mutation`: the fuzzer's mutation score. Stryker mutates the decision code of
// the BUILT protocol (dist/protocol: master handlers, scheduling, recovery; driver backend, task
// scheduler, task set manager) and the only test is a fixed fuzz budget run through bin/flint.js
// (Stryker's command runner; mutant switching, so one instrumented build serves every mutant via
// __STRYKER_ACTIVE_MUTANT__, no rebuild per mutant). A mutant is killed when the fuzz run fails
// (a check, an exception or a livelock guard) or times out.
//
// A seeded sample keeps it within the machine: Stryker's own instrumenter lists every mutant of
// those files, a sample of their source locations is drawn with --seed, and each sampled location
// goes to Stryker's `mutate` as a range. A range takes every mutant on its node (e.g. `a < b` gives
// `a <= b`, `a >= b`, `true`, `false`), so more mutants than locations run: the counts printed are
// Stryker's.
//
//   node bench/mutation.js [--sample N] [--seed S] [--seeds B] [--concurrency C]
//
// --sample N: source locations to mutate (default 60, about 150 mutants).
//
// --seeds B: the fuzz budget per mutant, B seeds of each standard scenario (default 5).
// Stryker's sandbox goes to .stryker-tmp/ (git-ignored; inside the repository so that the sandbox
// finds node_modules) and its JSON report to a temporary folder; both are deleted after.
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import seedrandom from "seedrandom";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const argv = process.argv.slice(2);
const flag = (name, def) => {
  const i = argv.indexOf(name);
  if (i < 0) return def;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`mutation: ${name} must be a positive integer (got ${argv[i + 1]})`);
    process.exit(2);
  }
  return n;
};
const SAMPLE = flag("--sample", 60);
const SEED = flag("--seed", 1);
const SEEDS = flag("--seeds", 5);
const CONCURRENCY = flag("--concurrency", 2);

/** The decision code: handlers, scheduling, recovery, backend, task scheduler. */
const FILES = [
  "dist/protocol/master/handlers.js",
  "dist/protocol/master/schedule.js",
  "dist/protocol/master/recovery.js",
  "dist/protocol/driver/backend.js",
  "dist/protocol/driver/taskScheduler.js",
  "dist/protocol/driver/taskSetManager.js",
];
for (const f of FILES) {
  if (!existsSync(join(ROOT, f))) {
    console.error(`mutation: ${f} is missing: run npm run build first`);
    process.exit(2);
  }
}

const { Instrumenter } = await import("@stryker-mutator/instrumenter");
const { Stryker } = await import("@stryker-mutator/core");

/** Every mutant Stryker would make in FILES (its own instrumenter, quiet). */
async function allMutants() {
  const quiet = { isDebugEnabled: () => false, isTraceEnabled: () => false, isInfoEnabled: () => false, debug() {}, trace() {}, info() {}, warn() {}, error() {}, fatal() {} };
  const files = FILES.map((name) => ({ name: join(ROOT, name), content: readFileSync(join(ROOT, name), "utf8"), mutate: true }));
  const { mutants } = await new Instrumenter(quiet).instrument(files, { plugins: null, excludedMutations: [], ignorers: [] });
  return mutants;
}

/** A seeded sample of k items (partial Fisher-Yates), in a defined order. */
function sample(items, k, seed) {
  const rng = seedrandom(`mutation/${seed}`);
  const a = items.slice();
  for (let i = 0; i < Math.min(k, a.length); i++) {
    const j = i + Math.floor(rng() * (a.length - i));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, Math.min(k, a.length));
}

const all = await allMutants();
const locations = [...new Set(all.map((m) => `${relative(ROOT, m.fileName)}:${m.location.start.line + 1}:${m.location.start.column}-${m.location.end.line + 1}:${m.location.end.column}`))];
const mutate = sample(locations, SAMPLE, SEED);
// The shipped scenarios (not the JSON Schema, not big-cluster) and the swarm base, as `npm run fuzz`.
const standard = [...readdirSync(join(ROOT, "scenarios")).filter((f) => f.endsWith(".json") && !f.endsWith(".schema.json") && f !== "big-cluster.json").sort().map((f) => `scenarios/${f}`), "swarm"];
const command = `node bin/flint.js fuzz ${standard.join(" ")} --seeds ${SEEDS} --jobs 1 --quiet --max-failures 1 --shrink-budget 0 --no-coverage --out .flint-mutation`;

const temp = mkdtempSync(join(tmpdir(), "flint-stryker-"));
const SANDBOX = join(ROOT, ".stryker-tmp");
console.log(`mutation: ${all.length} mutants at ${locations.length} locations in ${FILES.length} files; sampled ${mutate.length} locations (seed ${SEED}); fuzz budget per mutant: ${SEEDS} seeds x ${standard.length} standard scenarios; concurrency ${CONCURRENCY}`);
const started = performance.now();
let results;
try {
  results = await new Stryker({
    packageManager: "npm",
    testRunner: "command",
    commandRunner: { command },
    coverageAnalysis: "off",
    mutate,
    // The sandbox needs only what the command runs.
    ignorePatterns: ["/*", "!/dist", "!/bin", "!/scenarios", "!/package.json"],
    tempDirName: SANDBOX,
    cleanTempDir: "always",
    concurrency: CONCURRENCY,
    timeoutMS: 30_000,
    timeoutFactor: 3,
    reporters: ["json", "progress-append-only"],
    jsonReporter: { fileName: join(temp, "mutation.json") },
    logLevel: "warn",
    fileLogLevel: "off",
    allowConsoleColors: false,
  }).runMutationTest();
} finally {
  rmSync(temp, { recursive: true, force: true });
  rmSync(SANDBOX, { recursive: true, force: true });
}
const seconds = (performance.now() - started) / 1000;

const by = (status) => results.filter((r) => r.status === status).length;
const killed = by("Killed");
const timedOut = by("Timeout");
const survived = by("Survived");
const noCoverage = by("NoCoverage");
const errors = results.length - killed - timedOut - survived - noCoverage;
const detected = killed + timedOut;
const valid = detected + survived + noCoverage;
console.log(`\nmutation score of the fuzzer alone: ${((100 * detected) / Math.max(valid, 1)).toFixed(1)}% (${detected} detected = ${killed} killed + ${timedOut} timed out, ${survived} survived${noCoverage ? `, ${noCoverage} not covered` : ""}; ${errors} compile/runtime errors left out) of ${results.length} mutants run, in ${seconds.toFixed(0)} s`);
console.log(`budget: ${SEEDS} seeds of each of ${standard.length} standard scenarios per mutant; sample: ${mutate.length} of ${locations.length} locations (seed ${SEED}), ${results.length} of ${all.length} mutants`);
console.log("\nsurviving mutants by file:");
const survivors = results.filter((r) => r.status === "Survived" || r.status === "NoCoverage");
for (const f of FILES) {
  const inFile = results.filter((r) => relative(ROOT, r.fileName) === f);
  const left = survivors.filter((r) => relative(ROOT, r.fileName) === f);
  console.log(`  ${f}: ${left.length} of ${inFile.length} survived`);
  for (const r of left.sort((a, b) => a.location.start.line - b.location.start.line)) console.log(`    ${r.location.start.line + 1}:${r.location.start.column} ${r.mutatorName}: ${JSON.stringify(r.replacement ?? "").slice(0, 100)}`);
}
