/**
 * Failures blind fuzzing found with every bug off, shrunk and frozen with their literal seed and
 * plan. Each is a behaviour flint shares with Spark. A safety violation Spark is known to have is
 * classified as that weakness (a recorded hit); a hang never is: it fails the run (L1). The test
 * pins both, so that a reducer change that fixes or alters one says so here.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fuzzSeed, runPlan, swarmBase } from "../../src/sim/fuzz/index.js";
import { runScenario } from "../../src/sim/cluster.js";
import { ROLES } from "../../src/sim/roles.js";
import { parseScenario } from "../../src/sim/scenario.js";

const liberal = { allJobsSucceed: false, faultsMustFire: false };

describe("regressions: fuzz findings", () => {
  it("regression lost-tasks seed 332: lost RegisteredWorker replies strand the executors in LAUNCHING (§7 item 19) until the launch timeout replaces them, on either network", () => {
    // Found by `flint fuzz scenarios/lost-tasks.json` seed 332 (4 faults, 120 tasks); shrunk to this.
    // The worker's first RegisteredWorker is lost, so the master's LaunchExecutor reaches a worker
    // that has no active master yet and drops it. In Spark the executors stay LAUNCHING for ever
    // (a stall, §7.19); flint's master gives them up after executorLaunchTimeoutMs and launches
    // replacements under new ids, which the worker, registered by then, starts.
    const plan = parseScenario({
      name: "lost-tasks-seed-332-min",
      comment: "shrunk from flint fuzz scenarios/lost-tasks.json seed 332",
      seed: 332,
      timeLimitMs: 428_389,
      cluster: { masters: 1, workers: [{ count: 1, cores: 4, memoryMb: 8192 }] },
      apps: [
        {
          name: "pi",
          submitAtMs: 500,
          coresPerExecutor: 2,
          jobs: [{ id: "pi-1", afterMs: 1000, stages: [{ tasks: 1, durationMs: 2000, jitterMs: 1000 }] }],
        },
      ],
      faults: [{ atMs: 0, kind: "messages", messageType: "RegisteredWorker", dropProbability: 0.78, durationMs: 23_000 }],
      expect: liberal,
    });
    // Found on the lossy network, where the replies vanish silently. In Spark the executors stay
    // LAUNCHING for ever; flint's master gives them up after executorLaunchTimeoutMs and launches
    // replacements under new ids, which the worker, registered by then, starts.
    const lossy = runPlan({ ...plan, network: { lossy: true } }, ROLES);
    expect(lossy.jobs["pi-1"]!.state).toBe("succeeded");
    expect(lossy).toMatchObject({ ok: true, failure: null, weaknesses: 0 });
    // On TCP a lost reply resets the connection: the worker hears of it, registers again, and the job runs.
    expect(runPlan(plan, ROLES)).toMatchObject({ ok: true, jobs: { "pi-1": { state: "succeeded" } } });
  });

  it("regression master-failover seed 205: a paused leader registers an app after losing leadership (§3.5.1) and the store holds two apps for its driver; the recovering leader keeps the one the driver follows, so the job finishes (it was a hang)", () => {
    // Found by `flint fuzz scenarios/master-failover.json` seed 205 (10 faults); shrunk to these two.
    // master-1 is paused across the election, registers app etl from its stalled inbox as if still
    // leader (and stores it), while master-2 stored etl too. Spark's recovery keeps the first stored
    // record, not the one etl's driver acknowledges, and finishes it silently: the driver waited for
    // ever. flint recovers the record registered last (master/recovery.ts), the driver's; and its
    // driver confirms its app after MasterChanged (driver/appClient.ts): either alone ends the hang.
    const plan = parseScenario({
      name: "master-failover-seed-205-min",
      comment: "shrunk from flint fuzz scenarios/master-failover.json seed 205",
      seed: 205,
      timeLimitMs: 647_909,
      cluster: { masters: 2, recoveryMode: "zookeeper", sessionTimeoutMs: 15_000, workers: [{ count: 1, cores: 4, memoryMb: 8192 }] },
      apps: [
        {
          name: "pi",
          maxCores: 8,
          coresPerExecutor: 2,
          submitAtMs: 1000,
          jobs: [{ id: "pi-2", afterMs: 60_000, stages: [{ tasks: 1, durationMs: 200 }] }],
        },
        {
          name: "etl",
          maxCores: 8,
          coresPerExecutor: 2,
          submitAtMs: 70_000,
          jobs: [{ id: "etl-1", afterMs: 1000, stages: [{ tasks: 1, durationMs: 300 }] }],
        },
      ],
      faults: [
        { atMs: 58_137, kind: "pause", target: "leader", durationMs: 84_000 },
        { atMs: 126_733, kind: "crash", target: "leader", restartAfterMs: 108_000 },
      ],
      expect: liberal,
    });
    const outcome = runPlan(plan, ROLES);
    // Two weakness hits: the split-brain registration (I7) and the second record of etl that the
    // split brain stored, which the new leader's recovery drops (I11). No hang any more.
    expect(outcome).toMatchObject({ ok: true, failure: null, weaknesses: 2 });
    expect(outcome.jobs["pi-2"]!.state).toBe("succeeded");
    expect(outcome.jobs["etl-1"]!.state).toBe("succeeded");
    expect(outcome.firstWeakness).toMatchObject({ check: "I7:only-leader-registers", weakness: "§3.5.1 no fencing" });
  });

  it("regression swarm seed 63: a worker that missed the new leader's MasterChanged while its old master is gone asks every master after its fast retries (§3.5.5)", () => {
    // Found by `flint fuzz swarm` seed 63: a partition around a cluster-mode driver's host also cut
    // worker-1 off, so it missed MasterChanged; its old master never came back, and Spark's worker
    // retries only that master, so the app waited for ever. OLD-MASTER-ONLY restores Spark's retries.
    expect(fuzzSeed(swarmBase(), 63, ROLES).outcome.failure).toBeNull();
    const spark = fuzzSeed(swarmBase(), 63, ROLES, { bugs: ["OLD-MASTER-ONLY"] }).outcome;
    expect(spark.failure).toMatchObject({ check: "L1:jobs-finish-after-healing" });
    expect(spark.failure!.weakness).toBeUndefined();
  });

  it("regression swarm seed 899: tasks too big to send end at once, and the cores they were offered go to the next job in the same step", () => {
    // Found by `flint fuzz swarm` seed 899 (shrunk): Spark left an unsent task among its executor's
    // running tasks (a later LOST update then counted it as holding CPUs); flint ends it KILLED, and
    // the offer round's cores it never took are offered again at once (D3).
    const plan = JSON.parse(readFileSync(new URL("./swarm-899-too-big-tasks.json", import.meta.url), "utf8"));
    const r = runScenario(parseScenario(plan), ROLES);
    expect(r.verdict).toEqual({ ok: true, reasons: [] });
  });

  it("regression swarm seeds 652 and 2926: a node that crashed behind a partition and came back is not mistaken for its old incarnation", () => {
    // 652: a client driver crashed while cut off, restarted and registered again; the master's
    // keepalive on the old connection then reported the driver gone and finished its new app.
    // Now a stale connection closing says nothing once the node has dialed its peer again.
    // 2926: an executor kept writing to its dead driver's address; its heartbeats reached the
    // restarted driver, which answered them, so the executor never noticed its driver had died and
    // held its cores for ever. Now they go on the dead connection until the keepalive tells it.
    for (const seed of [652, 2926]) expect(fuzzSeed(swarmBase(), seed, ROLES).outcome.failure, `swarm seed ${seed}`).toBeNull();
    // supervised-driver-relaunch seed 697: the driver relaunched under the same id behind the
    // partition dialed the master, but the partition held the dial: that is no new connection, and
    // the master's keepalive must still report the old one gone (or the dead app keeps its executors).
    const relaunch = JSON.parse(readFileSync(new URL("../../scenarios/supervised-driver-relaunch.json", import.meta.url), "utf8"));
    expect(fuzzSeed(parseScenario(relaunch), 697, ROLES).outcome.failure).toBeNull();
  });
});
