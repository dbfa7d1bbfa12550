/**
 * The worker's process launcher (Spark's ExecutorRunner and DriverRunner, the OS part): each
 * executor or cluster-mode driver is a child `node` process with its own work directory
 * (`<workDir>/<appId>/<execId>/`, `<workDir>/<driverId>/`) holding `launch.json` (what to run),
 * `stdout` and `stderr`. It answers `launch` with processLaunched or processLaunchFailed, then
 * processExited; `kill` is SIGTERM, then SIGKILL after the grace period. A child's stdin is a pipe
 * from the worker: when the worker dies, even by kill -9, the child sees it end and exits.
 *
 * Security: work directories are 0700 and launch.json (it holds the application's module) 0600;
 * every path made from an id is resolved and checked to lie inside the work directory before
 * anything is created or removed (ids are validated by the codec too; this is the second wall).
 * The secret reaches the child on a pipe at file descriptor 3 (SECRET_FD), which the child reads to
 * the end and closes at start: never in its environment (which /proc/<pid>/environ shows to the
 * process's tasks), never on its command line.
 */
import { pathInside } from "../paths.js";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import type { PortRange } from "../portRange.js";
import { constants } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { AppId } from "../../protocol/ids.js";
import type { Input, LaunchSpec, ProcessRef } from "../../protocol/io.js";
import type { Logger } from "../log.js";

/** Environment variable a worker used to hand the secret to a child; now removed from a child's environment. */
export const SECRET_ENV = "FLINT_SECRET";
/** The file descriptor on which a child reads the shared secret (a pipe the worker writes once and closes). */
export const SECRET_FD = 3;
/** Environment variable telling a child that the secret waits on SECRET_FD (its value is not secret). */
export const SECRET_ON_FD_ENV = "FLINT_SECRET_FD";
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/**
 * Reads the secret its worker passed on SECRET_FD, and closes the descriptor so that nothing else
 * in the process (a task) can read it again. Undefined when the worker runs without a secret.
 */
export function readSecretFromFd(env: NodeJS.ProcessEnv = process.env): string | undefined {
  delete env[SECRET_ENV];
  if (env[SECRET_ON_FD_ENV] !== String(SECRET_FD)) return undefined;
  delete env[SECRET_ON_FD_ENV];
  let text: string;
  try {
    text = readFileSync(SECRET_FD, "utf8");
  } finally {
    try {
      closeSync(SECRET_FD);
    } catch {
      // Already closed: nothing to protect.
    }
  }
  const secret = text.trim();
  if (secret.length === 0) throw new Error(`the worker passed an empty secret on file descriptor ${SECRET_FD}`);
  return secret;
}

export { pathInside } from "../paths.js";
export const LAUNCH_FILE = "launch.json";
/** Extra node options for executor and driver processes, space-separated (Spark's extraJavaOptions), e.g. `--cpu-prof`. */
export const CHILD_NODE_OPTIONS_ENV = "FLINT_CHILD_NODE_OPTIONS";

/**
 * CPUs (a `taskset -c` list, e.g. `0` or `2-3`) to pin this worker's executors to; unset: no
 * pinning. `flint local` gives each one-core worker a CPU of its own when there are enough. Why:
 * an executor hands every task from its main thread to a task thread and back; when the two sit on
 * one CPU, the hand-over is a plain switch on that CPU, while the scheduler, left alone, keeps
 * waking the other thread on the other CPU (an inter-processor interrupt, dear in a VM). Measured
 * on 2 workers x 1 core, 2 CPUs: no-op throughput 11-12k tasks/s unpinned, 18-19k pinned.
 */
export const EXECUTOR_CPUS_ENV = "FLINT_EXECUTOR_CPUS";
const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

/** Whether `cpus` reads as a `taskset -c` CPU list (`0`, `2-3`, `0-3,6`). */
export function isCpuList(cpus: string): boolean {
  return CPU_LIST.test(cpus);
}

/** What a child process reads from its launch.json. */
export type LaunchFile = LaunchSpec & {
  /** The host name the child announces (the worker's advertised host). */
  host: string;
  /** The child's work directory (absolute). */
  workDir: string;
  /** Where the child listens, when not on `host` (a NAT: listen on 0.0.0.0, announce `host`). */
  listenHost?: string;
  /** The ports the child may listen on (a firewall's opening); absent: any free port. */
  ports?: PortRange;
};

export const EXECUTOR_ENTRY = fileURLToPath(new URL("./executorMain.js", import.meta.url));
export const DRIVER_ENTRY = fileURLToPath(new URL("./driverMain.js", import.meta.url));

