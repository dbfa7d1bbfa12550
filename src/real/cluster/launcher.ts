/**
 * The worker's process launcher (Spark's ExecutorRunner and DriverRunner, the OS part): each
 * executor or cluster-mode driver is a child `node` process with its own work directory
 * (`<workDir>/<appId>/<execId>/`, `<workDir>/<driverId>/`) holding `launch.json` (what to run),
 * `stdout` and `stderr`. It answers `launch` with processLaunched or processLaunchFailed, then
 * processExited; `kill` is SIGTERM, then SIGKILL after the grace period. A child's stdin is a pipe
 * from the worker: when the worker dies, even by kill -9, the child sees it end and exits.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { constants } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { AppId } from "../../protocol/ids.js";
import type { Input, LaunchSpec, ProcessRef } from "../../protocol/io.js";
import type { Logger } from "../log.js";

/** Environment variable that hands the shared secret to a child (never on its command line). */
export const SECRET_ENV = "FLINT_SECRET";
export const LAUNCH_FILE = "launch.json";
/** Extra node options for executor and driver processes, space-separated (Spark's extraJavaOptions), e.g. `--cpu-prof`. */
export const CHILD_NODE_OPTIONS_ENV = "FLINT_CHILD_NODE_OPTIONS";

/** What a child process reads from its launch.json. */
export type LaunchFile = LaunchSpec & {
  /** The host name the child announces (the worker's advertised host). */
  host: string;
  /** The child's work directory (absolute). */
  workDir: string;
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

  constructor(options: LauncherOptions) {
    this.options = options;
    this.options.workDir = resolve(options.workDir);
    mkdirSync(this.options.workDir, { recursive: true });
  }

  get running(): number {
    return this.children.size;
  }

  pids(): number[] {
    return [...this.children.values()].flatMap((c) => (c.process.pid !== undefined ? [c.process.pid] : []));
  }

  launch(spec: LaunchSpec): void {
    const ref: ProcessRef = spec.kind === "executor" ? { kind: "executor", appId: spec.appId, execId: spec.execId } : { kind: "driver", driverId: spec.driverId };
    const key = processKey(ref);
    const { logger } = this.options;
    if (this.children.has(key)) {
      this.options.report({ type: "processLaunchFailed", process: ref, error: `a process ${key} is already running` });
      return;
    }
    const workDir = spec.kind === "executor" ? join(this.options.workDir, spec.appId, String(spec.execId)) : join(this.options.workDir, spec.driverId);
    let child: ChildProcess;
    try {
      mkdirSync(workDir, { recursive: true });
      const launchFile: LaunchFile = { ...spec, host: this.options.host, workDir };
      writeFileSync(join(workDir, LAUNCH_FILE), JSON.stringify(launchFile));
      const stdout = openSync(join(workDir, "stdout"), "a");
      const stderr = openSync(join(workDir, "stderr"), "a");
      const entry = spec.kind === "executor" ? (this.options.executorEntry ?? EXECUTOR_ENTRY) : (this.options.driverEntry ?? DRIVER_ENTRY);
      const memoryMb = spec.kind === "executor" ? spec.memoryMb : spec.desc.memoryMb;
      const env: NodeJS.ProcessEnv = { ...process.env };
      if (this.options.secret !== undefined) env[SECRET_ENV] = this.options.secret;
      else delete env[SECRET_ENV];
      try {
        const extra = (process.env[CHILD_NODE_OPTIONS_ENV] ?? "").split(" ").filter((o) => o.length > 0);
        child = spawn(process.execPath, [`--max-old-space-size=${Math.max(64, Math.floor(memoryMb))}`, ...extra, entry, join(workDir, LAUNCH_FILE)], {
          cwd: workDir,
          env,
          stdio: ["pipe", stdout, stderr],
        });
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

  async cleanupApp(appId: AppId): Promise<void> {
    const dir = join(this.options.workDir, appId);
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
