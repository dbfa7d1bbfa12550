/**
 * `flint replay DIR --to-scenario FILE`: the cluster, the workload and the faults a recorded run
 * observed, written as a simulator scenario (src/sim/scenario.ts), so that a real incident can be
 * replayed, fuzzed and shrunk in the simulator.
 *
 * What is read from where:
 * - cluster: the masters and workers (their cores and memory) from their journals' configs; the
 *   protocol settings that differ from the defaults from the first master's config.
 * - apps: one per driver journal (its application description), submitted when the driver
 *   started; a job per `submitJob`, its stages' task counts, and each stage's task duration as
 *   the mean time from a task's launch to its final status update, as the driver saw it.
 * - faults: an executor whose exit its worker reported without having killed it is a crash of
 *   `executor:<app>`; a master or worker whose journal ends while the run goes on (more than
 *   END_SLACK_MS before the last record of all) crashed there, and a node that starts again on
 *   the same address is its restart (`restartAfterMs`). A clean stop and kill -9 both end a
 *   journal without a word, so a node stopped by hand mid-run reads as a crash.
 */
import { DEFAULT_CONFIG } from "../protocol/config.js";
import type { Effect, Input } from "../protocol/io.js";
import { parseScenario } from "../sim/scenario.js";
import type { NodeJournal } from "./reader.js";

/** A journal that ends this long before the run's last record ended early (a crash). */
const END_SLACK_MS = 1_000;

const startOf = (j: NodeJournal): number => j.header.initNow ?? j.records[0]?.t ?? 0;
const endOf = (j: NodeJournal): number => j.records.at(-1)?.t ?? startOf(j);

interface Stage {
  tasks: number;
  durationMs: number;
}

/** Per task set of a driver: launch and final-update times of its tasks, by task id. */
function stageDurations(j: NodeJournal): Map<string, number> {
  const launched = new Map<number, { taskSetId: string; t: number }>();
  const sums = new Map<string, { total: number; n: number }>();
  for (const r of j.records) {
    for (const e of r.e as Effect[]) {
      if (e.type === "send" && e.message.type === "LaunchTask")
        launched.set(e.message.task.taskId, { taskSetId: e.message.task.taskSetId, t: r.t });
    }
    const input = r.i as Input;
    if (input.type === "message" && input.message.type === "StatusUpdate" && input.message.state !== "RUNNING") {
      const l = launched.get(input.message.taskId);
      if (l === undefined) continue;
      const s = sums.get(l.taskSetId) ?? { total: 0, n: 0 };
      s.total += r.t - l.t;
      s.n++;
      sums.set(l.taskSetId, s);
    }
  }
  return new Map([...sums].map(([id, s]) => [id, Math.max(1, Math.round(s.total / s.n))]));
}

