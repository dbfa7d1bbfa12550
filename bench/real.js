#!/usr/bin/env node
// Benchmark of the real runtime on `flint local` with 2 workers x 1 core (issue 5, "Speed"):
// no-op task throughput (10,000 and 100,000 tasks), single-task round trip (p50, p99), time to a
// ready cluster, and the driver's peak memory per in-flight task. With Debian's python3-distributed
// installed (importable by /usr/bin/python3), the same for Dask's LocalCluster (2 processes x 1
// thread, bench/dask_bench.py), side by side with ratios. Needs `npm run build` first.
//
// Where the machine allows it (root, Linux PM QoS), flint's throughput and round trips are measured
// a second time on a cluster started with --low-latency (src/real/cluster/cpuLatency.ts).
//
//   node bench/real.js [--quick] [--no-dask] [--no-low-latency] [--no-journal] [--validate]
//
// --journal-cost [--pairs N]: the flight recorder's cost alone (issue 17 allows 5% of no-op
// throughput). N pairs (default 5) of fresh clusters, one with journals and one without, in
// alternating order (on, off, off, on, on, off, ...) so that drift from other work on the machine
// falls on both; each runs the warm-up and then JOURNAL_COST_RUNS jobs of 10,000 no-op tasks. It
// prints every pair and the median overheads of throughput and of CPU per task.
//
// --task-us N (with --journal-cost): each task spins N µs on its core instead of returning at once
// (bench/lib/spin.mjs): what the recorder costs when tasks do some work.
//
// --pin (with --journal-cost): every process of each cluster runs on CPU 0 (taskset; the processes
// this one starts inherit it, and `flint local` pins nothing when its workers do not fit in the
// CPUs it may use). Unpinned, where the scheduler puts the three busy processes moves one cluster's
// CPU per task by up to 30%, so single pairs range widely; on one CPU, throughput is the inverse of
// the CPU a task takes and pairs agree within a few percent. It measures the recorder's share of
// the CPU, on that placement, not the default one.
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { optionNumber } from "./lib/options.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const { startLocalCluster, connect } = await import(`${root}dist/real/index.js`);
const { createMemoryLogger } = await import(`${root}dist/real/log.js`);
const { holdCpuLatency } = await import(`${root}dist/real/cluster/cpuLatency.js`);
const { nodeValidator } = await import(`${root}dist/replay/validate.js`);
const NOOP = `${root}examples/noop.mjs`;
const SPIN = fileURLToPath(new URL("./lib/spin.mjs", import.meta.url));
const quick = process.argv.includes("--quick");
const noDask = process.argv.includes("--no-dask");
/** --no-journal: the flight recorder off in every process (its cost is the difference; issue 17 allows 5%). */
const journal = !process.argv.includes("--no-journal");
/** --journal-cost: only the recorder's cost, measured in alternating pairs (see the top). */
const journalCost = process.argv.includes("--journal-cost");
const PAIRS = optionNumber("--pairs", 5);
/** --task-us N: tasks that spin N µs (see the top); without it, no-op tasks (0). */
const TASK_US = optionNumber("--task-us", 0);
/** The task every job runs, and its input for index `i` (the result is `i` either way). */
const TASK =
  TASK_US > 0 ? { module: SPIN, fn: "spin", input: (i) => ({ index: i, us: TASK_US }) } : { module: NOOP, fn: "noop", input: (i) => i };
/** --pin: every process on CPU 0 (see the top). */
const pin = process.argv.includes("--pin");
/** Jobs of 10,000 tasks per cluster in --journal-cost (the median rate and the mean CPU count). */
const JOURNAL_COST_RUNS = 3;
/** --validate: master and workers check their own invariants after every step (issue 17 asks for its cost). */
const validate = process.argv.includes("--validate");
const SIZES = quick ? [10_000] : [10_000, 100_000];
const ROUND_TRIPS = quick ? 200 : 1_000;
/**
 * flint runs each throughput job this many times on the same cluster and reports the median
 * (and the range, whose low end is usually the first, coldest run): one job's rate moves by 10-20%
 * from run to run on a 2-core VM. Dask runs each once: its 100,000-task job alone takes minutes.
 */
