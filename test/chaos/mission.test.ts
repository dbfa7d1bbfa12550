/**
 * `flint chaos` on real processes (issue 17, item 3): the mission scenarios lost tasks, registration
 * retries and heartbeat timeout (their chaos variants under scenarios/chaos/: the same faults with
 * timeouts shortened through the protocol config) pass, with every step replayed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chaos, cleanUpAfterEach, dirs, passes } from "./harness.js";
import { DIST_READY } from "../real/cluster/harness.js";

cleanUpAfterEach();

describe.skipIf(!DIST_READY)("flint chaos: the mission scenarios on real processes", () => {
  it("lost tasks: executors killed with kill -9 mid-job; the attempts re-run, replacements launched", async () => {
    const r = await chaos("scenarios/chaos/lost-tasks.json");
    passes(r);
    expect(r.jobs).toEqual({ "pi-1": { state: "succeeded" } });
  }, 60_000);

  it("registration retries: the master stopped at the start; the workers retry and register, and so does the driver, whose first dial failed", async () => {
    passes(await chaos("scenarios/chaos/registration-retries.json"));
    // The driver's dial to the stopped master failed (its handshake timed out) and its next rounds registered the app.
    const driverLog = readFileSync(join(dirs.at(-1)!, "logs", "app_pi.0.stderr"), "utf8");
    expect(driverLog).toMatch(/WARN .*master-unreachable.*kind="?unreachable/);
  }, 60_000);

  it("heartbeat timeout: a worker stopped (SIGSTOP) past the worker timeout is removed, asked to reconnect once continued", async () => {
    passes(await chaos("scenarios/chaos/heartbeat-timeout.json"));
  }, 60_000);
});