export function scenarioFromJournals(journals: readonly NodeJournal[], name: string): Record<string, unknown> {
  const ordered = [...journals].sort((a, b) => startOf(a) - startOf(b) || a.pid - b.pid);
  const t0 = Math.min(...ordered.map(startOf));
  const tEnd = Math.max(...ordered.map(endOf));
  const rel = (t: number): number => Math.max(0, Math.round(t - t0));
  const namesOf = (role: string, prefix: string): Map<string, string> => {
    const names = new Map<string, string>();
    for (const j of ordered) if (j.role === role && !names.has(j.node)) names.set(j.node, `${prefix}-${names.size + 1}`);
    return names;
  };
  const masterNames = namesOf("master", "master");
  const workerNames = namesOf("worker", "worker");

  // Workers, in the order they started, grouped while their sizes repeat.
  const workerGroups: Array<{ count: number; cores: number; memoryMb: number }> = [];
  for (const address of workerNames.keys()) {
    const config = ordered.find((j) => j.node === address)!.header.config as { cores: number; memoryMb: number };
    const last = workerGroups.at(-1);
    if (last && last.cores === config.cores && last.memoryMb === config.memoryMb) last.count++;
    else workerGroups.push({ count: 1, cores: config.cores, memoryMb: config.memoryMb });
  }

  const firstMaster = ordered.find((j) => j.role === "master");
  const protocol = ((firstMaster?.header.config as { protocol?: Record<string, unknown> } | undefined)?.protocol ?? {}) as Record<
    string,
    unknown
  >;
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(protocol)) {
    const fallback = (DEFAULT_CONFIG as unknown as Record<string, unknown>)[key];
    if (fallback !== undefined && JSON.stringify(value) !== JSON.stringify(fallback)) config[key] = value;
  }

  const apps: Array<Record<string, unknown>> = [];
  const jobIds = new Set<string>();
  let allJobsSucceeded = true;
  for (const j of ordered.filter((x) => x.role === "driver")) {
    const desc = (
      j.header.config as { appDesc: { name: string; maxCores?: number; coresPerExecutor?: number; memoryPerExecutorMb: number } }
    ).appDesc;
    const durations = stageDurations(j);
    const jobs: Array<Record<string, unknown>> = [];
    const succeeded = new Set<string>();
    for (const r of j.records) {
      for (const e of r.e as Effect[])
        if (e.type === "notify" && e.notification.kind === "jobSucceeded") succeeded.add(e.notification.jobId);
      const input = r.i as Input;
      if (input.type !== "command" || input.command.kind !== "submitJob") continue;
      const { jobId, taskSets } = input.command;
      let id = `${desc.name}-${jobId}`;
      while (jobIds.has(id)) id += "'";
      jobIds.add(id);
      const stages: Stage[] = taskSets.map((ts, k) => ({
        tasks: Math.max(1, ts.tasks.length),
        durationMs: durations.get(`${jobId}.${k}.0`) ?? durationOfStage(durations, jobId, k),
      }));
      jobs.push({ id, afterMs: Math.max(0, r.t - startOf(j)), stages, jobId });
    }
    for (const job of jobs) {
      if (!succeeded.has(job["jobId"] as string)) allJobsSucceeded = false;
      delete job["jobId"];
    }
    apps.push({
      name: desc.name,
      submitAtMs: rel(startOf(j)),
      ...(desc.maxCores !== undefined ? { maxCores: desc.maxCores } : {}),
      ...(desc.coresPerExecutor !== undefined ? { coresPerExecutor: desc.coresPerExecutor } : {}),
      memoryPerExecutorMb: desc.memoryPerExecutorMb,
      jobs,
    });
  }

  const faults: Array<Record<string, unknown>> = [];
  // Executors that died on their own: their worker reported the exit without having killed them.
  for (const w of ordered.filter((x) => x.role === "worker")) {
    const killed = new Set<string>();
    for (const r of w.records) {
      for (const e of r.e as Effect[]) if (e.type === "kill") killed.add(JSON.stringify(e.process));
      const input = r.i as Input;
      if (input.type === "processExited" && input.process.kind === "executor" && !killed.has(JSON.stringify(input.process))) {
        const appName = appNameOf(ordered, input.process.appId);
        if (appName !== undefined) faults.push({ atMs: rel(r.t), kind: "crash", target: `executor:${appName}` });
      }
    }
  }
  // Masters and workers whose journal ended while the run went on; a later start on the same address is the restart.
  for (const [role, names] of [
    ["master", masterNames],
    ["worker", workerNames],
  ] as const) {
    for (const [address, nodeName] of names) {
      const lives = ordered.filter((j) => j.role === role && j.node === address);
      lives.forEach((life, k) => {
        const end = endOf(life);
        const next = lives[k + 1];
        if (next === undefined && end >= tEnd - END_SLACK_MS) return;
        faults.push({
          atMs: rel(end),
          kind: "crash",
          target: nodeName,
          ...(next !== undefined ? { restartAfterMs: Math.max(0, Math.round(startOf(next) - end)) } : {}),
        });
      });
    }
  }
  faults.sort((a, b) => (a["atMs"] as number) - (b["atMs"] as number));

  return {
    name,
    comment: `Recorded on real processes (${ordered.length} journals, ${Math.round((tEnd - t0) / 1000)} s) and turned into a scenario by flint replay --to-scenario.`,
    seed: 1,
    timeLimitMs: rel(tEnd) + 120_000,
    cluster: { masters: Math.max(1, masterNames.size), recoveryMode: "filesystem", workers: workerGroups },
    ...(Object.keys(config).length > 0 ? { config } : {}),
    apps,
    faults,
    expect: { allJobsSucceed: allJobsSucceeded },
  };
}

/** A task set's id is `<jobId>.<stage>.<attempt>`: the stage's mean over its attempts, else 100 ms. */
function durationOfStage(durations: Map<string, number>, jobId: string, stage: number): number {
  const found = [...durations].filter(([id]) => id.startsWith(`${jobId}.${stage}.`)).map(([, d]) => d);
  return found.length > 0 ? Math.round(found.reduce((a, b) => a + b, 0) / found.length) : 100;
}

/** The name of the app with this id, from the driver journal that registered it. */
function appNameOf(journals: readonly NodeJournal[], appId: string): string | undefined {
  for (const j of journals) {
    if (j.role !== "driver") continue;
    for (const r of j.records) {
      const input = r.i as Input;
      if (input.type === "message" && input.message.type === "RegisteredApplication" && input.message.appId === appId)
        return (j.header.config as { appDesc: { name: string } }).appDesc.name;
    }
  }
  return undefined;
}

/** The scenario as file text, checked by the simulator's own parser first (a bad one is an error here, not later). */
export function scenarioText(scenario: Record<string, unknown>): string {
  parseScenario(scenario);
  return JSON.stringify(scenario, null, 2) + "\n";
}
