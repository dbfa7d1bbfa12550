/**
 * A cluster of real processes on 127.0.0.1: one master and N workers, each `node bin/flint.js
 * ...` as a child of this process, sharing a fresh secret file (mode 0600) in a temporary
 * directory that also holds their logs and work directories. Used by `flint local`, the
 * integration tests and the benchmark. The children hold their stdin as a pipe from us: if this
 * process dies, even by kill -9, they see it end and stop (and their executors with them).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, closeSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ProtocolConfig } from "../../protocol/config.js";
import { parseAddress } from "../address.js";
import { createSecretFile } from "../handshake.js";
import { PROTOCOL_ENV } from "./runtime.js";
import type { ClusterStatus } from "./snapshot.js";
import { requestStatus } from "./status.js";

export const FLINT_BIN = fileURLToPath(new URL("../../../bin/flint.js", import.meta.url));

export interface LocalClusterOptions {
  workers: number;
  coresPerWorker: number;
  memoryPerWorkerMb: number;
  /** Protocol overrides for every process (FLINT_PROTOCOL_CONFIG). */
  protocol?: Partial<ProtocolConfig>;
  /** Where to put the secret, logs and work directories (default: a fresh temporary directory). */
  dir?: string;
  /** Console level of the children's logs (they go to files in `dir/logs`). */
  logLevel?: "debug" | "info" | "warn" | "error";
  /** How long to wait for every worker to register (default 30 s). */
  readyTimeoutMs?: number;
}

export interface LocalProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Settles with the exit code (128 + signal for a signal) once the process has exited. */
  readonly exited: Promise<number>;
  exitCode: number | undefined;
}

export interface LocalCluster {
  readonly dir: string;
  readonly secret: string;
  readonly secretFile: string;
  readonly masterUrl: string;
  readonly statusPort: number;
  readonly master: LocalProcess;
  readonly workers: LocalProcess[];
  readonly workDir: string;
  readonly logDir: string;
  status(): Promise<ClusterStatus>;
  /** Waits until `count` workers are ALIVE on the master. */
  waitForWorkers(count: number, timeoutMs?: number): Promise<ClusterStatus>;
  /** Starts one more worker. */
  addWorker(): Promise<LocalProcess>;
  /** SIGTERM every process (workers first), SIGKILL what outlives `graceMs`; removes `dir` unless kept. */
  stop(options?: { graceMs?: number; keepDir?: boolean }): Promise<void>;
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

function launch(name: string, args: string[], options: { env: NodeJS.ProcessEnv; logDir: string; onStdoutLine?(line: string): void }): LocalProcess {
  const stderr = openSync(join(options.logDir, `${name}.stderr`), "a");
  const child = spawn(process.execPath, [FLINT_BIN, ...args], { env: options.env, stdio: ["pipe", "pipe", stderr] });
  closeSync(stderr);
  child.stdin!.on("error", () => {});
  let buffered = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      options.onStdoutLine?.(line);
    }
  });
  const proc: LocalProcess = {
    name,
    child,
    pid: child.pid ?? -1,
    exitCode: undefined,
    exited: new Promise<number>((resolve) => {
      child.once("exit", (code, signal) => {
        proc.exitCode = code ?? 128 + (signal ? (SIGNAL_NUMBERS[signal] ?? 0) : 0);
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

function waitForLine(proc: LocalProcess, pattern: RegExp, timeoutMs: number, lines: string[]): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${proc.name} did not start within ${timeoutMs} ms`)), timeoutMs);
    const check = (): boolean => {
      for (const line of lines) {
        const m = pattern.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m);
          return true;
        }
      }
      return false;
    };
    if (check()) return;
    proc.child.stdout!.on("data", () => void check());
    void proc.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${proc.name} exited with code ${code} before it was ready`));
    });
  });
}

export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "flint-local-"));
  const logDir = join(dir, "logs");
  const workDir = join(dir, "work");
  mkdirSync(logDir, { recursive: true });
  mkdirSync(workDir, { recursive: true });
  const secretFile = join(dir, "secret");
  const secret = createSecretFile(secretFile, { overwrite: true });
  const env: NodeJS.ProcessEnv = { ...process.env, FLINT_LOG_LEVEL: options.logLevel ?? "info" };
  if (options.protocol) env[PROTOCOL_ENV] = JSON.stringify(options.protocol);
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const all: LocalProcess[] = [];
  const stopAll = async (graceMs: number): Promise<void> => {
    const workers = all.filter((p) => p.name !== "master");
    const master = all.filter((p) => p.name === "master");
    for (const group of [workers, master]) {
      for (const p of group) if (p.exitCode === undefined) p.child.kill("SIGTERM");
      await Promise.all(
        group.map(async (p) => {
          const timer = setTimeout(() => p.child.kill("SIGKILL"), graceMs);
          await p.exited;
          clearTimeout(timer);
        }),
      );
    }
  };

  try {
    const masterLines: string[] = [];
    const master = launch("master", ["master", "--host", "127.0.0.1", "--port", "0", "--status-port", "0", "--secret-file", secretFile, "--exit-with-parent", "--log-file", join(logDir, "master.log")], {
      env,
      logDir,
      onStdoutLine: (line) => masterLines.push(line),
    });
    all.push(master);
    const ready = await waitForLine(master, /listening on (flint:\/\/\S+) \(status: (flint:\/\/\S+)\)/, readyTimeoutMs, masterLines);
    const masterUrl = ready[1]!;
    const statusPort = parseAddress(ready[2]!).port;
    let workerCount = 0;
    const addWorker = async (): Promise<LocalProcess> => {
      const name = `worker-${++workerCount}`;
      const lines: string[] = [];
      const w = launch(
        name,
        ["worker", masterUrl, "--host", "127.0.0.1", "--cores", String(options.coresPerWorker), "--memory", `${options.memoryPerWorkerMb}m`, "--work-dir", workDir, "--secret-file", secretFile, "--exit-with-parent", "--log-file", join(logDir, `${name}.log`)],
        { env, logDir, onStdoutLine: (line) => lines.push(line) },
      );
      all.push(w);
      await waitForLine(w, /listening on flint:/, readyTimeoutMs, lines);
      return w;
    };
    const workers = await Promise.all(Array.from({ length: options.workers }, () => addWorker()));
    const status = (): Promise<ClusterStatus> => requestStatus({ host: "127.0.0.1", port: statusPort }, { secret }) as Promise<ClusterStatus>;
    const waitForWorkers = async (count: number, timeoutMs = readyTimeoutMs): Promise<ClusterStatus> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const s = await status();
        if (s.workers.filter((w) => w.state === "ALIVE").length >= count) return s;
        if (Date.now() > deadline) throw new Error(`only ${s.workers.filter((w) => w.state === "ALIVE").length} of ${count} workers registered within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    await waitForWorkers(options.workers);
    return {
      dir,
      secret,
      secretFile,
      masterUrl,
      statusPort,
      master,
      workers,
      workDir,
      logDir,
      status,
      waitForWorkers,
      async addWorker() {
        const w = await addWorker();
        workers.push(w);
        return w;
      },
      async stop(stopOptions = {}) {
        await stopAll(stopOptions.graceMs ?? 15_000);
        if (!stopOptions.keepDir && options.dir === undefined) rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopAll(2_000);
    throw Object.assign(err as Error, { logDir });
  }
}
