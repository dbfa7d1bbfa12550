/**
 * Every timer key a role sets, gathered from the roles' own constants: scenario selectors
 * (`"input": "timer:revive"`, `"effect": "setTimer:heartbeat"`) are validated against them, so a
 * misspelled key is an error when the file loads instead of a check that can never fail.
 * test/sim/validation-schema.test.ts runs scenarios and checks every key they set is listed here.
 */
import { APP_REGISTRATION_TIMER, APP_REREGISTRATION_TIMER, EXPIRE_DEAD_HOSTS_TIMER, REVIVE_TIMER } from "./driver/state.js";
import { TIMER_HEARTBEAT as EXECUTOR_HEARTBEAT, TIMER_REGISTRATION } from "./executor/state.js";
import { CHECK_WORKER_TIMEOUT_TIMER } from "./master/index.js";
import { COMPLETE_RECOVERY_TIMER } from "./master/recovery.js";
import { SUBMIT_DEADLINE_PREFIX, SUBMIT_RETRY_PREFIX } from "./client/state.js";
import {
  DRIVER_RELAUNCH_PREFIX,
  EXECUTOR_STATE_SYNC_PREFIX,
  TIMER_HEARTBEAT as WORKER_HEARTBEAT,
  TIMER_REREGISTER,
} from "./worker/state.js";

/** Fixed timer keys (a key several roles use is listed once). */
export const TIMER_KEYS: readonly string[] = [
  ...new Set([
    CHECK_WORKER_TIMEOUT_TIMER,
    COMPLETE_RECOVERY_TIMER,
    TIMER_REREGISTER,
    WORKER_HEARTBEAT,
    APP_REGISTRATION_TIMER,
    APP_REREGISTRATION_TIMER,
    REVIVE_TIMER,
    EXPIRE_DEAD_HOSTS_TIMER,
    TIMER_REGISTRATION,
    EXECUTOR_HEARTBEAT,
  ]),
];

/** Prefixes of per-entity timer keys (`executorStateSync:<appId>/<execId>`, `driverRelaunch:<driverId>`). */
export const TIMER_KEY_PREFIXES: readonly string[] = [
  EXECUTOR_STATE_SYNC_PREFIX,
  DRIVER_RELAUNCH_PREFIX,
  SUBMIT_RETRY_PREFIX,
  SUBMIT_DEADLINE_PREFIX,
];
