/**
 * A peer that holds the secret but is NOT the master (a compromised worker, a driver) sends a
 * worker the master's commands: LaunchDriver and LaunchExecutor. The worker must only obey its
 * master: nothing is launched, and no directory is made. This depends on the reducers checking
 * who sent a command (authority per message), which the transport alone cannot do: the handshake
 * proves a peer holds the secret, not which role it plays.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { address } from "../../../src/protocol/ids.js";
import type { Message } from "../../../src/protocol/messages.js";
import type { LocalCluster } from "../../../src/real/cluster/local.js";
import { Handshake } from "../../../src/real/handshake.js";
import { DIST_READY, ProcessTracker, isAlive, startTestCluster, waitFor } from "../cluster/harness.js";
import { SAMPLE_MESSAGES } from "../fixtures.js";
import { Wire, listeningAddress, logOf, portOf } from "./live.js";

const tracker = new ProcessTracker();
let cluster: LocalCluster | undefined;
const wires: Wire[] = [];

afterEach(async () => {
  for (const w of wires.splice(0)) w.close();
  await cluster?.stop({ graceMs: 3_000 });
  cluster = undefined;
  expect(tracker.cleanup()).toEqual([]);
});

describe.skipIf(!DIST_READY)("security: master commands from a peer that is not the master", () => {
  it("forged master: LaunchDriver and LaunchExecutor from an authenticated non-master peer launch nothing", async () => {
    cluster = await startTestCluster(tracker, 1);
    const c = cluster;
    await c.waitForWorkers(1);
    const workerPort = portOf(listeningAddress(c, "worker-1"));
    const wire = await Wire.dial(workerPort);
    wires.push(wire);
    const hs = new Handshake({
      side: "client",
      ourAddress: address("flint://127.0.0.1:9"),
      dialed: address(`flint://127.0.0.1:${workerPort}`),
      secret: c.secret,
    });
    for (const f of hs.start()) wire.send(f);
    let used = 0;
    while (!hs.done) {
      await waitFor("a handshake frame", () => wire.frames.length > used || wire.closed, 5_000, 5);
      const p = hs.receive(wire.frames[used++]!);
      for (const f of p.send) wire.send(f);
      if (p.reject) throw new Error(p.reject.detail);
    }
    const driverId = "driver-20990101000000-0666";
    const appId = "app-20990101000000-0666";
    wire.message({ ...SAMPLE_MESSAGES.LaunchDriver, driverId } as Message);
    wire.message({ ...SAMPLE_MESSAGES.LaunchExecutor, appId, masterUrl: c.masterUrl } as Message);
    // Both reached the worker's reducer, which refused them by their sender...
    await waitFor(
      "the worker's refusals",
      () =>
        logOf(c, "worker-1").filter(
          (e) => e.event === "ignored" && e["why"] === "not-from-active-master" && e["from"] === "flint://127.0.0.1:9",
        ).length === 2,
      10_000,
      50,
    );
    // ...and had time to act on them, were it to obey.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(logOf(c, "worker-1").filter((e) => e.event === "process-launched")).toEqual([]);
    expect(existsSync(join(c.workDir, driverId))).toBe(false);
    expect(existsSync(join(c.workDir, appId))).toBe(false);
    expect(isAlive(c.workers[0]!.pid)).toBe(true);
  }, 60_000);
});
