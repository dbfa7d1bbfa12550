/**
 * `flint chaos`: a scenario on real processes on this machine. The scenario's cluster is started
 * (masters with their recovery store, a ZooKeeper when it says so; workers with their cores and
 * memory), its apps run as client-mode drivers (`flint submit` of a generated module), and its
 * faults are thrown at the processes in real time: a crash is kill -9 (and a restart after
 * restartAfterMs on the same work directory or recovery store), a pause SIGSTOP then SIGCONT, a
 * leader crash kills the master whose status says ALIVE, an executor crash kills -9 one executor
 * process of the app. Every process journals into the run folder; afterwards the journals go
 * through `flint replay` (every step re-run, the simulator's invariants on the merged history) and
 * the scenario's expectations are matched on that history, with the nodes named as in the scenario.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createSecretFile } from "../real/handshake.js";
import { requestStatus } from "../real/cluster/status.js";
import { EmbeddedZooKeeper } from "../real/recovery/zkServer.js";
import { PROTOCOL_ENV } from "../real/runtime.js";
import { JOURNAL_ENV } from "../real/journal/format.js";
import type { ClusterStatus } from "../real/snapshot.js";
import { loadCode } from "../replay/code.js";
import { readJournalDir, type NodeJournal } from "../replay/reader.js";
import { describeDivergence, describeViolation, replay } from "../replay/replay.js";
import { Expectations } from "../sim/expectations.js";
import type { FaultSpec, Scenario } from "../sim/scenario.js";
import type { SimNode } from "../sim/world.js";
import { appModuleText, outcomesIn, type JobOutcome } from "./app-module.js";
import { ChaosNetwork, namespacesUnavailable } from "./netns.js";
import { refusals, uncheckable } from "./plan.js";
import { crash, executorPids, launch, pause, resume, stop, waitForLine, type ChaosProcess } from "./processes.js";

export class ChaosRefused extends Error {
  constructor(readonly reasons: string[]) {
    super(`this scenario cannot run on real processes:\n${reasons.map((r) => `  ${r}`).join("\n")}`);
    this.name = "ChaosRefused";
  }
}

export interface ChaosOptions {
  scenario: Scenario;
  /** The run folder: journals, logs, work directories, recovery store, generated app modules. */
  dir: string;
  /** Remove the run folder afterwards (kept when the run failed, for reading). */
  removeWhenPassed: boolean;
  /** Progress lines. */
  say(line: string): void;
  /** How long to wait, once every app has ended and every fault has fired, for late events (default 2 s). */
  settleMs?: number;
}

export type JobResult = JobOutcome | { state: "unfinished" };

export interface ChaosResult {
  passed: boolean;
  /** Why it failed, one line each (empty when it passed). */
  reasons: string[];
  /** Expectations not judged on real processes, with the reason. */
  notChecked: string[];
  jobs: Record<string, JobResult>;
  /** `flint replay`'s verdict line. */
  replay: string;
  /** Real time the run took, ms. */
  elapsedMs: number;
}

interface MasterSlot {
  proc: ChaosProcess;
  args: string[];
  statusPort: number;
  incarnation: number;
}

interface WorkerSlot {
  proc: ChaosProcess | undefined;
  args: string[];
  workDir: string;
  incarnation: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const READY_TIMEOUT_MS = 20_000;

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const { scenario, dir, say } = options;
  const started = Date.now();
  const zkMissing =
    scenario.cluster.recoveryMode === "zookeeper" ? (await import("../real/recovery/zkServer.js")).zooKeeperMissing() : undefined;
  const partitions = scenario.faults.some((f) => f.kind === "partition");
  const refused = refusals(scenario, { canPartition: partitions ? namespacesUnavailable() : undefined, zooKeeper: zkMissing });
  if (refused.length > 0) throw new ChaosRefused(refused);