const REPEATS = quick ? 1 : 3;
/**
 * No-op tasks run before measuring, by both systems: enough for the executors' code to be optimized
 * (each of the two runs 5,000; with 1,000 each, the first measured job still ran ~20% slower).
 */
const WARM_UP_TASKS = 10_000;

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout) || 100;

/** user+sys CPU of a process (all its threads), in ms; undefined when it is gone or not on Linux. */
function cpuMsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command (which may hold spaces) start at state (field 3); utime, stime are 14, 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** The pids whose parent is one of `parents` (the executors under the workers). */
function childrenOf(parents) {
  const wanted = new Set(parents.map(String));
  const out = [];
  let entries = [];
  try {
    entries = readdirSync("/proc");
  } catch {
    return out;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1];
      if (wanted.has(ppid)) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU of every process of the run, by role: the driver is this process. */
function cpuSnapshot(cluster) {
  const own = process.cpuUsage();
  const snap = { driver: (own.user + own.system) / 1000, master: 0, workers: 0, executors: 0 };
  for (const m of cluster.masters) snap.master += cpuMsOf(m.pid) ?? 0;
  for (const w of cluster.workers) snap.workers += cpuMsOf(w.pid) ?? 0;
  for (const pid of childrenOf(cluster.workers.map((w) => w.pid))) snap.executors += cpuMsOf(pid) ?? 0;
  return snap;
}

const fmt = (n, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

function checkResults(results, n) {
  if (results.length !== n || results.some((r, i) => r !== i))
    throw new Error(`expected the ${n} inputs back in order, got ${results.length} results`);
}

/**
 * Every measure on a fresh cluster. `lowLatency`: throughput and round trips only, the cluster
 * started with --low-latency. `throughputOnly`: no heap and no round trips (--journal-cost).
 */
async function flintBench({
  lowLatency = false,
  journal: journalOn = journal,
  sizes = SIZES,
  repeats = REPEATS,
  throughputOnly = false,
} = {}) {
  const out = {};
  const t0 = performance.now();
  const cluster = await startLocalCluster({
    workers: 2,
    coresPerWorker: 1,
    memoryPerWorkerMb: 2048,
    logLevel: "warn",
    lowLatency,
    validate,
    ...(journalOn ? {} : { journal: false }),
  });
  const driverLogger = createMemoryLogger("bench");
  const driver = await connect({
    master: cluster.masterUrl,
    module: TASK.module,
    secret: cluster.secret,
    logger: driverLogger,
    journal: cluster.journalDir ?? false,
    ...(validate ? { validate: (address) => nodeValidator("driver", address, driverLogger) } : {}),
  });
  // Ready = both executors registered with the driver (a job can run at full width).
  await driver.run(TASK.fn, [0, 1].map(TASK.input));
  out.readyMs = performance.now() - t0;
  try {
    await driver.run(
      TASK.fn,
      Array.from({ length: WARM_UP_TASKS }, (_, i) => TASK.input(i)),
    );
    for (const n of sizes) {
      const inputs = Array.from({ length: n }, (_, i) => TASK.input(i));
      const rates = [];
      const cpuRuns = [];
      for (let run = 0; run < repeats; run++) {
        global.gc?.();
        const cpuBefore = cpuSnapshot(cluster);
        const started = performance.now();
        const results = await driver.run(TASK.fn, inputs);
        const seconds = (performance.now() - started) / 1000;
        const cpuAfter = cpuSnapshot(cluster);
        checkResults(results, n);
        rates.push(n / seconds);
        // CPU per task, in µs, by process: what two cores must pay for each task (noise-proof, unlike tasks/s).
        cpuRuns.push(Object.fromEntries(Object.keys(cpuAfter).map((k) => [k, ((cpuAfter[k] - cpuBefore[k]) * 1000) / n])));
      }
      rates.sort((a, b) => a - b);
      out[`tasksPerSecond${n}`] = rates[Math.floor(rates.length / 2)];
      out[`tasksPerSecondRange${n}`] = [rates[0], rates.at(-1)];
      out[`cpuPerTaskUs${n}`] = Object.fromEntries(
        Object.keys(cpuRuns[0]).map((k) => [k, cpuRuns.reduce((sum, c) => sum + c[k], 0) / cpuRuns.length]),
      );
    }
    if (!throughputOnly) {
      if (!lowLatency) await peakHeapPerTask(driver, out);
      await roundTrips(driver, out);
    }
  } finally {
    await driver.close();
    await cluster.stop();
  }
  return out;
}

/**
 * Peak memory in a run of its own: the sampler wakes the driver every 5 ms, so it stays out of the
 * timed runs. Heap, not RSS: the process keeps the pages the earlier jobs grew it to, so RSS would
 * not move.
 */
async function peakHeapPerTask(driver, out) {
  const biggest = SIZES.at(-1);
  global.gc?.();
  const baseline = process.memoryUsage();
  let peakHeap = baseline.heapUsed;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 5);
  checkResults(
    await driver.run(
      "noop",
      Array.from({ length: biggest }, (_, i) => i),
    ),
    biggest,
  );
  clearInterval(sampler);
  out[`heapPerTaskBytes${biggest}`] = (peakHeap - baseline.heapUsed) / biggest;
}

async function roundTrips(driver, out) {
  const latencies = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const started = performance.now();
    await driver.run("noop", [i]);
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  out.p50Ms = percentile(latencies, 50);
  out.p99Ms = percentile(latencies, 99);
}

const DASK_PYTHON = "/usr/bin/python3";
const DASK_SCRIPT = fileURLToPath(new URL("./dask_bench.py", import.meta.url));

/** Dask's LocalCluster (2 processes x 1 thread), or why it was skipped. */
function daskBench() {
  if (noDask) return { skipped: "--no-dask" };
  // Debian's python3-distributed imports under Debian's own Python, not under a python3 that
  // another installer (pyenv, conda) put first on PATH.
  const probe = spawnSync(DASK_PYTHON, ["-c", "import distributed"], { encoding: "utf8" });
  if (probe.error) return { skipped: `${DASK_PYTHON} is not there (${probe.error.message}); install Debian's python3-distributed` };
  if (probe.status !== 0)
    return {
      skipped: `python3-distributed is not installed (${DASK_PYTHON} cannot import distributed: apt-get install -y python3-distributed)`,
    };
  const run = spawnSync(
    DASK_PYTHON,
    [DASK_SCRIPT, "--sizes", SIZES.join(","), "--round-trips", String(ROUND_TRIPS), "--warm-up", String(WARM_UP_TASKS)],
    { encoding: "utf8", timeout: 900_000 },
  );
  if (run.status !== 0)
    return {
      skipped: `the Dask run failed (${run.error?.message ?? `exit ${run.status ?? run.signal}`}): ${(run.stderr || "").trim().split("\n").at(-1)}`,
    };
  return JSON.parse(run.stdout.trim().split("\n").at(-1));
}

/** Alternating pairs with and without journals: each pair's numbers, then the median overheads. */
async function journalCostBench() {
  const n = 10_000;
  const median = (xs) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  const signed = (pct) => `${pct >= 0 ? "+" : ""}${fmt(pct, 1)}%`;
  const cpuOf = (r) => Object.values(r[`cpuPerTaskUs${n}`]).reduce((a, b) => a + b, 0);
  const measure = (on) => flintBench({ journal: on, sizes: [n], repeats: JOURNAL_COST_RUNS, throughputOnly: true, lowLatency: false });
  console.log(
    `flint local, 2 workers x 1 core, node ${process.version}${pin ? ", every process on CPU 0" : ""}: ` +
      `the flight recorder's cost, ${PAIRS} pairs in alternating order; ` +
      `each cluster: ${fmt(WARM_UP_TASKS)} tasks of warm-up, then the median of ${JOURNAL_COST_RUNS} jobs of ${fmt(n)} ` +
      (TASK_US > 0 ? `tasks that spin ${fmt(TASK_US)} µs` : "no-op tasks"),
  );
  /** Per pair: throughput and CPU per task with journals, in % more than without. */
  const rateOverheads = [];
  const cpuOverheads = [];
  const rows = { on: { rate: [], cpu: [] }, off: { rate: [], cpu: [] } };
  for (let pair = 0; pair < PAIRS; pair++) {
    const order = pair % 2 === 0 ? [true, false] : [false, true];
    const got = {};
    for (const on of order) got[on ? "on" : "off"] = await measure(on);
    const rateOn = got.on[`tasksPerSecond${n}`];
    const rateOff = got.off[`tasksPerSecond${n}`];
    const cpuOn = cpuOf(got.on);
    const cpuOff = cpuOf(got.off);
    rows.on.rate.push(rateOn);
    rows.off.rate.push(rateOff);
    rows.on.cpu.push(cpuOn);
    rows.off.cpu.push(cpuOff);
    // Throughput and CPU per task with the recorder, in % more than without it (throughput: less is worse).
    rateOverheads.push((rateOn / rateOff - 1) * 100);
    cpuOverheads.push((cpuOn / cpuOff - 1) * 100);
    const perRole = (r) => {
      const c = r[`cpuPerTaskUs${n}`];
      return `driver ${fmt(c.driver, 1)}, executors ${fmt(c.executors, 1)}, workers ${fmt(c.workers, 1)}, master ${fmt(c.master, 1)}`;
    };
    console.log(
      `pair ${pair + 1} (${order.map((on) => (on ? "journal" : "no journal")).join(" first, then ")}): ` +
        `journal ${fmt(rateOn)} tasks/s ${fmt(cpuOn, 1)} µs/task (${perRole(got.on)}); ` +
        `no journal ${fmt(rateOff)} tasks/s ${fmt(cpuOff, 1)} µs/task (${perRole(got.off)}); ` +
        `throughput ${signed(rateOverheads.at(-1))}, CPU ${signed(cpuOverheads.at(-1))}`,
    );
  }
  console.log(
    `medians: journal ${fmt(median(rows.on.rate))} tasks/s ${fmt(median(rows.on.cpu), 1)} µs/task; ` +
      `no journal ${fmt(median(rows.off.rate))} tasks/s ${fmt(median(rows.off.cpu), 1)} µs/task`,
  );
  console.log(
    `journal cost (median of the ${PAIRS} pairs): throughput ${signed(median(rateOverheads))}, CPU per task ${signed(median(cpuOverheads))} ` +
      (TASK_US > 0 ? "(issue 17's 5% bound is on no-op tasks)" : "(issue 17 allows 5% of no-op throughput)"),
  );
}

if (TASK_US > 0 && !journalCost) throw new Error("--task-us goes with --journal-cost");
if (pin) {
  if (!journalCost) throw new Error("--pin goes with --journal-cost");
  // The processes started from now on (master, workers, and the executors they start) inherit it.
  try {
    execFileSync("taskset", ["--all-tasks", "--cpu-list", "--pid", "0", String(process.pid)], { stdio: "ignore" });
  } catch (err) {
    throw new Error(`--pin: could not pin this process to CPU 0 with util-linux's taskset (${err.message})`);
  }
}

if (journalCost) {
  await journalCostBench();
  process.exit(0);
}

const flint = await flintBench();
/**
 * The same measures with `flint local --low-latency` (CPUs kept out of deep idle while the cluster
 * runs; root only), when this machine allows it: how much of a tiny task's cost is waking CPUs.
 */
function lowLatencyRefusal() {
  if (process.argv.includes("--no-low-latency")) return "--no-low-latency";
  const probe = holdCpuLatency(0);
  if (!probe.ok) return probe.why;
  probe.request.release();
  return undefined;
}
const lowLatencySkipped = lowLatencyRefusal();
const flintLow = lowLatencySkipped === undefined ? await flintBench({ lowLatency: true }) : undefined;
const dask = daskBench();
const rows = [];
const row = (name, f, d, unit, digits = 0, higherIsBetter = true) => {
  const ratio = d === undefined ? "" : higherIsBetter ? `${fmt(f / d, 1)}x` : `${fmt(d / f, 1)}x`;
  rows.push([name, `${fmt(f, digits)} ${unit}`, d === undefined ? "-" : `${fmt(d, digits)} ${unit}`, ratio]);
};
for (const n of SIZES) {
  row(`no-op throughput, ${fmt(n)} tasks`, flint[`tasksPerSecond${n}`], dask[`tasksPerSecond${n}`], "tasks/s");
  if (REPEATS > 1) {
    const [low, high] = flint[`tasksPerSecondRange${n}`];
    rows.at(-1)[1] += ` (median of ${REPEATS}: ${fmt(low)}-${fmt(high)})`;
  }
}
row("round trip p50 (1-task job)", flint.p50Ms, dask.p50Ms, "ms", 3, false);
row("round trip p99 (1-task job)", flint.p99Ms, dask.p99Ms, "ms", 3, false);
row("time to a ready cluster", flint.readyMs, dask.readyMs, "ms", 0, false);
const biggest = SIZES.at(-1);
const cpu = flint[`cpuPerTaskUs${biggest}`];
const cpuTotal = Object.values(cpu).reduce((a, b) => a + b, 0);
rows.push([
  `CPU per task (${fmt(biggest)}, mean of ${REPEATS}), user+sys`,
  `${fmt(cpuTotal, 1)} µs (driver ${fmt(cpu.driver, 1)}, executors ${fmt(cpu.executors, 1)}, workers ${fmt(cpu.workers, 1)}, master ${fmt(cpu.master, 1)})`,
  "-",
  "",
]);
rows.push([`driver peak heap per in-flight task (${fmt(biggest)})`, `${fmt(flint[`heapPerTaskBytes${biggest}`])} B`, "-", ""]);
if (flintLow) {
  for (const n of SIZES) {
    const [low, high] = flintLow[`tasksPerSecondRange${n}`];
    rows.push([
      `with --low-latency: ${fmt(n)} tasks`,
      `${fmt(flintLow[`tasksPerSecond${n}`])} tasks/s${REPEATS > 1 ? ` (median of ${REPEATS}: ${fmt(low)}-${fmt(high)})` : ""}`,
      "-",
      "",
    ]);
  }
  rows.push(["with --low-latency: round trip p50, p99", `${fmt(flintLow.p50Ms, 3)} ms, ${fmt(flintLow.p99Ms, 3)} ms`, "-", ""]);
}
const widths = [0, 1, 2, 3].map((i) => Math.max(...[["measure", "flint", "dask", "flint vs dask"], ...rows].map((r) => r[i].length)));
const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join("  ");
console.log(`flint local, 2 workers x 1 core, node ${process.version}; ${fmt(WARM_UP_TASKS)} no-op tasks of warm-up each`);
console.log(line(["measure", "flint", "dask", "flint vs dask"]));
for (const r of rows) console.log(line(r));
if (lowLatencySkipped !== undefined) console.log(`--low-latency rows: skipped: ${lowLatencySkipped}`);
if (dask.skipped) console.log(`dask: skipped: ${dask.skipped}`);
else console.log(`dask: distributed ${dask.version}, LocalCluster(n_workers=2, threads_per_worker=1, processes=True) under ${DASK_PYTHON}`);
