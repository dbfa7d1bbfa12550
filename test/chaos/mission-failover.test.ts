/**
 * `flint chaos` on real processes: master failover (ZooKeeper), failed tasks, and a run whose
 * expectations did not happen fails (the merged history is really matched).
 */
import { zooKeeperMissing } from "../../src/real/recovery/zkServer.js";
import { describe, expect, it } from "vitest";
import { chaos, cleanUpAfterEach, passes } from "./harness.js";
import { DIST_READY } from "../real/cluster/harness.js";

cleanUpAfterEach();

describe.skipIf(!DIST_READY)("flint chaos: the mission scenarios on real processes (failover, failed tasks)", () => {
  it.skipIf(zooKeeperMissing() !== undefined)(
    "master failover: the leader killed, the standby elected by ZooKeeper recovers the cluster",
    async () => {
      const r = await chaos("scenarios/chaos/master-failover.json");
      passes(r);
      expect(Object.values(r.jobs).map((j) => j.state)).toEqual(["succeeded", "succeeded", "succeeded"]);
    },
    60_000,
  );

  it("failTasks: the next 5 attempts to finish throw, exactly 5 fail and are re-run, the job succeeds", async () => {
    const r = await chaos("scenarios/chaos/failed-tasks.json");
    passes(r);
    expect(r.jobs).toEqual({ "pi-1": { state: "succeeded" } });
  }, 60_000);

  it("an expectation that did not happen fails the run (the history is really matched)", async () => {
    const r = await chaos("scenarios/chaos/lost-tasks.json", (s) => ({
      ...s,
      expect: {
        ...s.expect,
        events: [
          ...s.expect.events,
          { node: "master-1", effect: "log:workerRegistered", minCount: 1, absent: true },
          { node: "worker-*", input: "processExited", minCount: 500, absent: false },
        ],
      },
    }));
    expect(r.passed).toBe(false);
    expect(r.reasons.join("\n")).toMatch(/master-1 effect log:workerRegistered happened at \d+ ms but must not/);
    expect(r.reasons.join("\n")).toMatch(/worker-\* input processExited: expected at least 500, saw \d+/);
  }, 60_000);
});
