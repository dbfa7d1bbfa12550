/**
 * Registration with the driver (docs/protocol.md §1.6 onStart, RegisteredExecutor,
 * RegisterExecutorFailed). flint's driver answers the RegisterExecutor ask with a message of its
 * own; Spark's ask timeout (120 s) becomes the "registration" timer, and its failure exits with 1
 * without telling the driver, as Spark's onStart does.
 */
import { nextFloat } from "../random.js";
import { cancelTimer, ignored, send, setTimer, type Effect } from "../io.js";
import type { RegisterExecutorFailed } from "../messages.js";
import { exitOnce } from "./lifecycle.js";
import { TIMER_HEARTBEAT, TIMER_REGISTRATION, type ExecutorBackendState } from "./state.js";

export function startRegistration(s: ExecutorBackendState, fx: Effect[]): void {
  s.registering = true;
  fx.push(
    send(s.driverAddress, {
      type: "RegisterExecutor",
      executorId: s.executorId,
      executorAddress: s.address,
      hostname: s.hostname,
      cores: s.cores,
    }),
  );
  fx.push(setTimer(TIMER_REGISTRATION, s.protocol.askTimeoutMs));
}

function stopRegistrationTimer(s: ExecutorBackendState, fx: Effect[]): void {
  if (!s.registering) return;
  s.registering = false;
  fx.push(cancelTimer(TIMER_REGISTRATION));
}

export function onRegisteredExecutor(s: ExecutorBackendState, fx: Effect[]): void {
  if (s.constructed) {
    fx.push(ignored("already-constructed"));
    return;
  }
  stopRegistrationTimer(s, fx);
  s.constructed = true;
  fx.push(send(s.driverAddress, { type: "LaunchedExecutor", executorId: s.executorId }));
  // Spark's Heartbeater: the first beat after interval + U[0, interval), then every interval.
  const intervalMs = s.protocol.executorHeartbeatIntervalMs;
  fx.push(setTimer(TIMER_HEARTBEAT, intervalMs + Math.floor(nextFloat(s.random) * intervalMs)));
}

export function onRegisterExecutorFailed(s: ExecutorBackendState, m: RegisterExecutorFailed, fx: Effect[]): void {
  stopRegistrationTimer(s, fx);
  // Spark 3.x: a failed RegisterExecutor ask exits without RemoveExecutor (the driver refused us).
  exitOnce(s, 1, `Executor registration failed: ${m.message}`, fx);
}

export function onRegistrationTimer(s: ExecutorBackendState, fx: Effect[]): void {
  if (!s.registering) {
    fx.push(ignored("stale-timer", { key: TIMER_REGISTRATION }));
    return;
  }
  s.registering = false;
  exitOnce(s, 1, `Cannot register with driver: ${s.driverAddress}`, fx);
}
