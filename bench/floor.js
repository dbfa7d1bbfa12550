#!/usr/bin/env node
// What this machine charges for the hops one no-op task needs, with no flint code at all (issue 5):
// the floor under `npm run bench -- real`. On `flint local` with 2 workers x 1 core, one task is
// one round trip driver -> executor -> driver over loopback TCP, plus one hand-over to the
// executor's task thread and back. This measures those hops bare:
//
//   - TCP round trip of a 270-byte frame between two node processes, on two CPUs and on one;
//   - a hand-over round trip to a worker thread (Atomics.wait/notify), on one CPU and on two;
//   - the skeleton: one hub process and two spoke processes pinned to CPUs 0 and 1 (as flint local
//     pins executors); each spoke hands every frame to its thread and answers when it is back; the
//     hub answers every answer at once. Its rate is the ceiling of any design of this shape whose
//     driver, executors and tasks did no work at all.
//
// Every measure is taken again with idle CPUs kept out of halt (the PM QoS request that
// `flint local --low-latency` holds), where the machine allows it. Needs `npm run build` first,
// Linux, 2 CPUs and `taskset` (a measure that cannot run says why).
//
//   node bench/floor.js [--quick] [--no-low-latency]
import { execFileSync, fork } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker, isMainThread, workerData } from "node:worker_threads";

const SELF = fileURLToPath(import.meta.url);
const LAUNCH_BYTES = 270; // a LaunchTask frame of the no-op benchmark
const STATUS_BYTES = 257; // its StatusUpdate RUNNING + FINISHED frames, as written in one go
const USAGE = "usage: node bench/floor.js [--quick] [--no-low-latency]";

if (!isMainThread) threadMain();
else if (process.argv[2] === "--child") childMain(process.argv[3], Number(process.argv[4]));
else await benchMain();

/** A task thread: answers every request (a bumped word 0) by copying it to word 1. */
function threadMain() {
  const words = new Int32Array(workerData);
  let seen = 0;
  for (;;) {
    Atomics.wait(words, 0, seen);
    seen = Atomics.load(words, 0);
    Atomics.store(words, 1, seen);
    Atomics.notify(words, 1);
  }
}

/** The far end of a measure: `echo` answers every frame; `spoke` hands it to a thread first. */
function childMain(kind, port) {
  const answer = Buffer.alloc(STATUS_BYTES, 66);
  const socket = net.connect({ host: "127.0.0.1", port }, () => socket.setNoDelay(true));
  socket.on("error", () => process.exit(1));
  socket.on("close", () => process.exit(0));
  if (kind === "echo") {
    socket.on("data", () => socket.write(answer));
    return;
  }
  const words = new Int32Array(new SharedArrayBuffer(8));
  new Worker(SELF, { workerData: words.buffer });
  let seq = 0;
  socket.on("data", () => {
    seq++;
    Atomics.store(words, 0, seq);
    Atomics.notify(words, 0);
    while (Atomics.load(words, 1) !== seq) Atomics.wait(words, 1, seq - 1, 5);
    socket.write(answer);
  });
}

function pin(pid, cpus) {
  execFileSync("taskset", ["--all-tasks", "--cpu-list", "--pid", cpus, String(pid)], { stdio: "ignore" });
}

/** Function-call plus rescheduling IPIs so far, summed over CPUs; undefined off Linux. */
function ipis() {
  try {
    let sum = 0;
    for (const line of readFileSync("/proc/interrupts", "utf8").split("\n")) {
      const fields = line.trim().split(/\s+/);
      if (fields[0] !== "CAL:" && fields[0] !== "RES:") continue;
      for (const f of fields.slice(1)) if (/^\d+$/.test(f)) sum += Number(f);
    }
    return sum;
  } catch {
    return undefined;
  }
}

/**
 * The hub: listens, starts one child per entry of `cpus` pinned there (`undefined`: not pinned),
 * keeps one frame in flight per child for `seconds` after a warm-up, and returns round trips per
 * second over all children, the hub's CPU per round trip and IPIs per round trip.
 */