export interface LauncherOptions {
  workDir: string;
  host: string;
  secret?: string;
  logger: Logger;
  /** Reports processLaunched / processLaunchFailed / processExited. */
  report(input: Input): void;
  /** CPUs to pin executors to (`taskset -c` list); default: FLINT_EXECUTOR_CPUS, else none. */
  executorCpus?: string;
  /** Where children listen when not on `host` (NAT: the worker advertises a name it cannot bind). */
  listenHost?: string;
  /** Port ranges for executors and cluster-mode drivers (absent: any free port). */
  executorPorts?: PortRange;
  driverPorts?: PortRange;
  /** Overrides of the child entry points (tests). */
  executorEntry?: string;
  driverEntry?: string;
}

interface Child {
  ref: ProcessRef;
  process: ChildProcess;
  killTimer: NodeJS.Timeout | undefined;
  exited: boolean;
}

export const processKey = (ref: ProcessRef): string => (ref.kind === "executor" ? `${ref.appId}/${ref.execId}` : ref.driverId);

export class ProcessLauncher {
  private readonly options: LauncherOptions;
  private readonly children = new Map<string, Child>();
  private readonly idleWaiters: Array<() => void> = [];
  private readonly executorCpus: string | undefined;

  constructor(options: LauncherOptions) {
    this.options = options;
    this.options.workDir = resolve(options.workDir);
    mkdirSync(this.options.workDir, { recursive: true, mode: DIR_MODE });
    chmodSync(this.options.workDir, DIR_MODE);
    const cpus = (options.executorCpus ?? process.env[EXECUTOR_CPUS_ENV] ?? "").trim();
    if (cpus !== "" && !CPU_LIST.test(cpus))
      options.logger.log("warn", "executor-cpus-ignored", { cpus, why: "not a CPU list like 0 or 0-3,6" });
    this.executorCpus = cpus !== "" && CPU_LIST.test(cpus) ? cpus : undefined;
  }

  /** The absolute work directory. */
  get workDir(): string {
    return this.options.workDir;
  }

  get running(): number {
    return this.children.size;
  }

  pids(): number[] {
    return [...this.children.values()].flatMap((c) => (c.process.pid !== undefined ? [c.process.pid] : []));
  }

  launch(spec: LaunchSpec): void {
    const ref: ProcessRef =
      spec.kind === "executor" ? { kind: "executor", appId: spec.appId, execId: spec.execId } : { kind: "driver", driverId: spec.driverId };
    const key = processKey(ref);
    const { logger } = this.options;
    if (this.children.has(key)) {
      this.options.report({ type: "processLaunchFailed", process: ref, error: `a process ${key} is already running` });
      return;
    }
    const root = this.options.workDir;
    const workDir = spec.kind === "executor" ? pathInside(root, spec.appId, String(spec.execId)) : pathInside(root, spec.driverId);
    if (workDir === undefined || (spec.kind === "executor" && pathInside(root, spec.appId) === undefined)) {
      logger.log("warn", "launch-refused", { why: "path-outside-work-dir", process: key, workDir: root });
      this.options.report({
        type: "processLaunchFailed",
        process: ref,
        error: `refusing to launch ${JSON.stringify(key)}: its work directory would lie outside ${root}`,
      });
      return;
    }
    let child: ChildProcess;
    try {
      mkdirSync(workDir, { recursive: true, mode: DIR_MODE });
      // mkdir's mode covers only what it creates: tighten the app's folder and the child's own too.
      if (spec.kind === "executor") chmodSync(pathInside(root, spec.appId)!, DIR_MODE);
      chmodSync(workDir, DIR_MODE);
      const ports = spec.kind === "executor" ? this.options.executorPorts : this.options.driverPorts;
      const launchFile: LaunchFile = {
        ...spec,
        host: this.options.host,
        workDir,
        ...(this.options.listenHost !== undefined ? { listenHost: this.options.listenHost } : {}),
        ...(ports !== undefined ? { ports } : {}),
      };
      writeFileSync(join(workDir, LAUNCH_FILE), JSON.stringify(launchFile), { mode: FILE_MODE });
      chmodSync(join(workDir, LAUNCH_FILE), FILE_MODE);
      const stdout = openSync(join(workDir, "stdout"), "a", FILE_MODE);
      const stderr = openSync(join(workDir, "stderr"), "a", FILE_MODE);
      const entry = spec.kind === "executor" ? (this.options.executorEntry ?? EXECUTOR_ENTRY) : (this.options.driverEntry ?? DRIVER_ENTRY);
      const memoryMb = spec.kind === "executor" ? spec.memoryMb : spec.desc.memoryMb;
      const env: NodeJS.ProcessEnv = { ...process.env };
      delete env[SECRET_ENV];
      if (this.options.secret !== undefined) env[SECRET_ON_FD_ENV] = String(SECRET_FD);
      else delete env[SECRET_ON_FD_ENV];
      try {
        const extra = (process.env[CHILD_NODE_OPTIONS_ENV] ?? "").split(" ").filter((o) => o.length > 0);
        child = spawn(
          process.execPath,
          [`--max-old-space-size=${Math.max(64, Math.floor(memoryMb))}`, ...extra, entry, join(workDir, LAUNCH_FILE)],
          {
            cwd: workDir,
            env,
            stdio: ["pipe", stdout, stderr, this.options.secret !== undefined ? "pipe" : "ignore"],
          },
        );
        const secretPipe = child.stdio[SECRET_FD];
        if (this.options.secret !== undefined && secretPipe && "end" in secretPipe) {
          // A child that dies before reading it breaks the pipe: expected, and reported by its exit.
          secretPipe.on("error", () => {});
          secretPipe.end(this.options.secret + "\n");
        }
      } finally {
        closeSync(stdout);
        closeSync(stderr);
      }
    } catch (err) {
      this.options.report({ type: "processLaunchFailed", process: ref, error: (err as Error).message });
      return;
    }
    const entry: Child = { ref, process: child, killTimer: undefined, exited: false };
    this.children.set(key, entry);
    // The pipe's far end closes when the child exits; writes are never made, errors are expected.
    child.stdin?.on("error", () => {});
    let spawned = false;
    child.once("spawn", () => {
      spawned = true;
      logger.log("info", "process-launched", { process: key, pid: child.pid, workDir });
      if (spec.kind === "executor" && this.executorCpus !== undefined && child.pid !== undefined)
        this.pin(key, child.pid, this.executorCpus);
      this.options.report({ type: "processLaunched", process: ref });
    });
    child.once("error", (err) => {
      if (spawned) {
        logger.log("warn", "process-error", { process: key, error: err.message });
        return;
      }
      this.forget(key, entry);
      this.options.report({ type: "processLaunchFailed", process: ref, error: err.message });
    });
    child.once("exit", (code, signal) => {
      if (!spawned) return;
      const exitCode = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
      logger.log("info", "process-exited", { process: key, pid: child.pid, exitCode, signal });
      this.forget(key, entry);
      this.options.report({ type: "processExited", process: ref, exitCode });
    });
  }

