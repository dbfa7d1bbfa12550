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
//   node bench/mutation.js [--sample N] [--seed S] [--seeds B] [--swarm-seeds W] [--concurrency C] [--files master|driver|all]
//
// --files: which side's decision code to mutate (default all six files; master: handlers,
// schedule, recovery; driver: backend, taskScheduler, taskSetManager), for a per-side study.
//
// Every surviving mutant is printed (file:line:column, mutator, original -> replacement). A mutant
// is counted "equivalent" (left out of the score, printed apart) only by one of the rules in EQUIVALENT_RULES
// below, decided from the mutated file's syntax tree, never from a list of mutant ids.
//
// --sample N: source locations to mutate (default 60, about 150 mutants).
//
// --seeds B: the fuzz budget per mutant, B seeds of each shipped scenario (default 5), and
// --swarm-seeds W: W seeds of the swarm base (default 300), the fuzzer's main power: each swarm seed
// draws a new cluster, workload and fault mix, where a shipped scenario's seeds vary only its faults'
// timing. CI's budget (`npm run fuzz`) is 2,000 seeds per scenario and 3,000 swarm seeds.
//
// --save-results FILE writes the mutants' results (Stryker's, as JSON) to FILE; --from-results
// FILE prints the summary of such a file again without running Stryker (to study survivors).
// Stryker's sandbox goes to .stryker-tmp/ (git-ignored; inside the repository so that the sandbox
// finds node_modules) and its JSON report to a temporary folder; both are deleted after.
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync, writeFileSync } from "node:fs";
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
const SWARM_SEEDS = flag("--swarm-seeds", 300);
const CONCURRENCY = flag("--concurrency", 2);
const pathFlag = (name) => {
  const i = argv.indexOf(name);
  if (i < 0) return null;
  if (argv[i + 1] === undefined || argv[i + 1].startsWith("--")) {
    console.error(`mutation: ${name} needs a file name`);
    process.exit(2);
  }
  return argv[i + 1];
};
const SAVE_RESULTS = pathFlag("--save-results");
const FROM_RESULTS = pathFlag("--from-results");
const SIDES = ["master", "driver", "all"];
const SIDE = (() => {
  const i = argv.indexOf("--files");
  if (i < 0) return "all";
  const v = argv[i + 1];
  if (!SIDES.includes(v)) {
    console.error(`mutation: --files must be one of ${SIDES.join(", ")} (got ${v})`);
    process.exit(2);
  }
  return v;
})();

/** The decision code: handlers, scheduling, recovery, backend, task scheduler. */
const MASTER_FILES = ["dist/protocol/master/handlers.js", "dist/protocol/master/schedule.js", "dist/protocol/master/recovery.js"];
const DRIVER_FILES = ["dist/protocol/driver/backend.js", "dist/protocol/driver/taskScheduler.js", "dist/protocol/driver/taskSetManager.js"];
const FILES = SIDE === "master" ? MASTER_FILES : SIDE === "driver" ? DRIVER_FILES : [...MASTER_FILES, ...DRIVER_FILES];
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
  const quiet = {
    isDebugEnabled: () => false,
    isTraceEnabled: () => false,
    isInfoEnabled: () => false,
    debug() {},
    trace() {},
    info() {},
    warn() {},
    error() {},
    fatal() {},
  };
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
const locations = [
  ...new Set(
    all.map(
      (m) =>
        `${relative(ROOT, m.fileName)}:${m.location.start.line + 1}:${m.location.start.column}-${m.location.end.line + 1}:${m.location.end.column}`,
    ),
  ),
];
const mutate = sample(locations, SAMPLE, SEED);
// The shipped scenarios (not the JSON Schema, not big-cluster) and the swarm base, as `npm run fuzz`.
const standard = readdirSync(join(ROOT, "scenarios"))
  .filter((f) => f.endsWith(".json") && !f.endsWith(".schema.json") && f !== "big-cluster.json")
  .sort()
  .map((f) => `scenarios/${f}`);
// The swarm first: it kills most mutants, and the first failure ends the run (--max-failures 1).
const fuzz = (bases, seeds) =>
  `node bin/flint.js fuzz ${bases.join(" ")} --seeds ${seeds} --jobs 1 --quiet --max-failures 1 --shrink-budget 0 --no-coverage --out .flint-mutation`;
const command = `${fuzz(["swarm"], SWARM_SEEDS)} && ${fuzz(standard, SEEDS)}`;