async function hub(kind, cpus, hubCpus, seconds) {
  const frame = Buffer.alloc(LAUNCH_BYTES, 65);
  const sockets = [];
  const children = [];
  let count = 0;
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on("error", () => {});
    socket.on("data", () => {
      count++;
      socket.write(frame);
    });
    sockets.push(socket);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const restoreHub = hubCpus === undefined ? undefined : pinSelf(hubCpus);
  try {
    for (const cpu of cpus) {
      const child = fork(SELF, ["--child", kind, String(server.address().port)], { stdio: "ignore" });
      children.push(child);
      await new Promise((resolve, reject) => {
        child.once("spawn", resolve);
        child.once("error", reject);
      });
      if (cpu !== undefined) pin(child.pid, cpu);
    }
    const deadline = performance.now() + 10_000;
    while (sockets.length < cpus.length) {
      if (performance.now() > deadline)
        throw new Error(`bench/floor.js: only ${sockets.length} of ${cpus.length} '${kind}' processes connected within 10 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    // Again now that each child has connected: its task thread exists by then.
    cpus.forEach((cpu, i) => cpu !== undefined && pin(children[i].pid, cpu));
    for (const socket of sockets) socket.write(frame);
    await new Promise((r) => setTimeout(r, 300));
    const n0 = count;
    const irq0 = ipis();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const irq1 = ipis();
    const n = count - n0;
    return {
      perSecond: n / elapsed,
      usPerRoundTrip: (elapsed * 1e6) / (n / cpus.length),
      hubCpuUs: (cpu.user + cpu.system) / n,
      ipisPerRoundTrip: irq0 === undefined || irq1 === undefined ? undefined : (irq1 - irq0) / n,
    };
  } finally {
    for (const socket of sockets) socket.destroy();
    for (const child of children) child.kill();
    server.close();
    restoreHub?.();
  }
}

/** Pins this process (every thread) to `cpus`; returns the undo. */
function pinSelf(cpus) {
  const before = execFileSync("taskset", ["--cpu-list", "--pid", String(process.pid)], { encoding: "utf8" })
    .trim()
    .split(": ")
    .at(-1);
  pin(process.pid, cpus);
  return () => pin(process.pid, before);
}

/**
 * A thread hand-over round trip from this process's main thread on `mainCpu` to a thread on
 * `threadCpu`: the thread is started while the whole process is pinned to `threadCpu` (it inherits
 * that), then only the main thread is moved.
 */
async function handOver(mainCpu, threadCpu, rounds) {
  const restore = pinSelf(threadCpu);
  const words = new Int32Array(new SharedArrayBuffer(8));
  const thread = new Worker(SELF, { workerData: words.buffer });
  try {
    await new Promise((resolve) => thread.once("online", resolve));
    execFileSync("taskset", ["--cpu-list", "--pid", mainCpu, String(process.pid)], { stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 50));
    const run = (n, from) => {
      for (let i = from + 1; i <= from + n; i++) {
        Atomics.store(words, 0, i);
        Atomics.notify(words, 0);
        while (Atomics.load(words, 1) !== i) Atomics.wait(words, 1, i - 1, 5);
      }
      return from + n;
    };
    const warm = run(Math.min(5_000, rounds), 0);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    run(rounds, warm);
    const elapsed = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { usPerRoundTrip: (elapsed * 1000) / rounds, cpuUs: (cpu.user + cpu.system) / rounds };
  } finally {
    await thread.terminate();
    restore();
  }
}

async function benchMain() {
  const unknown = process.argv.slice(2).filter((a) => a !== "--quick" && a !== "--no-low-latency");
  if (unknown.length > 0) {
    console.error(`bench/floor.js: unknown argument ${unknown.map((a) => `'${a}'`).join(", ")}\n${USAGE}`);
    process.exit(2);
  }
  const quick = process.argv.includes("--quick");
  const seconds = quick ? 1 : 3;
  const rounds = quick ? 20_000 : 100_000;
  const cpus = availableParallelism();
  const fmt = (n, digits = 1) =>
    n === undefined ? "-" : n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
  let why;
  if (process.platform !== "linux") why = "Linux only (taskset, /proc)";
  else if (cpus < 2) why = `needs 2 CPUs, this process may use ${cpus}`;
  else {
    try {
      execFileSync("taskset", ["--version"], { stdio: "ignore" });
    } catch {
      why = "taskset is not installed (util-linux)";
    }
  }
  if (why !== undefined) {
    console.log(`bench/floor.js: skipped: ${why}`);
    return;
  }

  const measure = async () => ({
    tcpTwoCpus: await hub("echo", ["1"], "0", seconds),
    tcpOneCpu: await hub("echo", ["0"], "0", seconds),
    handOverOneCpu: await handOver("0", "0", rounds),
    handOverTwoCpus: await handOver("0", "1", rounds),
    skeleton: await hub("spoke", ["0", "1"], undefined, seconds),
  });

  const columns = [["default", await measure()]];
  let lowSkipped = process.argv.includes("--no-low-latency") ? "--no-low-latency" : undefined;
  if (lowSkipped === undefined) {
    const root = fileURLToPath(new URL("../", import.meta.url));
    const { holdCpuLatency } = await import(`${root}dist/real/cluster/cpuLatency.js`).catch(() => ({
      holdCpuLatency: () => ({ ok: false, why: "dist/ is missing: run `npm run build` first" }),
    }));
    const held = holdCpuLatency(0);
    if (held.ok) {
      try {
        columns.push(["idle CPUs poll (--low-latency)", await measure()]);
      } finally {
        held.request.release();
      }
    } else lowSkipped = held.why;
  }

  const rows = [
    [
      "TCP round trip, 2 processes on 2 CPUs",
      (m) =>
        `${fmt(m.tcpTwoCpus.usPerRoundTrip)} µs (${fmt(m.tcpTwoCpus.hubCpuUs)} µs CPU on one side, ${fmt(m.tcpTwoCpus.ipisPerRoundTrip, 2)} IPIs)`,
    ],
    [
      "TCP round trip, 2 processes on 1 CPU",
      (m) => `${fmt(m.tcpOneCpu.usPerRoundTrip)} µs (${fmt(m.tcpOneCpu.hubCpuUs)} µs CPU on one side)`,
    ],
    ["thread hand-over round trip, 1 CPU", (m) => `${fmt(m.handOverOneCpu.usPerRoundTrip)} µs (${fmt(m.handOverOneCpu.cpuUs)} µs CPU)`],
    ["thread hand-over round trip, 2 CPUs", (m) => `${fmt(m.handOverTwoCpus.usPerRoundTrip)} µs (${fmt(m.handOverTwoCpus.cpuUs)} µs CPU)`],
    [
      "skeleton: hub + 2 pinned spokes with a thread",
      (m) =>
        `${fmt(m.skeleton.perSecond, 0)} tasks/s (hub ${fmt(m.skeleton.hubCpuUs)} µs CPU, ${fmt(m.skeleton.ipisPerRoundTrip, 2)} IPIs per task)`,
    ],
  ];
  const table = [
    ["hop, bare (no flint code)", ...columns.map(([name]) => name)],
    ...rows.map(([name, cell]) => [name, ...columns.map(([, m]) => cell(m))]),
  ];
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  console.log(
    `the hops of one no-op task, bare, on this machine (node ${process.version}, ${cpus} CPUs; ${seconds} s or ${fmt(rounds, 0)} rounds each)`,
  );
  for (const r of table) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  "));
  console.log(
    "the skeleton's rate is the ceiling of any design of flint local's shape whose code did nothing; compare `npm run bench -- real`",
  );
  if (lowSkipped !== undefined) console.log(`idle-poll column: skipped: ${lowSkipped}`);
}
