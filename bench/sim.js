// Simulator benchmark: events per second, virtual seconds per wall second, wall time and peak
// memory for `big-cluster` and for a steady 100-worker run, then both again with the per-step
// safety checks switched off (labelled "no checks"), to show what the checks cost. Run after
// `npm run build`:
//   node bench/sim.js            (each case runs in its own process so peak memory is its own)
//   node bench/sim.js --one big-cluster [--no-safety-checks] [--until MS]
//                                (one case; --until stops at that virtual time, e.g. 4000 to time
//                                 big-cluster's start: 1,000 workers registering, 2,000 executors)
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

function steady100() {
  const apps = [1, 2].map((i) => ({
    name: `steady-${i}`,
    submitAtMs: 500 * i,
    maxCores: 200,
    coresPerExecutor: 4,
    jobs: [{ id: `steady-${i}`, afterMs: 1000, stages: [{ tasks: 60000, durationMs: 1000, jitterMs: 500 }] }],
  }));
  return {
    name: "steady-100",
    comment: "100 workers, two apps keeping 400 cores busy with 120,000 one-second tasks",
    seed: 1,
    timeLimitMs: 3_600_000,
    cluster: { masters: 1, workers: [{ count: 100, cores: 4, memoryMb: 16384 }] },
    apps,
  };
}

async function one(name, safetyChecks, untilMs) {
  const { runScenario } = await import("../dist/sim/cluster.js");
  const { ROLES } = await import("../dist/sim/roles.js");
  const { parseScenario } = await import("../dist/sim/scenario.js");
  const raw = name === "steady-100" ? steady100() : JSON.parse(readFileSync(here(`../scenarios/${name}.json`), "utf8"));
  const scenario = parseScenario(raw);
  const start = performance.now();
  // safetyChecks: false is an internal switch of the simulator for this benchmark only (it says
  // how much of the time the per-step invariant checks take); every real run checks.
  const result = runScenario(scenario, ROLES, {
    ...(safetyChecks ? {} : { safetyChecks: false }),
    ...(untilMs === undefined ? {} : { untilMs }),
  });
  const wallMs = performance.now() - start;
  const peakMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(
    JSON.stringify({
      name,
      safetyChecks,
      ok: result.verdict.ok,
      events: result.counts.events,
      steps: result.counts.steps,
      messages: result.counts.messagesDelivered,
      virtualS: result.virtualTimeMs / 1000,
      wallS: wallMs / 1000,
      eventsPerS: result.counts.events / (wallMs / 1000),
      virtualSPerWallS: result.virtualTimeMs / wallMs,
      peakMb,
    }) + "\n",
  );
}

const arg = process.argv.indexOf("--one");
if (arg >= 0) {
  const until = process.argv.indexOf("--until");
  await one(process.argv[arg + 1], !process.argv.includes("--no-safety-checks"), until >= 0 ? Number(process.argv[until + 1]) : undefined);
} else {
  console.log("flint simulator benchmark (node " + process.version + ")");
  console.log("case                      ok    events   steps    wall s  events/s   virtual s/wall s  peak MB");
  // The same two runs again without the per-step safety checks (an internal switch, never a user
  // option): the difference is what the checks cost; the rest is the simulator and the roles.
  const runs = [
    ["big-cluster", true],
    ["steady-100", true],
    ["big-cluster", false],
    ["steady-100", false],
  ];
  for (const [name, checks] of runs) {
    const args = [fileURLToPath(import.meta.url), "--one", name, ...(checks ? [] : ["--no-safety-checks"])];
    const child = spawnSync(process.execPath, args, { encoding: "utf8" });
    const label = checks ? name : `${name} (no checks)`;
    if (child.status !== 0) {
      console.log(`${label}: failed\n${child.stderr}`);
      process.exitCode = 1;
      continue;
    }
    const r = JSON.parse(child.stdout);
    console.log(
      `${label.padEnd(25)} ${String(r.ok).padEnd(5)} ${String(r.events).padStart(8)} ${String(r.steps).padStart(8)} ${r.wallS.toFixed(2).padStart(8)} ${Math.round(r.eventsPerS).toLocaleString("en").padStart(10)} ${r.virtualSPerWallS.toFixed(1).padStart(10)} ${r.peakMb.toFixed(0).padStart(12)}`,
    );
  }
}
