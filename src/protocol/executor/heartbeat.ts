/**
 * The executor's heartbeater (docs/protocol.md §1.6 Heartbeater, §2.4): an ExecutorHeartbeat ask to the
 * driver's HeartbeatReceiver every interval. The ask times out after one interval, so a beat still
 * unanswered when the next tick comes is one failure; executorHeartbeatMaxFailures consecutive
 * failures end the process with code 56 (Spark calls System.exit: the driver is not told).
 */
import { ignored, log, send, setTimer, type Effect } from "../io.js";
import type { HeartbeatResponse } from "../messages.js";
import { exitOnce } from "./lifecycle.js";
import { TIMER_HEARTBEAT, type ExecutorBackendState } from "./state.js";

export const HEARTBEAT_FAILURE_EXIT_CODE = 56;

export function onHeartbeatTimer(s: ExecutorBackendState, fx: Effect[]): void {
  if (!s.constructed) {
    fx.push(ignored("stale-timer", { key: TIMER_HEARTBEAT }));
    return;
  }
  if (s.heartbeatAwaitingResponse) {
    s.heartbeatFailures += 1;
    fx.push(log("warn", "heartbeat-failed", { failures: s.heartbeatFailures }));
    const maxFailures = s.protocol.executorHeartbeatMaxFailures;
    if (s.heartbeatFailures >= maxFailures) {
      exitOnce(s, HEARTBEAT_FAILURE_EXIT_CODE, `Unable to send heartbeats to driver more than ${maxFailures} times`, fx);
      return;
    }
  }
  s.heartbeatAwaitingResponse = true;
  fx.push(send(s.driverAddress, { type: "ExecutorHeartbeat", executorId: s.executorId }));
  fx.push(setTimer(TIMER_HEARTBEAT, s.protocol.executorHeartbeatIntervalMs));
}

export function onHeartbeatResponse(s: ExecutorBackendState, m: HeartbeatResponse, fx: Effect[]): void {
  if (!s.heartbeatAwaitingResponse) {
    // Spark drops a reply that comes after its ask timed out.
    fx.push(ignored("no-pending-heartbeat"));
    return;
  }
  s.heartbeatAwaitingResponse = false;
  s.heartbeatFailures = 0;
  // No block manager in flint: a request to re-register it is only noted.
  if (m.reregisterBlockManager) fx.push(log("info", "told-to-reregister-block-manager"));
}
