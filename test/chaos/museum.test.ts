/**
 * `flint chaos` on real processes: the museum's SPARK-36509 fails with its bug on and passes with
 * it off, as in the simulator.
 */
import { describe, expect, it } from "vitest";
import { chaos, cleanUpAfterEach, passes } from "./harness.js";
import { DIST_READY } from "../real/cluster/harness.js";

cleanUpAfterEach();

describe.skipIf(!DIST_READY)("flint chaos: a museum bug shows on real processes", () => {
  it("SPARK-36509 on: the worker holding the only executor is killed and the job never finishes", async () => {
    const r = await chaos("scenarios/chaos/museum-SPARK-36509.json");
    expect(r.passed).toBe(false);
    expect(r.jobs["pi-1"]).toEqual({ state: "unfinished" });
    expect(r.reasons).toContain("job pi-1: expected succeeded, was unfinished");
  }, 60_000);

  it("SPARK-36509 off (--no-bugs): a replacement executor starts on the other worker and the job succeeds", async () => {
    const r = await chaos("scenarios/chaos/museum-SPARK-36509.json", (s) => ({ ...s, config: { ...s.config, bugs: [] } }));
    passes(r);
    expect(r.jobs["pi-1"]).toEqual({ state: "succeeded" });
  }, 60_000);
});
