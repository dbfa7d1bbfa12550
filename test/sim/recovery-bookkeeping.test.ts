import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { MasterState } from "../../src/protocol/master/state.js";
import { appAnswered, workerAnswered } from "../../src/protocol/master/recovery.js";
import { ClusterRun } from "../../src/sim/cluster.js";
import { ROLES } from "../../src/sim/roles.js";
import { parseScenario, type Scenario } from "../../src/sim/scenario.js";
import { loadScenario, SCENARIO_DIR, scenarioFiles } from "./helpers.js";

/**
 * The master keeps two lazily pruned id lists instead of scanning every worker and app on each
 * recovery response and each registration (recoveryPendingWorkers/Apps, deadWorkerIds). They are
 * exact only while they stay supersets of the UNKNOWN and DEAD entries: checked here after every
 * master step of every shipped scenario, museum ones (bug switches) included.
 */
/** Recovery may complete: every id on the pending lists has answered (what completeRecoveryIfAnswered prunes towards). */
const canCompleteRecovery = (s: MasterState): boolean =>
  s.recoveryPendingWorkers.every((id) => workerAnswered(s, id)) && s.recoveryPendingApps.every((id) => appAnswered(s, id));

function bookkeepingProblems(s: MasterState): string[] {
  const problems: string[] = [];
  const pendingWorkers = new Set<string>(s.recoveryPendingWorkers);
  const pendingApps = new Set<string>(s.recoveryPendingApps);
  const dead = new Set<string>(s.deadWorkerIds);
  // A worker a registration revived during recovery owes its WorkerLatestState: recovery waits for it too.
  const owesReport = (w: MasterState["workers"][string]) => s.recoveryState === "RECOVERING" && w.state === "ALIVE" && w.adoptOnLatestState;
  for (const w of Object.values(s.workers)) {
    if (w.state === "UNKNOWN" && !pendingWorkers.has(w.id)) problems.push(`UNKNOWN worker ${w.id} is not in recoveryPendingWorkers`);
    if (owesReport(w) && !pendingWorkers.has(w.id))
      problems.push(`revived worker ${w.id} owes its report but is not in recoveryPendingWorkers`);
    if (w.state === "DEAD" && !dead.has(w.id)) problems.push(`DEAD worker ${w.id} is not in deadWorkerIds`);
  }
  for (const a of Object.values(s.apps))
    if (a.state === "UNKNOWN" && !pendingApps.has(a.id)) problems.push(`UNKNOWN app ${a.id} is not in recoveryPendingApps`);
  // The pending lists agree with the full scan, and reading them is pure: it leaves the state as it was.
  const scan =
    !Object.values(s.workers).some((w) => w.state === "UNKNOWN" || owesReport(w)) &&
    !Object.values(s.apps).some((a) => a.state === "UNKNOWN");
  const before = structuredClone(s);
  if (canCompleteRecovery(s) !== scan) problems.push(`canCompleteRecovery disagrees with a scan (scan: ${scan})`);
  if (JSON.stringify(s) !== JSON.stringify(before)) problems.push("canCompleteRecovery changed the state");
  return problems;
}

function checkedRun(scenario: Scenario, seed: number): { steps: number; problems: string[]; unknownSeen: boolean; deadSeen: boolean } {
  const run = new ClusterRun(scenario, ROLES, { seed });
  const hooks = run.world.hooks;
  const afterStep = hooks.afterStep!;
  let steps = 0;
  let unknownSeen = false;
  let deadSeen = false;
  const problems: string[] = [];
  hooks.afterStep = (step) => {
    afterStep(step);
    const { node } = step;
    if (node.kind !== "master" || !node.alive) return;
    const s = node.state as MasterState;
    steps++;
    unknownSeen ||= Object.values(s.workers).some((w) => w.state === "UNKNOWN");
    deadSeen ||= Object.values(s.workers).some((w) => w.state === "DEAD");
    for (const p of bookkeepingProblems(s)) if (problems.length < 10) problems.push(`${node.name} at ${run.world.now} ms: ${p}`);
  };
  run.run();
  return { steps, problems, unknownSeen, deadSeen };
}

const MUSEUM = join(SCENARIO_DIR, "museum");
const museumFiles = (): string[] =>
  readdirSync(MUSEUM)
    .filter((f) => f.endsWith(".json"))
    .sort();

describe("sim: the master's recovery and dead-worker id lists", () => {
  for (const file of scenarioFiles().filter((f) => f !== "big-cluster.json")) {
    it(`recovery bookkeeping: ${file}: the lists cover every UNKNOWN and DEAD entry after every master step`, () => {
      for (const seed of [1, 2]) {
        const { steps, problems } = checkedRun(loadScenario(file), seed);
        expect(steps).toBeGreaterThan(0);
        expect(problems).toEqual([]);
      }
    });
  }

  for (const file of museumFiles()) {
    it(`recovery bookkeeping: museum/${file}: the lists stay exact with the bug switched on`, () => {
      const { problems } = checkedRun(parseScenario(JSON.parse(readFileSync(join(MUSEUM, file), "utf8"))), 1);
      expect(problems).toEqual([]);
    });
  }

  it("recovery bookkeeping: the scenarios do reach recovery with UNKNOWN workers, and dead workers", () => {
    const failover = checkedRun(loadScenario("master-failover.json"), 1);
    expect(failover.unknownSeen).toBe(true);
    const zombie = checkedRun(loadScenario("zombie-worker.json"), 1);
    expect(zombie.deadSeen).toBe(true);
  });
});
