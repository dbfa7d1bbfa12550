/**
 * A fuzz worker thread: receives base scenarios once, then seeds to run, and posts each seed's
 * outcome back (with the replayable plan when it failed). Lives outside src/sim, which must not
 * import node:*.
 */
import { parentPort } from "node:worker_threads";
import { fuzzSeed } from "../sim/fuzz/index.js";
import { ROLES } from "../sim/roles.js";
import type { Scenario } from "../sim/scenario.js";

export interface WorkerTask {
  type: "seed";
  /** Index of the base scenario in the list sent with "init". */
  base: number;
  seed: number;
}
export type WorkerRequest = { type: "init"; bases: Scenario[]; bugs: string[]; strict: boolean } | WorkerTask | { type: "stop" };

export interface WorkerReply {
  base: number;
  seed: number;
  ok: boolean;
  check: string | null;
  detail: string;
  events: number;
  weaknesses: number;
  /** Why liveness was not judged in this seed (null: judged, or every job ended). */
  livenessUnjudged: string | null;
  plan: Scenario | null;
  error?: string;
}

/** Runs one seed; shared by the worker threads and the in-process (--jobs 1) path. */
export function runTask(bases: Scenario[], bugs: string[], strict: boolean, task: WorkerTask): WorkerReply {
  const r = fuzzSeed(bases[task.base]!, task.seed, ROLES, { bugs, strict });
  const f = r.outcome.failure;
  return { base: task.base, seed: task.seed, ok: r.outcome.ok, check: f?.check ?? null, detail: f === null ? "" : `${f.detail}${f.step >= 0 ? ` (step ${f.step}, ${f.timeMs} ms, nodes ${f.nodes.join(", ")})` : ""}`, events: r.outcome.events, weaknesses: r.outcome.weaknesses, livenessUnjudged: r.outcome.livenessUnjudged, plan: r.plan };
}

if (parentPort !== null) {
  const port = parentPort;
  let bases: Scenario[] = [];
  let bugs: string[] = [];
  let strict = false;
  port.on("message", (m: WorkerRequest) => {
    if (m.type === "init") {
      bases = m.bases;
      bugs = m.bugs;
      strict = m.strict;
    } else if (m.type === "seed") {
      try {
        port.postMessage(runTask(bases, bugs, strict, m));
      } catch (e) {
        port.postMessage({ base: m.base, seed: m.seed, ok: false, check: "X2:worker-crash", detail: String((e as Error).stack ?? e), events: 0, weaknesses: 0, livenessUnjudged: null, plan: null } satisfies WorkerReply);
      }
    } else {
      port.close();
    }
  });
}
