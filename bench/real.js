#!/usr/bin/env node
// Benchmark of the real runtime on `flint local` with 2 workers x 1 core (issue 5, "Speed"):
// no-op task throughput (10,000 and 100,000 tasks), single-task round trip (p50, p99), time to a
// ready cluster, and the driver's peak memory per in-flight task. With Debian's python3-distributed
// installed (importable by /usr/bin/python3), the same for Dask's LocalCluster (2 processes x 1
// thread), side by side. Needs `npm run build` first.
//
//   node bench/real.js [--quick]
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const { startLocalCluster, connect } = await import(`${root}dist/real/index.js`);
const { createMemoryLogger } = await import(`${root}dist/real/log.js`);
const NOOP = `${root}examples/noop.mjs`;
const quick = process.argv.includes("--quick");
const SIZES = quick ? [10_000] : [10_000, 100_000];
const ROUND_TRIPS = quick ? 200 : 1_000;

const fmt = (n, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function flintBench() {
  const out = {};
  const t0 = performance.now();
  const cluster = await startLocalCluster({ workers: 2, coresPerWorker: 1, memoryPerWorkerMb: 2048, logLevel: "warn" });
  const driver = await connect({ master: cluster.masterUrl, module: NOOP, secret: cluster.secret, logger: createMemoryLogger("bench") });
  // Ready = both executors registered with the driver (a job can run at full width).
  await driver.run("noop", [0, 1]);
  out.readyMs = performance.now() - t0;
  try {
    await driver.run("noop", Array.from({ length: 2_000 }, (_, i) => i)); // warm-up
    for (const n of SIZES) {
      const inputs = Array.from({ length: n }, (_, i) => i);
      global.gc?.();
      const baseline = process.memoryUsage();
      let peakHeap = baseline.heapUsed;
      let peakRss = baseline.rss;
      const sampler = setInterval(() => {
        const m = process.memoryUsage();
        peakHeap = Math.max(peakHeap, m.heapUsed);
        peakRss = Math.max(peakRss, m.rss);
      }, 5);
      const started = performance.now();
      const results = await driver.run("noop", inputs);
      const seconds = (performance.now() - started) / 1000;
      clearInterval(sampler);
      if (results.length !== n) throw new Error(`expected ${n} results, got ${results.length}`);
      out[`tasksPerSecond${n}`] = n / seconds;
      out[`heapPerTaskBytes${n}`] = (peakHeap - baseline.heapUsed) / n;
      out[`rssPerTaskBytes${n}`] = (peakRss - baseline.rss) / n;
    }
    const latencies = [];
    for (let i = 0; i < ROUND_TRIPS; i++) {
      const started = performance.now();
      await driver.run("noop", [i]);
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    out.p50Ms = percentile(latencies, 50);
    out.p99Ms = percentile(latencies, 99);
  } finally {
    await driver.close();
    await cluster.stop();
  }
  return out;
}

const DASK_SCRIPT = String.raw`
import json, sys, time
from dask.distributed import LocalCluster, Client
sizes = [int(s) for s in sys.argv[1].split(",")]
trips = int(sys.argv[2])
def noop(x):
    return x
t0 = time.perf_counter()
cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
client = Client(cluster)
client.gather(client.map(noop, [0, 1], pure=False))
out = {"readyMs": (time.perf_counter() - t0) * 1000}
client.gather(client.map(noop, range(2000), pure=False))
for n in sizes:
    t = time.perf_counter()
    client.gather(client.map(noop, range(n), pure=False))
    out["tasksPerSecond%d" % n] = n / (time.perf_counter() - t)
lat = []
for i in range(trips):
    t = time.perf_counter()
    client.submit(noop, i, pure=False).result()
    lat.append((time.perf_counter() - t) * 1000)
lat.sort()
out["p50Ms"] = lat[len(lat) // 2]
out["p99Ms"] = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
client.close(); cluster.close()
print(json.dumps(out))
`;

function daskBench() {
  const probe = spawnSync("/usr/bin/python3", ["-c", "import distributed"], { encoding: "utf8" });
  if (probe.status !== 0) return { skipped: "python3-distributed is not installed (Debian's /usr/bin/python3 cannot import distributed)" };
  const run = spawnSync("/usr/bin/python3", ["-c", DASK_SCRIPT, SIZES.join(","), String(ROUND_TRIPS)], { encoding: "utf8", timeout: 600_000 });
  if (run.status !== 0) return { skipped: `Dask run failed: ${(run.stderr || "").trim().split("\n").at(-1)}` };
  return JSON.parse(run.stdout.trim().split("\n").at(-1));
}

const flint = await flintBench();
const dask = daskBench();
const rows = [];
const row = (name, f, d, unit, digits = 0, higherIsBetter = true) => {
  const ratio = d === undefined ? "" : higherIsBetter ? `${fmt(f / d, 1)}x` : `${fmt(d / f, 1)}x`;
  rows.push([name, `${fmt(f, digits)} ${unit}`, d === undefined ? "-" : `${fmt(d, digits)} ${unit}`, ratio]);
};
for (const n of SIZES) row(`no-op throughput, ${fmt(n)} tasks`, flint[`tasksPerSecond${n}`], dask[`tasksPerSecond${n}`], "tasks/s");
row("round trip p50 (1-task job)", flint.p50Ms, dask.p50Ms, "ms", 3, false);
row("round trip p99 (1-task job)", flint.p99Ms, dask.p99Ms, "ms", 3, false);
row("time to a ready cluster", flint.readyMs, dask.readyMs, "ms", 0, false);
const biggest = SIZES.at(-1);
rows.push([`driver peak heap per in-flight task (${fmt(biggest)})`, `${fmt(flint[`heapPerTaskBytes${biggest}`])} B`, "-", ""]);
rows.push([`driver peak RSS per in-flight task (${fmt(biggest)})`, `${fmt(flint[`rssPerTaskBytes${biggest}`])} B`, "-", ""]);
const widths = [0, 1, 2, 3].map((i) => Math.max(...[["measure", "flint", "dask", "flint vs dask"], ...rows].map((r) => r[i].length)));
const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join("  ");
console.log(`flint local, 2 workers x 1 core, node ${process.version}`);
console.log(line(["measure", "flint", "dask", "flint vs dask"]));
for (const r of rows) console.log(line(r));
if (dask.skipped) console.log(`dask: skipped: ${dask.skipped}`);