  /**
   * Pins every thread of `pid` (threads it starts later inherit the mask) to `cpus`. Done after the
   * spawn, not as a `taskset` prefix, so that a CPU list the system refuses, or no `taskset` at
   * all, costs a logged warning, never the executor.
   */
  private pin(key: string, pid: number, cpus: string): void {
    execFile("taskset", ["--all-tasks", "--cpu-list", "--pid", cpus, String(pid)], { timeout: 5_000 }, (err, _stdout, stderr) => {
      if (err) this.options.logger.log("warn", "process-pin-failed", { process: key, pid, cpus, error: (stderr || err.message).trim() });
      else this.options.logger.log("debug", "process-pinned", { process: key, pid, cpus });
    });
  }

  /** SIGTERM, then SIGKILL when the process outlives `graceMs`. */
  kill(ref: ProcessRef, graceMs: number): void {
    const key = processKey(ref);
    const child = this.children.get(key);
    if (!child || child.exited) {
      this.options.logger.log("debug", "kill-not-running", { process: key });
      return;
    }
    this.terminate(child, graceMs);
  }

  /** Kills every child and settles once all have exited. */
  async killAll(graceMs: number): Promise<void> {
    for (const child of this.children.values()) this.terminate(child, graceMs);
    await this.idle();
  }

  /** Settles when no child is running. */
  idle(): Promise<void> {
    if (this.children.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Removes an app's (or a driver's) directory of the work dir; a name that climbs out is refused. */
  async cleanupApp(appId: AppId | string): Promise<void> {
    const dir = pathInside(this.options.workDir, appId);
    if (dir === undefined) {
      this.options.logger.log("warn", "app-dir-cleanup-refused", {
        why: "path-outside-work-dir",
        appId: String(appId).slice(0, 200),
        workDir: this.options.workDir,
      });
      return;
    }
    try {
      await rm(dir, { recursive: true, force: true });
      this.options.logger.log("info", "app-dir-removed", { appId, dir });
    } catch (err) {
      this.options.logger.log("warn", "app-dir-cleanup-failed", { appId, dir, error: (err as Error).message });
    }
  }

  private terminate(child: Child, graceMs: number): void {
    if (child.killTimer !== undefined) return;
    child.process.kill("SIGTERM");
    child.killTimer = setTimeout(() => {
      if (!child.exited) {
        this.options.logger.log("warn", "process-kill-forced", { process: processKey(child.ref), graceMs });
        child.process.kill("SIGKILL");
      }
    }, graceMs);
  }

  private forget(key: string, child: Child): void {
    child.exited = true;
    clearTimeout(child.killTimer);
    if (this.children.get(key) === child) this.children.delete(key);
    if (this.children.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
