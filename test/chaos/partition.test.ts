/**
 * `flint chaos`: a worker cut off by a partition (network namespaces, root) is marked dead and
 * comes back; faults real processes cannot do are refused before anything starts; the chaos
 * scenarios get the same verdicts in the simulator. Needs dist/ (the processes run it).
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { namespacesUnavailable } from "../../src/chaos/netns.js";
import { ChaosRefused } from "../../src/chaos/run.js";
import { ROOT } from "../real/cluster/harness.js";
import { dirs } from "./harness.js";
import { describe, expect, it } from "vitest";
import { chaos, cleanUpAfterEach, passes } from "./harness.js";
import { DIST_READY } from "../real/cluster/harness.js";

cleanUpAfterEach();

describe("flint chaos refuses what real processes cannot do, before starting anything", () => {
  it("names each fault it cannot do, with its index and kind", async () => {
    const err = await chaos("scenarios/registration-retries.json").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChaosRefused);
    const reasons = (err as ChaosRefused).reasons;
    expect(reasons[0]).toMatch(/^faults\[0\] \(messages\): dropping, delaying or duplicating chosen messages needs the simulated network/);
    expect(reasons[1]).toMatch(/^faults\[1\] \(messages\)/);
    // Nothing was started: the run folder is as it was made.
    expect(readdirSync(dirs[0]!)).toEqual([]);
  });

  it("a partition it cannot cut is refused with the reason: no namespaces (not root), or a cut between chosen hosts", async () => {
    const err = await chaos("scenarios/partition-heal.json").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChaosRefused);
    const why = namespacesUnavailable();
    expect((err as ChaosRefused).reasons[0]).toMatch(
      why !== undefined
        ? /^faults\[0\] \(partition\): a partition needs network namespaces: /
        : /^faults\[0\] \(partition\): only a partition of hosts from every other node is done on real processes/,
    );
  });
});

const noNamespaces = DIST_READY ? namespacesUnavailable() : "dist/ is not built";
if (noNamespaces !== undefined) console.warn(`flint chaos partition test skipped: ${noNamespaces}`);

describe.skipIf(noNamespaces !== undefined)("flint chaos: a partition on network namespaces", () => {
  it("the cut-off worker is marked dead, the job finishes on the others, after the heal the worker registers again", async () => {
    const r = await chaos("scenarios/chaos/partition-worker-dead.json");
    passes(r);
    expect(r.jobs).toEqual({ "pi-1": { state: "succeeded" }, "pi-2": { state: "succeeded" } });
    // The namespaces and links are gone with the run.
    expect(spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout).not.toMatch(new RegExp(`fc${process.pid % 100000}-`));
  }, 60_000);
});

describe.skipIf(!DIST_READY)("the chaos scenarios in the simulator: the same verdicts", () => {
  const sim = (file: string, ...flags: string[]): number | null =>
    spawnSync(process.execPath, [join(ROOT, "bin/flint.js"), "sim", join(ROOT, "scenarios/chaos", file), ...flags], { encoding: "utf8" })
      .status;
  it("every chaos scenario passes flint sim, but the museum one fails with its bug on", () => {
    for (const file of readdirSync(join(ROOT, "scenarios/chaos"))) {
      if (file.startsWith("museum-")) {
        expect(`${file}: ${sim(file)}`).toBe(`${file}: 1`);
        expect(`${file} --no-bugs: ${sim(file, "--no-bugs")}`).toBe(`${file} --no-bugs: 0`);
      } else expect(`${file}: ${sim(file)}`).toBe(`${file}: 0`);
    }
  }, 60_000);
});
