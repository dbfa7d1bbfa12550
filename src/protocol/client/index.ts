/**
 * The SUBMISSION CLIENT role (docs/protocol.md §1, Spark's `Client` of cluster deploy mode): asks
 * every configured master to run a driver (`RequestSubmitDriver`) and takes the first accepted
 * answer, which only the leader gives. Hosted by the simulator (src/sim/client.ts) and by
 * `flint submit --deploy-mode cluster` alike.
 *
 * One `submitDriver` command is one submission. Each master is asked once; one that answers that
 * it is not ALIVE (a standby, or a leader still recovering) is asked again every
 * submitRetryIntervalMs, since it created no driver. One that does not answer is never asked again:
 * it may have created the driver, and a second ask would run it twice. The submission ends with a
 * notification: `driverSubmitted` at the first accepted answer; `driverSubmissionFailed` when a
 * leader refuses it, when every master is lost, or when askTimeoutMs passes with no acceptance.
 */
import { assertNever } from "../assert.js";
import { refused } from "../authority.js";
import type { Address } from "../ids.js";
import { cancelTimer, ignored, log, notify, send, setTimer, type Ctx, type Effect, type Input, type Role } from "../io.js";
import type { DriverDescription, Message, SubmitDriverResponse } from "../messages.js";
import type { SubmissionClientConfig } from "../roles.js";
import { isNotAliveReply } from "../not-alive.js";
import { clientRefusal } from "./authority.js";
import {
  MAX_SUBMISSIONS,
  SUBMIT_DEADLINE_PREFIX,
  SUBMIT_RETRY_PREFIX,
  submitDeadlineTimer,
  submitRetryTimer,
  type Submission,
  type SubmissionClientState,
} from "./state.js";

export type { Submission, SubmissionClientState, MasterAnswer } from "./state.js";
export { SUBMIT_DEADLINE_PREFIX, SUBMIT_RETRY_PREFIX, MAX_SUBMISSIONS } from "./state.js";

function init(config: SubmissionClientConfig, _ctx: Ctx): { state: SubmissionClientState; effects: Effect[] } {
  const awaiting: Record<string, number[]> = {};
  for (const m of config.masterAddresses) awaiting[m] = [];
  return {
    state: {
      masters: [...config.masterAddresses],
      config: { ...config.protocol, bugs: [...config.protocol.bugs] },
      submissions: [],
      awaiting,
    },
    effects: [],
  };
}

function step(s: SubmissionClientState, input: Input, _ctx: Ctx): Effect[] {
  const fx: Effect[] = [];
  switch (input.type) {
    case "command":
      if (input.command.kind === "submitDriver") submit(s, input.command.desc, fx);
      else fx.push(ignored("unexpected-command", { kind: input.command.kind }));
      break;
    case "message": {
      const r = clientRefusal(s, input.from, input.message);
      if (r !== null) fx.push(refused(r, input.from, input.message.type));
      else onMessage(s, input.from, input.message, fx);
      break;
    }
    case "timer":
      onTimer(s, input.key, fx);
      break;
    case "peerDisconnected":
      onMasterLost(s, input.peer, fx);
      break;
    case "processLaunched":
    case "processLaunchFailed":
    case "processExited":
    case "taskFinished":
    case "leaderElected":
    case "leadershipRevoked":
      fx.push(ignored("unexpected-input", { type: input.type }));
      break;
    default:
      assertNever(input, "input");
  }
  return fx;
}

function submit(s: SubmissionClientState, desc: DriverDescription, fx: Effect[]): void {
  if (s.submissions.length >= MAX_SUBMISSIONS) {
    fx.push(ignored("too-many-submissions", { limit: MAX_SUBMISSIONS }));
    fx.push(notify({ kind: "driverSubmissionFailed", submission: -1, reason: `more than ${MAX_SUBMISSIONS} submissions from one client` }));
    return;
  }
  const sub: Submission = { n: s.submissions.length, desc, phase: "asking", masters: {}, retryPending: false };
  s.submissions.push(sub);
  for (const m of s.masters) ask(s, sub, m, fx);
  fx.push(setTimer(submitDeadlineTimer(sub.n), s.config.askTimeoutMs));
  if (s.masters.length === 0) fail(sub, "no master is configured", fx);
}