  const logDir = join(dir, "logs");
  const journalDir = join(dir, "journal");
  const appDir = join(dir, "apps");
  const failTokens = join(dir, "fail-tokens");
  for (const d of [logDir, journalDir, appDir, failTokens, join(dir, "work")]) mkdirSync(d, { recursive: true });
  const secretFile = join(dir, "secret");
  const secret = createSecretFile(secretFile, { overwrite: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FLINT_LOG_LEVEL: "warn",
    [PROTOCOL_ENV]: JSON.stringify(scenario.config),
    [JOURNAL_ENV]: journalDir,
  };
  const journalArgs = ["--journal", journalDir];

  const masters: MasterSlot[] = [];
  const workers: WorkerSlot[] = [];
  const apps = new Map<string, ChaosProcess>();
  /** Every process ever started, by pid: how journals are named back to the scenario. */
  const names = new Map<number, { name: string; kind: string; labels: Record<string, string> }>();
  const problems: string[] = [];
  /** Processes killed by a fault (kill -9): their journals may end in the middle of a record. */
  const killed = new Set<number>();
  const timers: NodeJS.Timeout[] = [];
  let zk: EmbeddedZooKeeper | undefined;
  let stopping = false;
  /** Apps still running when the run ended: a job they report failed was cancelled by that stop. */
  const cutShort = new Set<string>();
  /** The scenario's time 0 (set once the masters listen): journals' times are read from it. */
  let t0 = Date.now();

  const startMaster = async (index: number): Promise<void> => {
    const slot = masters[index]!;
    const name = `master-${index + 1}`;
    const proc = launch(name, slot.args, env, logDir, slot.incarnation++, wrapFor(name));
    names.set(proc.pid, { name, kind: "master", labels: {} });
    slot.proc = proc;
    await waitForLine(proc, /listening on flint:\/\//, READY_TIMEOUT_MS);
  };
  const startWorker = async (index: number): Promise<void> => {
    const slot = workers[index]!;
    const name = `worker-${index + 1}`;
    const proc = launch(name, slot.args, env, logDir, slot.incarnation++, wrapFor(name));
    names.set(proc.pid, { name, kind: "worker", labels: {} });
    slot.proc = proc;
    await waitForLine(proc, /listening on flint:/, READY_TIMEOUT_MS);
  };
  const masterStatus = async (index: number): Promise<ClusterStatus | undefined> => {
    const slot = masters[index]!;
    if (slot.proc.exitCode !== undefined || slot.proc.paused) return undefined;
    return (await requestStatus({ host: hostOf(`master-${index + 1}`), port: slot.statusPort }, { secret, timeoutMs: 2_000 }).catch(
      () => undefined,
    )) as ClusterStatus | undefined;
  };
  const leader = async (): Promise<{ index: number; status: ClusterStatus } | undefined> => {
    for (let i = 0; i < masters.length; i++) {
      const s = await masterStatus(i);
      if (s?.recoveryState === "ALIVE") return { index: i, status: s };
    }
    return undefined;
  };

  let net: ChaosNetwork | undefined;
  const hostOf = (name: string): string => net?.ipOf(name) ?? "127.0.0.1";
  const wrapFor =
    (name: string) =>
    (command: string[]): string[] =>
      net?.wrap(name, command) ?? command;
  try {
    // ---- the cluster (each node in a network namespace of its own when the scenario cuts links) ----
    if (partitions) {
      const workerCount = scenario.cluster.workers.reduce((n, g) => n + g.count, 0);
      net = ChaosNetwork.create([
        ...Array.from({ length: scenario.cluster.masters }, (_, i) => `master-${i + 1}`),
        ...Array.from({ length: workerCount }, (_, i) => `worker-${i + 1}`),
        ...scenario.apps.map((a) => `app:${a.name}`),
      ]);
    }
    let recovery: string;
    if (scenario.cluster.recoveryMode === "zookeeper") {
      // Sessions may last 2-20 ticks: a tenth of the scenario's session timeout.
      zk = await EmbeddedZooKeeper.start({
        dir: join(dir, "zookeeper"),
        tickMs: Math.max(50, Math.floor(scenario.cluster.sessionTimeoutMs / 10)),
      });
      recovery = `zookeeper:${zk.connectString}`;
    } else recovery = scenario.cluster.recoveryMode === "none" ? "none" : `filesystem:${join(dir, "recovery")}`;
    const masterAddresses: string[] = [];
    for (let i = 0; i < scenario.cluster.masters; i++) {
      const name = `master-${i + 1}`;
      const args = [
        "master",
        "--host",
        hostOf(name),
        "--port",
        "0",
        "--status-port",
        "0",
        "--secret-file",
        secretFile,
        "--web-port",
        "0",
        "--recovery",
        recovery,
        "--exit-with-parent",
        "--log-file",
        join(logDir, `${name}.log`),
        ...journalArgs,
      ];
      if (scenario.cluster.recoveryMode === "zookeeper") args.push("--zk-session-timeout", `${scenario.cluster.sessionTimeoutMs}ms`);
      const proc = launch(name, args, env, logDir, 0, wrapFor(name));
      names.set(proc.pid, { name, kind: "master", labels: {} });
      // One after the other, so that the first master is the first candidate and leads.
      const ready = await waitForLine(proc, /listening on flint:\/\/([^\s:]+):(\d+) \(status: flint:\/\/[^\s:]+:(\d+)\)/, READY_TIMEOUT_MS);
      const [port, statusPort] = [ready[2]!, ready[3]!];
      // A restart takes the same ports: workers and drivers know the master by its address.
      const fixed = args.map((a, k) => (args[k - 1] === "--port" ? port : args[k - 1] === "--status-port" ? statusPort : a));
      masters.push({ proc, args: fixed, statusPort: Number(statusPort), incarnation: 1 });
      masterAddresses.push(`${hostOf(name)}:${port}`);
    }
    const masterUrl = `flint://${masterAddresses.join(",")}`;
    for (const group of scenario.cluster.workers) {
      for (let k = 0; k < group.count; k++) {
        const index = workers.length;
        const workDir = join(dir, "work", `worker-${index + 1}`);
        mkdirSync(workDir, { recursive: true });
        const args = [
          "worker",
          masterUrl,
          "--host",
          hostOf(`worker-${index + 1}`),
          "--cores",
          String(group.cores),
          "--memory",
          `${group.memoryMb}m`,
          "--work-dir",
          workDir,
          "--secret-file",
          secretFile,
          "--web-port",
          "0",
          "--exit-with-parent",
          "--log-file",
          join(logDir, `worker-${index + 1}.log`),
          ...journalArgs,
        ];
        workers.push({ proc: undefined, args, workDir, incarnation: 0 });
      }
    }
    t0 = Date.now();
    say(`${scenario.name}: ${masters.length} master(s) listening at ${masterUrl}; the scenario's time 0 is now`);

    // ---- the timeline ----
    const pending = new Set<Promise<void>>();
    const at = (ms: number, what: string, action: () => Promise<void>): void => {
      const timer = setTimeout(
        () => {
          if (stopping) return;
          const p = action()
            .catch((err: unknown) => void problems.push(`${what} at ${ms} ms: ${(err as Error).message}`))
            .finally(() => pending.delete(p));
          pending.add(p);
        },
        Math.max(0, t0 + ms - Date.now()),
      );
      timers.push(timer);
    };
    let index = 0;
    for (const group of scenario.cluster.workers) {
      for (let k = 0; k < group.count; k++) {
        const i = index++;
        at(group.startAtMs, `starting worker-${i + 1}`, () => startWorker(i));
      }
    }
    for (const app of scenario.apps) {
      const module = join(appDir, `${app.name.replace(/[^A-Za-z0-9.-]/g, "_")}.mjs`);
      writeFileSync(module, appModuleText(app, failTokens));
      const args = ["submit", module, "--master", masterUrl, "--name", app.name, "--secret-file", secretFile, "--quiet", "--web-port", "0"];
      if (net !== undefined) args.push("--advertised-host", hostOf(`app:${app.name}`));
      if (app.maxCores !== undefined) args.push("--max-cores", String(app.maxCores));
      if (app.coresPerExecutor !== undefined) args.push("--executor-cores", String(app.coresPerExecutor));
      args.push("--executor-memory", `${app.memoryPerExecutorMb}m`);
      at(app.submitAtMs, `starting app ${app.name}`, async () => {
        const proc = launch(`app:${app.name}`, args, env, logDir, 0, wrapFor(`app:${app.name}`));
        names.set(proc.pid, { name: `app:${app.name}`, kind: "driver", labels: { app: app.name } });
        apps.set(app.name, proc);
      });
    }
    const fired: boolean[] = scenario.faults.map(() => false);
    scenario.faults.forEach((f, i) => {
      at(f.atMs, `faults[${i}] (${f.kind} ${f.target ?? ""})`, async () => {
        await inject(f, i);
        fired[i] = true;
        say(`  ${Date.now() - t0} ms: faults[${i}] ${f.kind} ${f.target ?? (f.hosts ?? []).join(",")}`);
      });
    });

    /** Resolves the fault's target to a process slot and does it. */
    const inject = async (f: FaultSpec, i: number): Promise<void> => {
      if (f.kind === "partition") {
        const cut = f.hosts ?? [];
        for (const host of cut) net!.cut(host);
        at(Date.now() - t0 + (f.durationMs ?? 0), `healing the partition of ${cut.join(", ")}`, async () => {
          for (const host of cut) net!.heal(host);
        });
        return;
      }
      if (f.kind === "failTasks") {
        // One file per attempt to fail; a task claims one as it finishes (app-module.ts).
        for (let k = 0; k < (f.count ?? 0); k++)
          writeFileSync(join(failTokens, `t-${String(i).padStart(4, "0")}-${String(k).padStart(6, "0")}`), "");
        return;
      }
      const target = f.target!;
      if (target.startsWith("executor:")) {
        const app = target.slice("executor:".length);
        const s = (await leader())?.status;
        const appIds = (s?.apps ?? []).filter((a) => a.name === app && a.state !== "FINISHED").map((a) => a.id);
        const pids = appIds.flatMap((id) =>
          executorPids(
            id,
            workers.map((w) => w.workDir),
          ),
        );
        if (pids.length === 0) throw new Error(`no executor of ${app} runs (the leading master knows ${appIds.length} such app(s))`);
        killed.add(pids[0]!);
        process.kill(pids[0]!, "SIGKILL");
        return;
      }
      if (target.startsWith("app:")) {
        const proc = apps.get(target.slice(4));
        if (proc === undefined) throw new Error(`${target} has not started`);
        return act(f, proc, async () => {
          throw new Error(`${target} cannot be restarted`);
        });
      }
      let masterIndex: number | undefined;
      if (target === "leader") {
        const l = await leader();
        if (l === undefined) throw new Error("no master says it leads (ALIVE)");
        masterIndex = l.index;
      } else if (target.startsWith("master-")) masterIndex = Number(target.slice(7)) - 1;
      if (masterIndex !== undefined) {
        const slot = masters[masterIndex];
        if (slot === undefined) throw new Error(`there is no ${target}`);
        return act(f, slot.proc, () => startMaster(masterIndex));
      }
      const workerIndex = Number(target.slice("worker-".length)) - 1;
      const slot = workers[workerIndex];
      if (slot === undefined) throw new Error(`there is no ${target}`);
      if (slot.proc === undefined) throw new Error(`${target} has not started`);
      return act(f, slot.proc, () => startWorker(workerIndex));
    };
    const act = async (f: FaultSpec, proc: ChaosProcess, restart: () => Promise<void>): Promise<void> => {
      switch (f.kind) {
        case "crash":
          killed.add(proc.pid);
          await crash(proc);
          if (f.restartAfterMs !== undefined) {
            const when = Date.now() - t0 + f.restartAfterMs;
            at(when, `restarting ${proc.name}`, restart);
          }
          return;
        case "restart":
          killed.add(proc.pid);
          await crash(proc);
          await restart();
          return;
        case "pause":
          pause(proc);
          at(Date.now() - t0 + (f.durationMs ?? 0), `resuming ${proc.name}`, async () => resume(proc));
          return;
        default:
          throw new Error(`${f.kind} is not done on processes`);
      }
    };

    // ---- wait: every app ended and every timed event done, or the time limit ----
    const deadline = t0 + scenario.timeLimitMs;
    for (;;) {
      const appsEnded = apps.size === scenario.apps.length && [...apps.values()].every((p) => p.exitCode !== undefined);
      const eventsDone = pending.size === 0 && Date.now() >= t0 + lastEventMs(scenario);
      if (appsEnded && eventsDone) {
        await sleep(options.settleMs ?? 2_000);
        if (pending.size === 0) break;
      }
      if (Date.now() >= deadline) {
        say(`${scenario.name}: the time limit (${scenario.timeLimitMs} ms) is reached`);
        break;
      }
      await sleep(100);
    }
    stopping = true;
    for (const t of timers) clearTimeout(t);
    await Promise.allSettled([...pending]);
    scenario.faults.forEach((f, i) => {
      if (scenario.expect.faultsMustFire && !fired[i])
        problems.push(`faults[${i}] (${f.kind} ${f.target ?? ""} at ${f.atMs} ms) never took effect`);
    });
  } finally {
    stopping = true;
    for (const t of timers) clearTimeout(t);
    for (const [name, p] of apps) if (p.exitCode === undefined) cutShort.add(name);
    // Drivers first (they unregister their apps), then workers (their executors), then masters.
    await Promise.all([...apps.values()].map((p) => stop(p, 5_000)));
    await Promise.all(workers.flatMap((w) => (w.proc ? [stop(w.proc, 5_000)] : [])));
    await Promise.all(masters.map((m) => stop(m.proc, 5_000)));
    await zk?.destroy();
    net?.destroy();
    rmSync(secretFile, { force: true });
  }

  // ---- the outcome of every job ----
  const jobs: Record<string, JobResult> = {};
  for (const app of scenario.apps) {
    const proc = apps.get(app.name);
    const outcomes = proc === undefined ? undefined : outcomesIn(proc.stdout.join("\n"));
    for (const job of app.jobs) {
      const outcome = outcomes?.[job.id];
      jobs[job.id] = outcome === undefined || (outcome.state === "failed" && cutShort.has(app.name)) ? { state: "unfinished" } : outcome;
    }
  }
  const reasons = [...problems];
  const ex = scenario.expect;
  for (const [id, job] of Object.entries(jobs)) {
    const want = ex.jobs[id];
    const reason = job.state === "failed" ? ` (${job.reason})` : "";
    if (want !== undefined) {
      if (job.state !== want.state) reasons.push(`job ${id}: expected ${want.state}, was ${job.state}${reason}`);
      else if (want.failureContains !== undefined && !(job.state === "failed" && job.reason.includes(want.failureContains)))
        reasons.push(`job ${id}: failure reason lacks ${JSON.stringify(want.failureContains)}${reason}`);
    } else if (ex.allJobsSucceed && job.state !== "succeeded") reasons.push(`job ${id}: expected succeeded, was ${job.state}${reason}`);
  }

  // ---- flint replay of the journals, and the expectations on the merged history ----
  const expectations = new Expectations(scenario.expect.events);
  const notChecked: string[] = [];
  const checkable = expectations.all.filter((x, i) => {
    const why = uncheckable(x.spec);
    if (why !== undefined) notChecked.push(`expect.events[${i}] (${x.spec.node} ${x.spec.input ?? x.spec.effect}): ${why}`);
    return why === undefined;
  });
  const code = await loadCode();
  const trimmed = trimKilledJournals(journalDir, killed);
  const journals = readJournalDir(journalDir, code.protocolVersion);
  const nodes = new Map<NodeJournal, SimNode>();
  const nodeOf = (j: NodeJournal): SimNode => {
    let n = nodes.get(j);
    if (n === undefined) {
      const known = names.get(j.pid);
      // Executors are started by their workers: named as the simulator names them (exec-<app id>-<number>).
      const exec = j.role === "executor" ? (j.header.config as { appId?: unknown; execId?: unknown } | undefined) : undefined;
      const name = known?.name ?? (exec !== undefined ? `exec-${String(exec.appId)}-${String(exec.execId)}` : j.node);
      n = { name, kind: known?.kind ?? j.role, labels: known?.labels ?? {}, alive: true } as unknown as SimNode;
      nodes.set(j, n);
    }
    return n;
  };
  let step = 0;
  const result = replay(journals, code, {
    onStep: ({ journal: j, nodeStep, timeMs: t, input, effects }) => {
      // A later journal segment starts from a snapshot, not from the node's start: no init to match.
      if (nodeStep === 0 && j.header.segment !== 0) return;
      const node = nodeOf(j);
      const mine = checkable.filter((x) => x.matchNode(node));
      if (mine.length > 0) expectations.match(node, mine, t - t0, step, input, effects);
      step++;
    },
  });
  let replayLine: string;
  if (result.divergence !== null) {
    replayLine = describeDivergence(result.divergence);
    reasons.push(`flint replay: ${replayLine}`);
  } else if (result.violations.length > 0) {
    replayLine = `${result.steps} steps of ${result.nodes} journals replayed; ${describeViolation(result.violations[0]!)}`;
    reasons.push(`flint replay: ${replayLine}`);
  } else replayLine = `${result.steps} steps of ${result.nodes} journals replayed: every effect as recorded, no invariant broken`;
  if (trimmed.length > 0) replayLine += ` (${trimmed.join("; ")})`;
  for (const x of checkable) {
    const problem = expectations.problem(x);
    if (problem !== null) reasons.push(problem);
  }
  const passed = reasons.length === 0;
  if (passed && options.removeWhenPassed) rmSync(dir, { recursive: true, force: true });
  return { passed, reasons, notChecked, jobs, replay: replayLine, elapsedMs: Date.now() - started };
}

/**
 * A process killed with kill -9 loses what its journal had not flushed yet (it writes every 100
 * ms): its file may be empty (killed before its first write) or end inside a record. Those files,
 * of killed processes only, are cut back to their last whole record (an empty one removed), and
 * each cut is said; any other damaged journal is still refused by the reader.
 */
function trimKilledJournals(dir: string, killed: ReadonlySet<number>): string[] {
  const notes: string[] = [];
  for (const name of readdirSync(dir)) {
    const pid = Number(/-(\d+)\.\d+\.jsonl$/.exec(name)?.[1]);
    if (!killed.has(pid)) continue;
    const path = join(dir, name);
    const text = readFileSync(path, "utf8");
    const end = text.lastIndexOf("\n") + 1;
    if (end === 0) {
      rmSync(path);
      notes.push(`${name} was empty: its process was killed before its first write`);
    } else if (end < text.length) {
      writeFileSync(path, text.slice(0, end));
      notes.push(`${name}: an incomplete last record of a killed process dropped`);
    }
  }
  return notes;
}

/** The last time the timeline names (a fault, its restart or its end, an app's or a worker's start). */
function lastEventMs(s: Scenario): number {
  let last = 0;
  for (const f of s.faults)
    last = Math.max(last, f.atMs + (f.restartAfterMs ?? 0) + (f.kind === "pause" || f.kind === "partition" ? (f.durationMs ?? 0) : 0));
  for (const a of s.apps) last = Math.max(last, a.submitAtMs);
  for (const w of s.cluster.workers) last = Math.max(last, w.startAtMs);
  return last;
}
