/**
 * A cluster of real processes on 127.0.0.1: one master (or several, with ZooKeeper electing the
 * leader) and N workers, each `node bin/flint.js ...` as a child of this process, sharing a fresh
 * secret file (mode 0600) in a temporary directory that also holds their logs, work directories
 * and the master's recovery directory. Used by `flint local`, the integration tests and the
 * benchmarks. The children hold their stdin as a pipe from us: if this process dies, even by
 * kill -9, they see it end and stop (and their executors with them).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ProtocolConfig } from "../../protocol/config.js";
import { parseAddress } from "../address.js";
import { createSecretFile } from "../handshake.js";
import { holdCpuLatency, type CpuLatencyRequest } from "./cpuLatency.js";
import { EXECUTOR_CPUS_ENV } from "./launcher.js";
import { PROTOCOL_ENV } from "../runtime.js";
import type { ClusterStatus } from "../snapshot.js";
import { requestStatus } from "./status.js";

export const FLINT_BIN = fileURLToPath(new URL("../../../bin/flint.js", import.meta.url));

export interface LocalClusterOptions {
  workers: number;
  /** Masters to start (default 1); more than one needs `recovery` of mode zookeeper. */
  masters?: number;
  /**
   * The masters' `--recovery` spec (default `filesystem:<dir>/recovery`: a master restarted with
   * `restartMaster` reads its state back).
   */
  recovery?: string;
  /** The masters' ZooKeeper session timeout in ms (`--zk-session-timeout`). */
  zkSessionTimeoutMs?: number;
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
  /**
   * Pin each worker's executors to CPUs of their own (FLINT_EXECUTOR_CPUS, launcher.ts explains
   * why) when every worker's cores fit in the CPUs this process may use. Default: true, unless the
   * environment says FLINT_PIN_EXECUTORS=0 (so that `flint local` can be told too).
   */
  pinExecutors?: boolean;
  /**
   * Hold a request for the shallowest CPU idle state (cpuLatency.ts) while the cluster runs:
   * faster round trips of tiny tasks on a VM, idle CPUs spinning. Needs root; a refusal is an
   * error, not a silent no-op. Default false.
   */
  lowLatency?: boolean;
  /** Where every process records its steps (`flint replay` reads it); default `<dir>/journal`; false: nowhere. */
  journal?: string | false;
  /** Start the masters and workers with --validate (their own invariants checked after every step). */
  validate?: boolean;
}

export interface LocalProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Settles with the exit code (128 + signal for a signal) once the process has exited. */
  readonly exited: Promise<number>;
  exitCode: number | undefined;
  /** Its web UI (a free port on 127.0.0.1), once it said where. */
  webUrl: string | undefined;
}

export interface LocalCluster {
  readonly dir: string;
  readonly secret: string;
  readonly secretFile: string;
  /** Every master, as workers and drivers are given it: `flint://127.0.0.1:P1,127.0.0.1:P2`. */
  readonly masterUrl: string;
  /** The first master's status port. */
  readonly statusPort: number;
  /** The first master (the leader at start). */
  readonly master: LocalProcess;
  /** Every master, in start order; `restartMaster(i)` replaces entry i. */
  readonly masters: LocalProcess[];
  readonly recovery: string;
  readonly workers: LocalProcess[];
  readonly workDir: string;
  readonly logDir: string;
  /** Where every process journals (undefined: journals are off). */
  readonly journalDir: string | undefined;
  /** The status of the master that leads (ALIVE), else of the first one that answers. */
  status(): Promise<ClusterStatus>;
  /** The status of master `index` (throws when it does not answer). */
  masterStatus(index: number): Promise<ClusterStatus>;
  /** Waits until `count` workers are ALIVE on the leading master. */
  waitForWorkers(count: number, timeoutMs?: number): Promise<ClusterStatus>;
  /** Starts master `index` again on its old ports and recovery spec (after it exited or was killed). */
  restartMaster(index: number): Promise<LocalProcess>;
  /** Starts one more worker. */
  addWorker(): Promise<LocalProcess>;
  /** SIGTERM every process (workers first), SIGKILL what outlives `graceMs`; removes the secret file, and `dir` unless kept. */
  stop(options?: { graceMs?: number; keepDir?: boolean }): Promise<void>;
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

function launch(
  name: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; logDir: string; onStdoutLine?(line: string): void },
): LocalProcess {
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
    webUrl: undefined,
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

/** Resolves when `port` on 127.0.0.1 could be listened on (and has been released again). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * A free port P whose P + 1 is free too, so that a master's status channel sits at its default
 * place (port + 1) and `flint status --master <url>` finds it. Falls back to any ports (0, 0).
 */
async function pickMasterPorts(): Promise<{ port: number; statusPort: number }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    if ((await portFree(port)) && (await portFree(port + 1))) return { port, statusPort: port + 1 };
  }
  return { port: 0, statusPort: 0 };
}