const SANDBOX = join(ROOT, ".stryker-tmp");
console.log(
  `mutation: ${all.length} mutants at ${locations.length} locations in ${FILES.length} files; sampled ${mutate.length} locations (seed ${SEED}); fuzz budget per mutant: ${SWARM_SEEDS} swarm seeds + ${SEEDS} seeds x ${standard.length} shipped scenarios; concurrency ${CONCURRENCY}`,
);
const started = performance.now();
let results;
if (FROM_RESULTS !== null) results = JSON.parse(readFileSync(FROM_RESULTS, "utf8"));
else {
  const temp = mkdtempSync(join(tmpdir(), "flint-stryker-"));
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
}
const seconds = (performance.now() - started) / 1000;
if (SAVE_RESULTS !== null) writeFileSync(SAVE_RESULTS, JSON.stringify(results));

/**
 * The rules by which a surviving mutant is counted "equivalent" (left out of the score, printed
 * apart with its rule). Each is decided on the syntax tree of the built file (TypeScript's parser),
 * so it can be checked on each mutant it names:
 *  - assert-message: every character the mutant changes lies inside the message argument (the
 *    second) of `assert(condition, message)`. The message is read only when the condition is
 *    false, and then the assertion throws whatever it says.
 *  - bug-switch-only: every character the mutant changes lies inside the arguments of a
 *    `hasBug(...)` call, or inside an operand of an `&&` chain one of whose operands is a bare
 *    `hasBug(...)` call (or inside an `&&` of that chain that leaves the hasBug call out), or
 *    inside the then-branch of an `if` whose condition is such a chain or call, or it replaces the
 *    whole chain by `false`. That code decides nothing while every bug switch is off (`hasBug` is false whatever its
 *    argument names, and so is the chain), and the fuzz budget, like `npm run fuzz`, runs with
 *    every bug switch off: no fuzz run can tell the mutant from the original. (Only survivors are
 *    classified; a mutant that makes such an operand throw is killed.)
 */
