/**
 * The master's answer to a request only a leader serves (submit, kill or ask about a driver) while
 * it is not ALIVE, and how a client tells it apart from a real refusal: Spark's
 * `Utils.responseFromBackup`, which matches the same prefix. Both sides import this one module.
 */
import type { RecoveryState } from "./states.js";

const NOT_ALIVE_PREFIX = "Current state is not alive";

export const notAliveReply = (state: RecoveryState, what: string): string =>
  `${NOT_ALIVE_PREFIX}: ${state}. Can only ${what} in ALIVE state.`;

/** True when a master's refusal only says it does not lead (yet): ask again, or wait for the leader. */
export const isNotAliveReply = (message: string | undefined): boolean => message?.startsWith(NOT_ALIVE_PREFIX) === true;
