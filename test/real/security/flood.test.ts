/**
 * Connection floods against a live master, without the secret: hundreds of idle connections held
 * open (and re-opened as they are cut, a few hundred a second) on the status port and on the
 * master's port at once, above the caps. The master stays up with a bounded number of file
 * descriptors; a driver with the secret registers and finishes a job during the flood, and
 * `flint status` answers; the refusals are logged as counts, not one line each.
 */
import { readdirSync } from "node:fs";
import { connect as dial, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_MAX_PENDING_PER_IP, DEFAULT_REJECTION_DETAIL_LINES } from "../../../src/real/admission.js";
import type { LocalCluster } from "../../../src/real/cluster/local.js";
import { STATUS_MAX_PENDING_PER_IP } from "../../../src/real/cluster/status.js";
import { connect, type Cluster } from "../../../src/real/driver/api.js";
import { createMemoryLogger } from "../../../src/real/log.js";
import {
  DIST_READY,
  FAST_PROTOCOL,
  ProcessTracker,
  SLOW_APP,
  expected,
  isAlive,
  naps,
  startTestCluster,
  waitFor,
} from "../cluster/harness.js";
import { logOf, portOf } from "./live.js";

const tracker = new ProcessTracker();
let cluster: LocalCluster | undefined;
let driver: Cluster | undefined;
const floods: Flood[] = [];

afterEach(async () => {
  for (const f of floods.splice(0)) f.stop();
  await driver?.close().catch(() => {});
  driver = undefined;
  await cluster?.stop({ graceMs: 3_000 });
  cluster = undefined;
  expect(tracker.cleanup()).toEqual([]);
});

/** Keeps about `target` idle connections open to `port`, opening at most `perTick` every 10 ms. */
class Flood {
  readonly sockets = new Set<Socket>();
  opened = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(port: number, target: number, perTick: number) {
    this.timer = setInterval(() => {
      for (let i = 0; i < perTick && this.sockets.size < target; i++) {
        const s = dial({ host: "127.0.0.1", port });
        this.opened++;
        this.sockets.add(s);
        s.on("error", () => undefined);
        s.on("close", () => this.sockets.delete(s));
        s.on("data", () => undefined); // never answers
      }
    }, 10);
  }

  stop(): void {
    clearInterval(this.timer);
    for (const s of this.sockets) s.destroy();
  }
}

const fdCount = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

describe.skipIf(!DIST_READY)("security: connection floods", () => {
  it("flood: idle connections above the caps on the status port and the master's port: the master stays up with bounded fds, a driver with the secret runs a job, status answers, refusals are counted", async () => {
    cluster = await startTestCluster(tracker, 1);
    const c = cluster;
    await c.waitForWorkers(1);
    const masterPid = c.master.pid;
    const fdsBefore = fdCount(masterPid);

    // ~300 new connections a second to each port, each aiming to hold several times its caps.
    floods.push(new Flood(c.statusPort, 200, 3), new Flood(portOf(c.masterUrl), 400, 3));
    await waitFor("the floods to pass the caps", () => floods[0]!.opened > 200 && floods[1]!.opened > 400, 20_000);

    // During the flood: a driver with the secret registers and finishes a job; status answers.
    let maxFds = 0;
    const sampler = setInterval(() => (maxFds = Math.max(maxFds, fdCount(masterPid))), 20);
    try {
      driver = await connect({
        master: c.masterUrl,
        module: SLOW_APP,
        secret: c.secret,
        protocol: FAST_PROTOCOL,
        logger: createMemoryLogger("driver"),
      });
      expect(await driver.run<number>("nap", naps(8, 20))).toEqual(expected(8));
      const status = await c.status();
      expect(status.workers).toHaveLength(1);
    } finally {
      clearInterval(sampler);
    }
    const opened = floods[0]!.opened + floods[1]!.opened;
    for (const f of floods) f.stop();

    // The master held at most its per-IP shares of unauthenticated connections (one source here).
    expect(isAlive(masterPid)).toBe(true);
    expect(maxFds).toBeLessThanOrEqual(fdsBefore + DEFAULT_MAX_PENDING_PER_IP + STATUS_MAX_PENDING_PER_IP + 32);

    // Refusals: counted in summary lines; one by one only for the first few of each interval.
    const summaries = await waitFor(
      "the refusal summaries",
      () => {
        const lines = logOf(c, "master").filter((e) => e.event === "connections-refused");
        return lines.some((e) => e["listener"] === "transport") && lines.some((e) => e["listener"] === "status") ? lines : undefined;
      },
      20_000,
      200,
    );
    const counted = summaries.reduce((n, e) => n + Number(e["total"]), 0);
    expect(counted).toBeGreaterThan(opened / 2);
    for (const e of summaries) expect(String(e["summary"])).toMatch(/^refused \d+ connections: \d+ [a-z-]+/);
    const oneByOne = logOf(c, "master").filter(
      (e) =>
        e.event === "connection-rejected" ||
        e.event === "status-request-rejected" ||
        e.event === "connection-refused" ||
        e.event === "connection-error",
    );
    const intervals = summaries.length + 2;
    expect(oneByOne.length).toBeLessThanOrEqual(intervals * DEFAULT_REJECTION_DETAIL_LINES);
    expect(opened).toBeGreaterThan(oneByOne.length * 10);
    expect(isAlive(masterPid)).toBe(true);
    expect(isAlive(c.workers[0]!.pid)).toBe(true);
  }, 90_000);
});