function ask(s: SubmissionClientState, sub: Submission, master: Address, fx: Effect[]): void {
  sub.masters[master] = "asked";
  s.awaiting[master]!.push(sub.n);
  fx.push(send(master, { type: "RequestSubmitDriver", desc: { ...sub.desc, command: { ...sub.desc.command } } }));
}

function onMessage(s: SubmissionClientState, from: Address, msg: Message, fx: Effect[]): void {
  if (msg.type !== "SubmitDriverResponse") {
    fx.push(ignored("unexpected-message", { type: msg.type, from }));
    return;
  }
  const n = s.awaiting[from]!.shift();
  const sub = n === undefined ? undefined : s.submissions[n];
  if (sub === undefined) {
    fx.push(ignored("unasked-submit-response", { from }));
    return;
  }
  onAnswer(s, sub, from, msg, fx);
}

function onAnswer(s: SubmissionClientState, sub: Submission, from: Address, msg: SubmitDriverResponse, fx: Effect[]): void {
  if (sub.phase !== "asking") {
    // A second leader (no fencing) may accept too; the first acceptance stands, as in Spark.
    fx.push(ignored("submission-already-settled", { submission: sub.n, from, success: msg.success, phase: sub.phase }));
    return;
  }
  if (msg.success && msg.driverId !== undefined) {
    sub.phase = "submitted";
    sub.driverId = msg.driverId;
    sub.message = msg.message;
    sub.masters[from] = "asked";
    fx.push(cancelTimer(submitRetryTimer(sub.n)), cancelTimer(submitDeadlineTimer(sub.n)));
    fx.push(notify({ kind: "driverSubmitted", submission: sub.n, driverId: msg.driverId, master: from, message: msg.message }));
    return;
  }
  if (isNotAliveReply(msg.message)) {
    sub.masters[from] = "not-alive";
    if (!sub.retryPending) {
      sub.retryPending = true;
      fx.push(setTimer(submitRetryTimer(sub.n), s.config.submitRetryIntervalMs));
    }
    return;
  }
  fail(sub, `the master ${from} refused the driver: ${msg.message}`, fx);
}

function onTimer(s: SubmissionClientState, key: string, fx: Effect[]): void {
  const retry = key.startsWith(SUBMIT_RETRY_PREFIX);
  const prefix = retry ? SUBMIT_RETRY_PREFIX : SUBMIT_DEADLINE_PREFIX;
  const sub = key.startsWith(prefix) ? s.submissions[Number(key.slice(prefix.length))] : undefined;
  if (sub === undefined) {
    fx.push(ignored("unknown-timer", { key }));
    return;
  }
  if (sub.phase !== "asking") {
    fx.push(ignored("submission-already-settled", { submission: sub.n, key }));
    return;
  }
  if (!retry) {
    fail(sub, `no master accepted the driver within ${s.config.askTimeoutMs} ms`, fx);
    return;
  }
  sub.retryPending = false;
  for (const m of s.masters) if (sub.masters[m] === "not-alive") ask(s, sub, m, fx);
}

/** A master's connection broke: what it was asked and has not answered is lost with it (Spark's lostMasters). */
function onMasterLost(s: SubmissionClientState, peer: Address, fx: Effect[]): void {
  const pending = s.awaiting[peer];
  if (pending === undefined) {
    fx.push(ignored("not-a-master", { peer }));
    return;
  }
  s.awaiting[peer] = [];
  for (const n of pending) {
    const sub = s.submissions[n]!;
    if (sub.phase !== "asking") continue;
    sub.masters[peer] = "lost";
    if (s.masters.every((m) => sub.masters[m] === "lost")) fail(sub, "no master is available", fx);
  }
}

function fail(sub: Submission, reason: string, fx: Effect[]): void {
  sub.phase = "failed";
  sub.message = reason;
  fx.push(cancelTimer(submitRetryTimer(sub.n)), cancelTimer(submitDeadlineTimer(sub.n)));
  fx.push(log("warn", "driverSubmissionFailed", { submission: sub.n, reason }));
  fx.push(notify({ kind: "driverSubmissionFailed", submission: sub.n, reason }));
}

export const submissionClient: Role<SubmissionClientState, SubmissionClientConfig> = { name: "client", init, step };
