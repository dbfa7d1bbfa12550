// Fuzz benchmark: seeds per second per core on an 8-worker, 1,000-task scenario with faults (one
// thread, so the number is per core), the same over the shipped standard scenarios, and, for each
// museum bug, the seeds blind fuzzing needs to find it and the time to shrink the failure.
// Run after `npm run build`:  node bench/fuzz.js [--seconds S]
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const { parseScenario } = await import("../dist/sim/scenario.js");
const { fuzzSeed } = await import("../dist/sim/fuzz/index.js");
const { shrink } = await import("../dist/sim/shrink/index.js");
const { ROLES } = await import("../dist/sim/roles.js");
const { Coverage } = await import("../dist/sim/coverage.js");

const argSeconds = process.argv.indexOf("--seconds");
const SECONDS = argSeconds > 0 ? Number(process.argv[argSeconds + 1]) : 10;
const dir = (p) => fileURLToPath(new URL(p, import.meta.url));

/** 8 workers x 4 cores, two apps, 1,000 one-second tasks in all: the reference scenario. */
const eightWorkers = parseScenario({
  name: "fuzz-bench-8x1000",
  comment: "8 workers, 2 apps, 1,000 tasks; the fuzzer adds its swarm of faults per seed",
  timeLimitMs: 600_000,
  cluster: { masters: 2, recoveryMode: "zookeeper", sessionTimeoutMs: 15_000, workers: [{ count: 8, cores: 4, memoryMb: 8192 }] },
  apps: [
    {
      name: "a",
      submitAtMs: 500,
      maxCores: 16,
      coresPerExecutor: 2,
      jobs: [
        {
          id: "a-1",
          afterMs: 500,
          stages: [
            { tasks: 400, durationMs: 1000, jitterMs: 500 },
            { tasks: 100, durationMs: 500 },
          ],
        },
      ],
    },
    {
      name: "b",
      submitAtMs: 2000,
      maxCores: 16,
      coresPerExecutor: 2,
      jobs: [{ id: "b-1", afterMs: 500, stages: [{ tasks: 500, durationMs: 800, jitterMs: 400 }] }],
    },
  ],
});

/** `coverage`: count protocol coverage as `flint fuzz` does by default (src/sim/coverage.ts). */
function rate(base, seconds, coverage = null) {
  const start = performance.now();
  let seeds = 0;
  let events = 0;
  let failures = 0;
  for (let seed = 1; performance.now() - start < seconds * 1000; seed++) {
    const r = fuzzSeed(base, seed, ROLES, coverage === null ? {} : { coverage });
    seeds++;
    events += r.outcome.events;
    if (!r.outcome.ok) failures++;
  }
  const s = (performance.now() - start) / 1000;
  return { seeds, seedsPerSecond: seeds / s, eventsPerSeed: Math.round(events / seeds), failures };
}

const fmt = (x) => x.toFixed(1).padStart(7);
console.log(`fuzz seeds/s per core (one thread, ${SECONDS} s each)`);
const ref = rate(eightWorkers, SECONDS);
console.log(
  `  ${"8 workers, 1,000 tasks, faults".padEnd(34)} ${fmt(ref.seedsPerSecond)} seeds/s  (${ref.seeds} seeds, ${ref.eventsPerSeed} events/seed, ${ref.failures} failures)  target >= 50`,
);
const cov = rate(eightWorkers, SECONDS, new Coverage());
console.log(
  `  ${"  the same, counting coverage".padEnd(34)} ${fmt(cov.seedsPerSecond)} seeds/s  (${cov.seeds} seeds; flint fuzz counts it unless --no-coverage)  target >= 50`,
);
for (const f of readdirSync(dir("../scenarios/"))
  .filter((f) => f.endsWith(".json") && !f.endsWith(".schema.json") && f !== "big-cluster.json")
  .sort()) {
  const base = parseScenario(JSON.parse(readFileSync(dir(`../scenarios/${f}`), "utf8")));
  const r = rate(base, Math.max(1, SECONDS / 5));
  console.log(
    `  ${f.padEnd(34)} ${fmt(r.seedsPerSecond)} seeds/s  (${r.seeds} seeds, ${r.eventsPerSeed} events/seed, ${r.failures} failures)`,
  );
}

console.log("\nbug museum: blind fuzz (cluster + workload of the museum scenario, no faults given), then shrink");
console.log(
  `  ${"bug".padEnd(24)} ${"seeds to 1st".padStart(12)} ${"find ms".padStart(8)} ${"shrink ms".padStart(9)} ${"runs".padStart(5)}  check; faults/nodes/tasks/events before -> after`,
);
for (const f of readdirSync(dir("../scenarios/museum/"))
  .filter((f) => f.endsWith(".json"))
  .sort()) {
  const json = JSON.parse(readFileSync(dir(`../scenarios/museum/${f}`), "utf8"));
  // Some museum pieces need two switches (SPARK-4592 shows only with SPARK-23191).
  const bugs = json.config.bugs;
  const bug = bugs.join("+");
  const base = parseScenario({ ...json, faults: [], config: { ...json.config, bugs: [] } });
  const t0 = performance.now();
  let found = null;
  let seed = 1;
  for (; seed <= 1000 && found === null; seed++) {
    const r = fuzzSeed(base, seed, ROLES, { bugs });
    if (!r.outcome.ok) found = r;
  }
  const findMs = performance.now() - t0;
  if (found === null) {
    console.log(`  ${bug.padEnd(24)} not found in 1000 seeds`);
    continue;
  }
  const t1 = performance.now();
  const s = shrink(found.plan, ROLES);
  const shrinkMs = performance.now() - t1;
  const size = (z) => `${z.faults}/${z.nodes}/${z.tasks}/${z.events}`;
  console.log(
    `  ${bug.padEnd(24)} ${String(found.seed).padStart(12)} ${findMs.toFixed(0).padStart(8)} ${shrinkMs.toFixed(0).padStart(9)} ${String(s.runs).padStart(5)}  ${s.check}; ${size(s.before)} -> ${size(s.after)}`,
  );
}
