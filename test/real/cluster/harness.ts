/**
 * Helpers for the real-cluster integration tests: the process tree (from /proc), bounded waits,
 * and a local cluster with short protocol timeouts whose every process is killed afterwards.
 * These tests run `node bin/flint.js` from dist/: build first (`npm run build`).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ProtocolConfig } from "../../../src/protocol/config.js";
import { startLocalCluster, type LocalCluster } from "../../../src/real/cluster/local.js";
import type { Cluster } from "../../../src/real/driver/api.js";
import { assertFreshBuild } from "../../hygiene/build.js";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const FLINT_BIN = `${ROOT}bin/flint.js`;
export const SLOW_APP = fileURLToPath(new URL("./apps/slow.mjs", import.meta.url));
export const DIST_READY = existsSync(`${ROOT}dist/real/cluster/executorMain.js`);
// These tests run dist/: after an edit without a build they would test the old code.
assertFreshBuild(ROOT);

/** Short timeouts so that failures are detected in seconds, not minutes. */
export const FAST_PROTOCOL: Partial<ProtocolConfig> = {
  workerTimeoutMs: 3_000,
  executorKillGraceMs: 1_000,
  driverTerminateTimeoutMs: 1_000,
  reviveIntervalMs: 200,
};

interface ProcInfo {
  pid: number;
  ppid: number;
  state: string;
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    const fields = stat.slice(close + 2).split(" ");
    return { pid, state: fields[0]!, ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

function allProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(name)) continue;
    const info = readProc(Number(name));
    if (info) out.push(info);
  }
  return out;
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
}

/** Alive and not a zombie. */
export function isAlive(pid: number): boolean {
  const info = readProc(pid);
  return info !== undefined && info.state !== "Z" && info.state !== "X";
}

export function descendantsOf(pid: number): number[] {
  const procs = allProcs();
  const out: number[] = [];
  const frontier = [pid];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    for (const p of procs) {
      if (p.ppid === parent && p.state !== "Z") {
        out.push(p.pid);
        frontier.push(p.pid);
      }
    }
  }
  return out;
}

/** Executor processes (executorMain.js) under a process. */
export function executorsUnder(pid: number): number[] {
  return descendantsOf(pid).filter((p) => cmdline(p).includes("executorMain.js"));
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Tracks every process a test starts (and their descendants, sampled as the test goes), so that
 * `cleanup` can SIGKILL whatever is left and the test can assert that nothing was left.
 */
export class ProcessTracker {
  private readonly roots = new Set<number>();
  private readonly seen = new Set<number>();
  private sampler: NodeJS.Timeout | undefined;

  track(pid: number): void {
    this.roots.add(pid);
    this.seen.add(pid);
    this.sampler ??= setInterval(() => this.sample(), 100);
  }

  sample(): void {
    for (const root of this.roots) for (const pid of descendantsOf(root)) this.seen.add(pid);
  }

  /** Every process seen that is still alive. */
  alive(): number[] {
    return [...this.seen].filter(isAlive);
  }

  cleanup(): number[] {
    clearInterval(this.sampler);
    this.sampler = undefined;
    this.sample();
    const left = this.alive();
    for (const pid of left) kill(pid, "SIGKILL");
    this.roots.clear();
    this.seen.clear();
    return left;
  }
}

export async function startTestCluster(
  tracker: ProcessTracker,
  workers = 2,
  coresPerWorker = 1,
  protocol: Partial<ProtocolConfig> = FAST_PROTOCOL,
): Promise<LocalCluster> {
  const cluster = await startLocalCluster({
    workers,
    coresPerWorker,
    memoryPerWorkerMb: 2048,
    protocol,
    logLevel: "warn",
    readyTimeoutMs: 15_000,
  });
  tracker.track(cluster.master.pid);
  for (const w of cluster.workers) tracker.track(w.pid);
  return cluster;
}

/** Inputs for the slow app's `nap`: `count` tasks of `ms` each, task i returning i. */
export const naps = (count: number, ms: number): Array<{ ms: number; value: number }> =>
  Array.from({ length: count }, (_, i) => ({ ms, value: i }));
/** What a job of `naps(count, ...)` returns: every index once, in order. */
export const expected = (count: number): number[] => Array.from({ length: count }, (_, i) => i);

/** Runs a job of `count` naps and resolves `reached` when `after` tasks have finished (or the job failed). */
export function runUntil(d: Cluster, count: number, ms: number, after: number): { job: Promise<number[]>; reached: Promise<void> } {
  let reach!: () => void;
  const reached = new Promise<void>((r) => (reach = r));
  const job = d.run<number>("nap", naps(count, ms), { onProgress: (p) => p.tasksFinished >= after && reach() });
  job.catch(() => reach());
  return { job, reached };
}
