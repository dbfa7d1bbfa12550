// `npm run bench -- failover`: how long a cluster cannot schedule after its leader master dies
// (issue 6). A local cluster (2 workers x 1 core, protocol defaults) runs an app; the leader is
// killed with SIGKILL; we time until a master leads again (recovery complete: ALIVE, with both
// workers and the app back) and until a NEW app's first job has run on it.
//   filesystem: the only master is restarted at once (as a supervisor would) on its directory;
//   zookeeper:  two masters; the standby takes over when the dead leader's session expires:
//               short (3 s session, ZooKeeper tickTime 250 ms) and default (Spark's 60 s, which a
//               default ZooKeeper server, tickTime 2 s, clamps to 40 s).
// Needs dist/ (npm run build) and, for the ZooKeeper rows, Debian's zookeeper package and java.
import { startLocalCluster } from "../dist/real/cluster/local.js";
import { connect } from "../dist/real/driver/api.js";
import { createMemoryLogger } from "../dist/real/log.js";
import { EmbeddedZooKeeper, zooKeeperMissing } from "../dist/real/recovery/zkServer.js";

const APP = new URL("../test/real/cluster/apps/slow.mjs", import.meta.url).pathname;
const quick = process.argv.includes("--quick");

async function waitFor(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function measure({ label, masters, recovery, zkSessionTimeoutMs }) {
  const cluster = await startLocalCluster({
    workers: 2,
    coresPerWorker: 1,
    memoryPerWorkerMb: 1024,
    masters,
    ...(recovery ? { recovery } : {}),
    ...(zkSessionTimeoutMs ? { zkSessionTimeoutMs } : {}),
    logLevel: "error",
    readyTimeoutMs: 60_000,
  });
  try {
    const driver = await connect({
      master: cluster.masterUrl,
      app: "before",
      module: APP,
      secret: cluster.secret,
      logger: createMemoryLogger("driver"),
    });
    await driver.run("nap", [
      { ms: 1, value: 0 },
      { ms: 1, value: 1 },
    ]);
    const leader = 0;
    const next = masters === 1 ? 0 : 1;
    const killedAt = performance.now();
    cluster.masters[leader].child.kill("SIGKILL");
    await cluster.masters[leader].exited;
    if (masters === 1) await cluster.restartMaster(0);
    await waitFor(
      `master ${next + 1} to lead`,
      async () => {
        const s = await cluster.masterStatus(next);
        return (
          s.recoveryState === "ALIVE" &&
          s.workers.filter((w) => w.state === "ALIVE").length === 2 &&
          s.apps.some((a) => a.state === "RUNNING")
        );
      },
      120_000,
    );
    const aliveMs = performance.now() - killedAt;
    await driver.close();
    const fresh = await connect({
      master: cluster.masterUrl,
      app: "after",
      module: APP,
      secret: cluster.secret,
      logger: createMemoryLogger("driver"),
    });
    await fresh.run("nap", [{ ms: 1, value: 0 }]);
    const scheduledMs = performance.now() - killedAt;
    await fresh.close();
    return { label, aliveMs, scheduledMs };
  } finally {
    await cluster.stop({ graceMs: 3_000 });
  }
}

const rows = [];
const repeat = quick ? 1 : 3;
for (let i = 0; i < repeat; i++) rows.push(await measure({ label: "filesystem, restarted at once", masters: 1 }));
const missing = zooKeeperMissing();
if (missing) {
  console.log(`zookeeper rows skipped: ${missing}`);
} else {
  const short = await EmbeddedZooKeeper.start({ tickMs: 250 });
  try {
    for (let i = 0; i < repeat; i++)
      rows.push(
        await measure({
          label: "zookeeper, 3 s session",
          masters: 2,
          recovery: `zookeeper:${short.connectString}/bench-${i}`,
          zkSessionTimeoutMs: 3_000,
        }),
      );
  } finally {
    await short.destroy();
  }
  if (!quick) {
    const standard = await EmbeddedZooKeeper.start({ tickMs: 2_000 });
    try {
      rows.push(
        await measure({
          label: "zookeeper, default 60 s session (server grants 40 s)",
          masters: 2,
          recovery: `zookeeper:${standard.connectString}/bench`,
        }),
      );
    } finally {
      await standard.destroy();
    }
  }
}

console.log("\nfailover: SIGKILL of the leader master -> a master leads again / a new app has run a task");
console.log(`${"mode".padEnd(56)} ${"leading again".padStart(14)} ${"new app ran".padStart(12)}`);
for (const r of rows)
  console.log(`${r.label.padEnd(56)} ${(r.aliveMs / 1000).toFixed(2).padStart(12)} s ${(r.scheduledMs / 1000).toFixed(2).padStart(10)} s`);