const EQUIVALENT_RULES = {
  "assert-message":
    "the mutant changes only the message argument of assert(condition, message), read only when the assertion throws anyway",
  "bug-switch-only":
    "the mutant changes only code that decides something when a bug switch (hasBug) is on; the fuzz budget runs with every bug switch off",
};
const ts = (await import("typescript")).default;
const rangeCache = new Map();
const isCallTo = (node, name) => ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === name;
/** The operands of an `a && b && c` chain (parentheses looked through), or null when the node is not one. */
function andOperands(node) {
  while (ts.isParenthesizedExpression(node)) node = node.expression;
  if (!ts.isBinaryExpression(node) || node.operatorToken.kind !== ts.SyntaxKind.AmpersandAmpersandToken) return null;
  return [...(andOperands(node.left) ?? [node.left]), ...(andOperands(node.right) ?? [node.right])];
}
const bare = (node) => {
  while (ts.isParenthesizedExpression(node)) node = node.expression;
  return node;
};
/** Per rule, the source ranges [start, end) of one built file where a change is equivalent. */
function equivalentRanges(file) {
  let ranges = rangeCache.get(file);
  if (ranges !== undefined) return ranges;
  ranges = { "assert-message": [], "bug-switch-only": [], "bug-switch-only:false": [] };
  const text = readFileSync(join(ROOT, file), "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const span = (n) => [n.getStart(sf), n.getEnd()];
  const visit = (node) => {
    if (isCallTo(node, "assert") && node.arguments.length >= 2) ranges["assert-message"].push(span(node.arguments[1]));
    if (isCallTo(node, "hasBug")) for (const a of node.arguments) ranges["bug-switch-only"].push(span(a));
    const ops = andOperands(node);
    if (
      ops?.some((o) => isCallTo(bare(o), "hasBug")) &&
      !(ts.isBinaryExpression(node.parent) && node.parent.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken)
    ) {
      for (const o of ops) ranges["bug-switch-only"].push(span(o));
      // Every && node inside the chain that leaves the hasBug operand out (`a && b` of `a && b && hasBug(...)`).
      const inner = (n) => {
        const b = bare(n);
        if (!ts.isBinaryExpression(b) || b.operatorToken.kind !== ts.SyntaxKind.AmpersandAmpersandToken) return;
        if (!(andOperands(b) ?? []).some((o) => isCallTo(bare(o), "hasBug"))) ranges["bug-switch-only"].push(span(b));
        inner(b.left);
        inner(b.right);
      };
      inner(node);
      // The whole chain, replaced by `false`: what it is whenever the switch is off.
      ranges["bug-switch-only:false"].push(span(node));
    }
    if (ts.isIfStatement(node)) {
      const cond = bare(node.expression);
      if (isCallTo(cond, "hasBug") || (andOperands(cond) ?? []).some((o) => isCallTo(bare(o), "hasBug")))
        ranges["bug-switch-only"].push(span(node.thenStatement));
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  rangeCache.set(file, ranges);
  return ranges;
}
/** Character offset of a location in Stryker's results (its report schema's: 1-based line and column) in a file. */
const lineStarts = new Map();
function offsetOf(file, loc) {
  let starts = lineStarts.get(file);
  if (starts === undefined) {
    const text = readFileSync(join(ROOT, file), "utf8");
    starts = [0];
    for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
    lineStarts.set(file, starts);
  }
  return starts[loc.line - 1] + loc.column - 1;
}
const fileOf = (r) => relative(ROOT, r.fileName);
/** The equivalence rule a surviving mutant falls under, or null. */
const equivalenceRule = (r) => {
  const from = offsetOf(fileOf(r), r.location.start);
  const to = offsetOf(fileOf(r), r.location.end);
  const ranges = equivalentRanges(fileOf(r));
  for (const rule of Object.keys(EQUIVALENT_RULES)) if (ranges[rule].some(([a, b]) => a <= from && to <= b)) return rule;
  if (r.replacement === "false" && ranges["bug-switch-only:false"].some(([a, b]) => a === from && to === b)) return "bug-switch-only";
  return null;
};
/** The original source text a mutant replaces (one line, shortened). */
const original = (r) => {
  const text = readFileSync(join(ROOT, fileOf(r)), "utf8");
  return text.slice(offsetOf(fileOf(r), r.location.start), offsetOf(fileOf(r), r.location.end)).replace(/\s+/g, " ");
};
const short = (t) => (t.length > 80 ? `${t.slice(0, 77)}...` : t);

const equivalent = results.filter((r) => (r.status === "Survived" || r.status === "NoCoverage") && equivalenceRule(r) !== null);
const by = (status) => results.filter((r) => r.status === status && !equivalent.includes(r)).length;
const killed = by("Killed");
const timedOut = by("Timeout");
const survived = by("Survived");
const noCoverage = by("NoCoverage");
const errors = results.length - killed - timedOut - survived - noCoverage - equivalent.length;
const detected = killed + timedOut;
const valid = detected + survived + noCoverage;
console.log(
  `\nmutation score of the fuzzer alone: ${((100 * detected) / Math.max(valid, 1)).toFixed(1)}% of the non-equivalent mutants (${detected} detected = ${killed} killed + ${timedOut} timed out, ${survived} survived${noCoverage ? `, ${noCoverage} not covered` : ""}; ${equivalent.length} equivalent; ${errors} compile/runtime errors left out) of ${results.length} mutants run, in ${seconds.toFixed(0)} s`,
);
console.log(
  `total ${results.length}, killed ${killed}, survived ${survived + noCoverage}, timed out ${timedOut}, equivalent ${equivalent.length}, errors ${errors}; score over non-equivalent ${((100 * detected) / Math.max(valid, 1)).toFixed(1)}%`,
);
for (const [rule, text] of Object.entries(EQUIVALENT_RULES))
  console.log(`equivalent rule ${rule}: ${text} (${equivalent.filter((r) => equivalenceRule(r) === rule).length})`);
console.log(
  `budget: ${SWARM_SEEDS} swarm seeds and ${SEEDS} seeds of each of ${standard.length} shipped scenarios per mutant; files: ${SIDE}; sample: ${mutate.length} of ${locations.length} locations (seed ${SEED}), ${results.length} of ${all.length} mutants`,
);
const describe = (r) =>
  `    ${r.location.start.line}:${r.location.start.column} ${r.mutatorName}: ${short(original(r))} -> ${short(r.replacement ?? "")}`;
console.log("\nsurviving mutants by file:");
const survivors = results.filter((r) => (r.status === "Survived" || r.status === "NoCoverage") && !equivalent.includes(r));
for (const f of FILES) {
  const inFile = results.filter((r) => fileOf(r) === f);
  const left = survivors.filter((r) => fileOf(r) === f);
  console.log(
    `  ${f}: ${left.length} of ${inFile.length} survived (${inFile.length - left.length - equivalent.filter((r) => fileOf(r) === f).length} killed or timed out)`,
  );
  for (const r of left.sort((a, b) => a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column))
    console.log(describe(r));
}
const kinds = new Map();
for (const r of survivors) kinds.set(r.mutatorName, (kinds.get(r.mutatorName) ?? 0) + 1);
console.log(
  `\nsurvivors by mutator: ${
    [...kinds]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([k, n]) => `${k} ${n}`)
      .join(", ") || "none"
  }`,
);
if (equivalent.length > 0) {
  console.log("\nequivalent mutants (by rule):");
  for (const r of equivalent) console.log(`  [${equivalenceRule(r)}] ${fileOf(r)}:${describe(r).trimStart()}`);
}