/** `0` turns off the pinning of executors by `startLocalCluster` (LocalClusterOptions.pinExecutors). */
export const PIN_EXECUTORS_ENV = "FLINT_PIN_EXECUTORS";

/** The CPUs this process may run on (Linux: Cpus_allowed_list), in order; elsewhere 0..n-1. */
export function allowedCpus(): number[] {
  try {
    const line = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (line) {
      const cpus: number[] = [];
      for (const part of line[1]!.split(",")) {
        const [from, to] = part.split("-").map(Number);
        for (let cpu = from!; cpu <= (to ?? from!); cpu++) cpus.push(cpu);
      }
      if (cpus.length > 0 && cpus.every(Number.isInteger)) return cpus;
    }
  } catch {
    // Not Linux: fall through.
  }
  return Array.from({ length: availableParallelism() }, (_, i) => i);
}

/**
 * The CPU list for worker `index` (0-based): its own `cores` CPUs out of `cpus`, or undefined when
 * `workers` x `cores` do not fit (then nobody is pinned: sharing a CPU would be worse than floating).
 */
export function workerCpus(index: number, workers: number, cores: number, cpus: readonly number[]): string | undefined {
  if (cores < 1 || workers * cores > cpus.length || (index + 1) * cores > cpus.length) return undefined;
  return cpus.slice(index * cores, (index + 1) * cores).join(",");
}

