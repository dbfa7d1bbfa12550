/**
 * HeartbeatReceiver (§1.7): executors' heartbeats and the periodic ExpireDeadHosts check, which
 * kills and replaces a silent executor and removes it (SPARK-27348, SPARK-8119).
 */
import { hasBug } from "../config.js";
import { log, send } from "../io.js";
import type { Address, ExecutorId } from "../ids.js";
import type { ExecutorHeartbeat } from "../messages.js";
import { killExecutors, makeOffers, onRemoveExecutor } from "./backend.js";
import type { ExecutorLossReason } from "./reasons.js";
import type { DriverStep } from "./state.js";
import { executorLost } from "./taskScheduler.js";

/** Heartbeat: a tracked executor is seen now; an unknown one is told to re-register (SPARK-4134). */
export function onExecutorHeartbeat(d: DriverStep, from: Address, msg: ExecutorHeartbeat): void {
  const lastSeen = d.s.heartbeats.executorLastSeenMs;
  const known = lastSeen[msg.executorId] !== undefined;
  if (known) lastSeen[msg.executorId] = d.now;
  else d.fx.push(log("debug", "heartbeatFromUnknownExecutor", { executorId: msg.executorId }));
  d.fx.push(send(from, { type: "HeartbeatResponse", reregisterBlockManager: !known }));
}

/** ExpireDeadHosts: every executor silent for more than networkTimeoutMs is killed, replaced and removed. */
export function expireDeadHosts(d: DriverStep): void {
  const lastSeen = d.s.heartbeats.executorLastSeenMs;
  const timeoutMs = d.s.protocol.networkTimeoutMs;
  const expired: Array<{ executorId: ExecutorId; silentMs: number }> = [];
  for (const executorId in lastSeen) {
    const silentMs = d.now - lastSeen[executorId]!;
    if (silentMs > timeoutMs) expired.push({ executorId: executorId as ExecutorId, silentMs });
  }
  if (expired.length > 0 && hasBug(d.s.protocol, "SPARK-27348")) return expireAsIn23(d, expired, timeoutMs);
  for (const { executorId, silentMs } of expired) {
    d.fx.push(log("warn", "executorHeartbeatTimedOut", { executorId, silentMs, timeoutMs }));
    // killAndReplaceExecutor: countFailures, so the loss keeps its own (counting) reason.
    killExecutors(d, [executorId], false, true, true);
    onRemoveExecutor(d, executorId, heartbeatLoss(silentMs));
    delete lastSeen[executorId];
  }
}

const heartbeatLoss = (silentMs: number): ExecutorLossReason => ({
  kind: "ExecutorProcessLost",
  message: `Executor heartbeat timed out after ${silentMs} ms`,
  causedByApp: true,
});

/**
 * SPARK-27348 [2.3/2.4]: the HeartbeatReceiver called scheduler.executorLost directly, never the
 * DriverEndpoint, so executorDataMap keeps the executor (and its free cores) until its connection
 * drops. The ReviveOffers that executorLost sends is modelled as handled before the
 * killAndReplaceExecutor thread marks the executor pending-to-remove (both ran asynchronously in
 * Spark), so the executor the scheduler just declared lost is offered tasks again.
 */
function expireAsIn23(d: DriverStep, expired: ReadonlyArray<{ executorId: ExecutorId; silentMs: number }>, timeoutMs: number): void {
  const lastSeen = d.s.heartbeats.executorLastSeenMs;
  for (const { executorId, silentMs } of expired) {
    d.fx.push(log("warn", "executorHeartbeatTimedOut", { executorId, silentMs, timeoutMs }));
    executorLost(d, executorId, heartbeatLoss(silentMs));
    delete lastSeen[executorId];
  }
  makeOffers(d);
  for (const { executorId } of expired) killExecutors(d, [executorId], false, true, true);
}
