/** The submission client's state (Spark's `Client` of cluster deploy mode), as plain data. */
import type { ProtocolConfig } from "../config.js";
import type { Address, DriverId } from "../ids.js";
import type { DriverDescription } from "../messages.js";

/** Where one submission stands with one master. */
export type MasterAnswer =
  /** Asked; no answer yet. Never asked again: the master may have created the driver already. */
  | "asked"
  /** Answered that it is not ALIVE (a standby, or a leader still recovering): asked again after submitRetryIntervalMs. */
  | "not-alive"
  /** Its connection broke (or could not be opened) before it answered: never asked again. */
  | "lost";

export interface Submission {
  /** The submission's number on this client, in command order; names its timers. */
  n: number;
  desc: DriverDescription;
  phase: "asking" | "submitted" | "failed";
  masters: Record<string, MasterAnswer>;
  /** Set once a retry timer is pending, so that several standby answers set it once. */
  retryPending: boolean;
  driverId?: DriverId;
  /** Why it failed, or the accepting master's message. */
  message?: string;
}

export interface SubmissionClientState {
  /** Every configured master, in order. */
  masters: Address[];
  config: ProtocolConfig;
  /** Every submission, by number. Bounded by MAX_SUBMISSIONS: a host submits one, a simulation a few. */
  submissions: Submission[];
  /**
   * Per master, the numbers of the submissions it was asked and has not answered, oldest first: a
   * master answers asks in order over one connection (the host contract's FIFO), and its answer
   * does not name the submission, so the oldest unanswered one is the one answered.
   */
  awaiting: Record<string, number[]>;
}

export const MAX_SUBMISSIONS = 10_000;
export const SUBMIT_RETRY_PREFIX = "submitRetry:";
export const SUBMIT_DEADLINE_PREFIX = "submitDeadline:";
export const submitRetryTimer = (n: number): string => `${SUBMIT_RETRY_PREFIX}${n}`;
export const submitDeadlineTimer = (n: number): string => `${SUBMIT_DEADLINE_PREFIX}${n}`;