export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  let cpuLatency: CpuLatencyRequest | undefined;
  if (options.lowLatency) {
    const held = holdCpuLatency(0);
    if (!held.ok) throw new Error(`low latency was asked for but cannot be had: ${held.why}`);
    cpuLatency = held.request;
  }
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
  const journalDir = options.journal === false ? undefined : (options.journal ?? join(dir, "journal"));
  const journalArgs = [
    ...(journalDir === undefined ? ["--no-journal"] : ["--journal", journalDir]),
    ...(options.validate ? ["--validate"] : []),
  ];
  const all: LocalProcess[] = [];
  const stopAll = async (graceMs: number): Promise<void> => {
    const workers = all.filter((p) => !p.name.startsWith("master"));
    const master = all.filter((p) => p.name.startsWith("master"));
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
    const masterCount = options.masters ?? 1;
    const recovery = options.recovery ?? `filesystem:${join(dir, "recovery")}`;
    if (masterCount > 1 && !recovery.startsWith("zookeeper:")) {
      throw new Error(`${masterCount} masters need ZooKeeper to elect the leader (recovery zookeeper:HOST:PORT), not ${recovery}`);
    }
    const masters: LocalProcess[] = [];
    const masterPorts: Array<{ port: number; statusPort: number }> = [];
    const launchMaster = async (index: number, ports?: { port: number; statusPort: number }): Promise<LocalProcess> => {
      const name = masterCount === 1 ? "master" : `master-${index + 1}`;
      const lines: string[] = [];
      const chosen = ports ?? (await pickMasterPorts());
      const args = [
        "master",
        "--host",
        "127.0.0.1",
        "--port",
        String(chosen.port),
        "--status-port",
        String(chosen.statusPort),
        "--secret-file",
        secretFile,
        "--web-port",
        "0",
      ];
      args.push("--recovery", recovery, "--exit-with-parent", "--log-file", join(logDir, `${name}.log`), ...journalArgs);
      if (options.zkSessionTimeoutMs !== undefined) args.push("--zk-session-timeout", `${options.zkSessionTimeoutMs}ms`);
      const proc = launch(name, args, { env, logDir, onStdoutLine: (line) => lines.push(line) });
      all.push(proc);
      const ready = await waitForLine(proc, /listening on (flint:\/\/\S+) \(status: (flint:\/\/\S+)\)/, readyTimeoutMs, lines);
      masterPorts[index] = { port: parseAddress(ready[1]!).port, statusPort: parseAddress(ready[2]!).port };
      proc.webUrl = /web UI (http:\/\/\S+)/.exec(ready.input)?.[1];
      masters[index] = proc;
      return proc;
    };
    // One after the other, so that the first master is the first candidate and leads.
    for (let i = 0; i < masterCount; i++) await launchMaster(i);
    const masterUrl = "flint://" + masterPorts.map((p) => `127.0.0.1:${p.port}`).join(",");
    const statusPort = masterPorts[0]!.statusPort;
    let workerCount = 0;
    const pin = options.pinExecutors ?? process.env[PIN_EXECUTORS_ENV] !== "0";
    const cpus = pin ? allowedCpus() : [];
    const addWorker = async (): Promise<LocalProcess> => {
      const index = workerCount;
      const name = `worker-${++workerCount}`;
      const workerEnv: NodeJS.ProcessEnv = { ...env };
      delete workerEnv[EXECUTOR_CPUS_ENV];
      // Workers added later (tests) count as more workers: pinned only while all still fit.
      const pinned = workerCpus(index, Math.max(options.workers, index + 1), options.coresPerWorker, cpus);
      if (pinned !== undefined) workerEnv[EXECUTOR_CPUS_ENV] = pinned;
      const lines: string[] = [];
      const w = launch(
        name,
        [
          "worker",
          masterUrl,
          "--host",
          "127.0.0.1",
          "--cores",
          String(options.coresPerWorker),
          "--memory",
          `${options.memoryPerWorkerMb}m`,
          "--work-dir",
          workDir,
          "--secret-file",
          secretFile,
          "--web-port",
          "0",
          "--exit-with-parent",
          "--log-file",
          join(logDir, `${name}.log`),
          ...journalArgs,
        ],
        { env: workerEnv, logDir, onStdoutLine: (line) => lines.push(line) },
      );
      all.push(w);
      const ready = await waitForLine(w, /listening on flint:/, readyTimeoutMs, lines);
      w.webUrl = /web UI (http:\/\/\S+)/.exec(ready.input)?.[1];
      return w;
    };
    const workers = await Promise.all(Array.from({ length: options.workers }, () => addWorker()));
    const masterStatus = (index: number): Promise<ClusterStatus> => {
      const ports = masterPorts[index];
      if (!ports) return Promise.reject(new Error(`there is no master ${index}`));
      return requestStatus({ host: "127.0.0.1", port: ports.statusPort }, { secret }) as Promise<ClusterStatus>;
    };
    const status = async (): Promise<ClusterStatus> => {
      const answers = await Promise.allSettled(
        masterPorts.map((_, i) => (masters[i]?.exitCode === undefined ? masterStatus(i) : Promise.reject(new Error("exited")))),
      );
      const got = answers.flatMap((a) => (a.status === "fulfilled" ? [a.value] : []));
      const leader = got.find((s) => s.recoveryState === "ALIVE") ?? got[0];
      if (leader) return leader;
      throw new Error(
        `no master answers (${answers.map((a) => (a.status === "rejected" ? String((a.reason as Error).message) : "")).join("; ")})`,
      );
    };
    const waitForWorkers = async (count: number, timeoutMs = readyTimeoutMs): Promise<ClusterStatus> => {
      const deadline = Date.now() + timeoutMs;
      let seen = "no master answered";
      for (;;) {
        try {
          const s = await status();
          const alive = s.workers.filter((w) => w.state === "ALIVE").length;
          if (s.recoveryState === "ALIVE" && alive >= count) return s;
          seen = `${alive} of ${count} workers ALIVE on ${s.address} (${s.recoveryState})`;
        } catch (err) {
          seen = (err as Error).message;
        }
        if (Date.now() > deadline) throw new Error(`the workers did not register within ${timeoutMs} ms: ${seen}`);
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
      master: masters[0]!,
      masters,
      recovery,
      workers,
      workDir,
      logDir,
      journalDir,
      status,
      masterStatus,
      waitForWorkers,
      async restartMaster(index: number) {
        const old = masters[index];
        const ports = masterPorts[index];
        if (!old || !ports) throw new Error(`there is no master ${index}`);
        if (old.exitCode === undefined) throw new Error(`${old.name} is still running (pid ${old.pid})`);
        return launchMaster(index, ports);
      },
      async addWorker() {
        const w = await addWorker();
        workers.push(w);
        return w;
      },
      async stop(stopOptions = {}) {
        await stopAll(stopOptions.graceMs ?? 15_000);
        cpuLatency?.release();
        // The secret is of no use once the cluster is gone; kept logs must not carry it.
        rmSync(secretFile, { force: true });
        if (!stopOptions.keepDir && options.dir === undefined) rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopAll(2_000);
    cpuLatency?.release();
    // The logs stay for the user to read; the secret goes.
    rmSync(secretFile, { force: true });
    throw Object.assign(err as Error, { logDir });
  }
}
