/**
 * The processes of a `flint chaos` run, by the scenario's names (master-1, worker-2, app:pi): each
 * `node bin/flint.js ...` a child of this process, with its stdin a pipe from us (`--exit-with-parent`:
 * if we die, even by kill -9, they stop), its journal in the run's folder, and the signals the
 * faults are made of: SIGKILL (crash), SIGSTOP/SIGCONT (pause), the same command again (restart).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const FLINT_BIN = fileURLToPath(new URL("../../bin/flint.js", import.meta.url));

export interface ChaosProcess {
  /** The scenario's name: master-1, worker-2, app:pi. */
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every line it wrote to stdout so far. */
  readonly stdout: string[];
  /** Settles with the exit code (128 + signal number for a signal). */
  readonly exited: Promise<number>;
  exitCode: number | undefined;
  paused: boolean;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/**
 * Starts `flint <args>` as `name`; its stderr goes to `<logDir>/<name>.<n>.stderr`. `wrap` puts the
 * command inside another (`ip netns exec NS ...`, which execs it: the pid stays the node's).
 */
export function launch(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logDir: string,
  incarnation: number,
  wrap: (command: string[]) => string[] = (c) => c,
): ChaosProcess {
  const stderr = openSync(join(logDir, `${name.replace(/[^A-Za-z0-9.-]/g, "_")}.${incarnation}.stderr`), "a");
  const [command, ...rest] = wrap([process.execPath, FLINT_BIN, ...args]);
  const child = spawn(command!, rest, { env, stdio: ["pipe", "pipe", stderr] });
  closeSync(stderr);
  child.stdin!.on("error", () => {});
  const lines: string[] = [];
  let buffered = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    const parts = (buffered + chunk).split("\n");
    buffered = parts.pop() ?? "";
    lines.push(...parts);
  });
  const proc: ChaosProcess = {
    name,
    child,
    pid: child.pid ?? -1,
    stdout: lines,
    exitCode: undefined,
    paused: false,
    exited: new Promise<number>((resolve) => {
      child.once("exit", (code, signal) => {
        if (buffered.length > 0) lines.push(buffered);
        proc.exitCode = code ?? 128 + (signal ? (SIGNALS[signal] ?? 0) : 0);
        resolve(proc.exitCode);
      });
      child.once("error", () => {
        proc.exitCode = 127;
        resolve(127);
      });
    }),
  };
  return proc;
}

/** Resolves with the first stdout line matching `pattern`; rejects when the process exits first or after `timeoutMs`. */
export function waitForLine(proc: ChaosProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (f: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(poll);
      f();
    };
    const check = (): void => {
      for (const line of proc.stdout) {
        const m = pattern.exec(line);
        if (m) return finish(() => resolve(m));
      }
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`${proc.name} did not start within ${timeoutMs} ms`))), timeoutMs);
    const poll = setInterval(check, 20);
    check();
    void proc.exited.then((code) => finish(() => reject(new Error(`${proc.name} exited with code ${code} before it was ready`))));
  });
}

/** kill -9; resolves once it has exited. A paused process is killed too (SIGKILL needs no SIGCONT). */
export async function crash(proc: ChaosProcess): Promise<void> {
  if (proc.exitCode !== undefined) return;
  proc.child.kill("SIGKILL");
  await proc.exited;
}

export function pause(proc: ChaosProcess): void {
  if (proc.exitCode !== undefined || proc.paused) return;
  proc.child.kill("SIGSTOP");
  proc.paused = true;
}

export function resume(proc: ChaosProcess): void {
  if (proc.exitCode !== undefined || !proc.paused) return;
  proc.child.kill("SIGCONT");
  proc.paused = false;
}

/** SIGTERM (SIGCONT first, if paused), then SIGKILL after `graceMs`. */
export async function stop(proc: ChaosProcess, graceMs: number): Promise<void> {
  if (proc.exitCode !== undefined) return;
  resume(proc);
  proc.child.kill("SIGTERM");
  const timer = setTimeout(() => proc.child.kill("SIGKILL"), graceMs);
  await proc.exited;
  clearTimeout(timer);
}

/**
 * The pids of the executor processes running for application `appId` under `workDirs` (an
 * executor's command line names its launch file `<workDir>/<appId>/<execId>/launch.json`), lowest
 * executor id first.
 */
export function executorPids(appId: string, workDirs: readonly string[]): number[] {
  const found: Array<{ pid: number; execId: number }> = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry)) continue;
    let cmd: string[];
    try {
      cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (/^[ZX]$/.test(stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3))) continue;
    } catch {
      continue;
    }
    if (!cmd.some((a) => a.endsWith("executorMain.js"))) continue;
    const launchFile = cmd.find((a) => a.endsWith("launch.json"));
    if (launchFile === undefined) continue;
    for (const dir of workDirs) {
      const m = new RegExp(`^${escapeRegExp(dir)}/${escapeRegExp(appId)}/(\\d+)/launch\\.json$`).exec(launchFile);
      if (m) found.push({ pid: Number(entry), execId: Number(m[1]) });
    }
  }
  return found.sort((a, b) => a.execId - b.execId).map((f) => f.pid);
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
