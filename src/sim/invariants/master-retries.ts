/**
 * M6: an app whose executors failed maxExecutorRetries times in a row is removed as soon as none
 * of its executors is RUNNING (docs/protocol.md §4.5; Spark's ExecutorStateChanged handler). I15
 * checks the removal never comes early; this is the other half: it never comes late, or never.
 * Judged on each ExecutorStateChanged a master accepts, with I15's count of consecutive abnormal
 * exits (MasterLedger.executorFailures, kept by checkMasterStep, which runs first).
 */
import { isExecutorFinished } from "../../protocol/states.js";
import type { MasterStepView } from "./master.js";

export const M6 = "M6:app-removed-at-max-retries";

export function checkAppRemovedAtMaxRetries(v: MasterStepView): void {
  const msg = v.input?.type === "message" ? v.input.message : null;
  if (msg === null || msg.type !== "ExecutorStateChanged" || !isExecutorFinished(msg.state) || msg.exitStatus === 0) return;
  const app = v.s.apps[msg.appId];
  const max = v.s.config.maxExecutorRetries;
  if (app === undefined || max < 0) return;
  if (v.effects.some((e) => e.type === "log" && e.event === "ignored")) return; // not accepted
  const failures = v.ledger.executorFailures.get(`${v.key}|${msg.appId}`) ?? 0;
  if (failures < max) return;
  for (const id in app.executors) if (app.executors[id]!.state === "RUNNING") return;
  v.report(M6, `${v.name} keeps app ${msg.appId} after ${failures} consecutive executor failures (limit ${max}) with no executor RUNNING`, [
    app.driverAddress,
  ]);
}
