/**
 * A real driver registers the way Spark's StandaloneAppClient does: appRegistrationRetries rounds,
 * appRegistrationTimeoutMs apart, each a RegisterApplication to every master. A failed dial to a
 * master (refused, or a handshake that timed out) is one lost message, not the end: the next round
 * dials again. When the last round ends unanswered the driver gives up with the protocol's message
 * and the cause of the failed dials. Short rounds through the protocol config keep this in seconds.
 */
import { createServer } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import type { LocalCluster } from "../../../src/real/cluster/local.js";
import { connect } from "../../../src/real/driver/api.js";
import { createMemoryLogger } from "../../../src/real/log.js";
import { DIST_READY, expected, FAST_PROTOCOL, kill, naps, ProcessTracker, SLOW_APP, startTestCluster } from "./harness.js";

const tracker = new ProcessTracker();
let cluster: LocalCluster | undefined;

afterAll(async () => {
  await cluster?.stop({ graceMs: 3_000 });
  expect(tracker.cleanup()).toEqual([]);
});

/** A port nothing listens on. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.skipIf(!DIST_READY)("a real driver retries its registration rounds", () => {
  it("the master stopped (SIGSTOP) past the handshake timeout while the driver registers: a later round registers, and a job finishes", async () => {
    // The workers must not time out while the master is stopped.
    const c = (cluster = await startTestCluster(tracker, 1, 1, { ...FAST_PROTOCOL, workerTimeoutMs: 20_000 }));
    const logger = createMemoryLogger("driver");
    kill(c.master.pid, "SIGSTOP");
    const startedMs = Date.now();
    // Continued after 4 s: the first dial's handshake times out at 2.5 s (a lost RegisterApplication).
    const cont = setTimeout(() => kill(c.master.pid, "SIGCONT"), 4_000);
    try {
      const d = await connect({
        master: c.masterUrl,
        module: SLOW_APP,
        secret: c.secret,
        protocol: { ...FAST_PROTOCOL, appRegistrationTimeoutMs: 1_000, appRegistrationRetries: 10 },
        logger,
      });
      expect(Date.now() - startedMs).toBeGreaterThanOrEqual(4_000);
      const unreachable = logger.entries.filter((e) => e.event === "master-unreachable");
      expect(unreachable.length).toBeGreaterThanOrEqual(1);
      expect(unreachable[0]!.fields).toMatchObject({ master: c.masterUrl, kind: "unreachable" });
      // Rounds went on after the failed dial (the role's log of each round).
      const rounds = logger.entries.filter((e) => e.event === "registeringWithMasters").map((e) => e.fields?.["round"]);
      expect(rounds.length).toBeGreaterThanOrEqual(3);
      expect(await d.run("nap", naps(4, 10))).toEqual(expected(4));
      await d.close();
    } finally {
      clearTimeout(cont);
      kill(c.master.pid, "SIGCONT");
    }
  }, 60_000);

  it("no master at all: the driver fails after its rounds with the protocol's message and why each dial failed", async () => {
    const port = await freePort();
    const logger = createMemoryLogger("driver");
    const startedMs = Date.now();
    const err = await connect({
      master: `flint://127.0.0.1:${port}`,
      module: SLOW_APP,
      protocol: { appRegistrationTimeoutMs: 300, appRegistrationRetries: 3 },
      logger,
    }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(
      `the application could not start: All masters are unresponsive! Giving up. (127.0.0.1:${port} refused the connection)`,
    );
    // Three rounds of 300 ms, one refused dial each.
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(900);
    expect(logger.entries.filter((e) => e.event === "master-unreachable")).toHaveLength(3);
  }, 30_000);
});
