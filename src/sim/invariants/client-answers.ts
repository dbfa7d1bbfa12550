/**
 * Q1-Q3: a master's answers to the requests a user or a driver makes of it tell the truth about
 * its books (docs/protocol.md §1.2 "Handlers": RequestDriverStatus, RequestKillDriver,
 * RequestExecutors, KillExecutors). Judged on the step that handles the request, from the master's
 * state after it (none of these requests changes the master's phase, and only a kill of a waiting
 * driver changes its drivers, which the step logs), so the cost is O(effects) per request and
 * nothing on any other step.
 *
 * - Q1 `driver-status-told-truly`: exactly one DriverStatusResponse goes back to the asker. A
 *   master that is not ALIVE finds nothing and says why; an ALIVE one finds the driver exactly
 *   when it holds it (active or completed), and then tells its state, worker, worker's host:port
 *   and exception as its books have them.
 * - Q2 `driver-kill-answered-and-done`: exactly one KillDriverResponse goes back, for the driver
 *   asked about. A master that is not ALIVE refuses. An ALIVE one succeeds exactly when it held the
 *   driver; a waiting driver is removed at once, KILLED (it is not left queued, and a placed one is
 *   never removed here: its worker kills it and reports); a placed driver's worker is sent
 *   KillDriver.
 * - Q3 `executor-request-acknowledged-iff-app-known`: RequestExecutors and KillExecutors are
 *   answered once, to the asker, acknowledged exactly when the master knows the app; an
 *   acknowledged RequestExecutors sets the app's executor limit to the total asked (floored at 0),
 *   and an acknowledged KillExecutors leaves none of the named executors in the app.
 * - Q5 `unregistered-app-finished`: an UnregisterApplication for an app the master holds finishes
 *   it in that step (removed FINISHED); one for an app it does not hold changes nothing.
 */
import type { Effect } from "../../protocol/index.js";
import type { Message } from "../../protocol/messages.js";
import type { MasterStepView } from "./master.js";

export const Q1 = "Q1:driver-status-told-truly";
export const Q2 = "Q2:driver-kill-answered-and-done";
export const Q3 = "Q3:executor-request-acknowledged-iff-app-known";
export const Q5 = "Q5:unregistered-app-finished";

type Send = Extract<Effect, { type: "send" }>;

/** The sends of this step of type `type`. */
function sendsOf<T extends Message["type"]>(effects: readonly Effect[], type: T): Array<Send & { message: Extract<Message, { type: T }> }> {
  const out: Array<Send & { message: Extract<Message, { type: T }> }> = [];
  for (const e of effects)
    if (e.type === "send" && e.message.type === type) out.push(e as Send & { message: Extract<Message, { type: T }> });
  return out;
}

/** The one answer of `type` to `asker`, or a report naming what was sent instead. */
function oneAnswer<T extends Message["type"]>(
  v: MasterStepView,
  check: string,
  type: T,
  asker: string,
): (Send & { message: Extract<Message, { type: T }> }) | null {
  const answers = sendsOf(v.effects, type);
  if (answers.length === 1 && answers[0]!.to === asker) return answers[0]!;
  v.report(
    check,
    `${v.name} answered a request from ${asker} with ${answers.length} ${type} (to ${answers.map((a) => a.to).join(", ") || "nobody"}), not one to the asker`,
    [asker],
  );
  return null;
}

/** Whether the master refused the step's message by its authority tables (authority.ts): then it answers nothing, rightly. */
function refusedBySender(effects: readonly Effect[]): boolean {
  for (const e of effects) {
    if (e.type !== "log" || e.event !== "ignored") continue;
    const why = String(e.fields["why"]);
    if (why === "sender-address-mismatch" || why.startsWith("not-from-")) return true;
  }
  return false;
}

export function checkClientAnswers(v: MasterStepView): void {
  const input = v.input;
  if (input === null || input.type !== "message") return;
  const type = input.message.type;
  if (
    type !== "RequestDriverStatus" &&
    type !== "RequestKillDriver" &&
    type !== "RequestExecutors" &&
    type !== "KillExecutors" &&
    type !== "UnregisterApplication"
  )
    return;
  if (refusedBySender(v.effects)) return;
  switch (input.message.type) {
    case "RequestDriverStatus":
      return checkDriverStatus(v, input.from, input.message.driverId);
    case "RequestKillDriver":
      return checkKillDriver(v, input.from, input.message.driverId);
    case "RequestExecutors":
    case "KillExecutors":
      return checkExecutorRequest(v, input.from, input.message);
    case "UnregisterApplication":
      return checkUnregistered(v, input.from, input.message.appId);
    default:
      return;
  }
}

function checkDriverStatus(v: MasterStepView, asker: string, driverId: string): void {
  const answer = oneAnswer(v, Q1, "DriverStatusResponse", asker);
  if (answer === null) return;
  const a = answer.message;
  const s = v.s;
  if (s.recoveryState !== "ALIVE") {
    if (a.found || a.exception === undefined)
      v.report(Q1, `${v.name} (${s.recoveryState}) answered the status of ${driverId} with found=${a.found} and no reason it cannot tell`, [
        asker,
      ]);
    return;
  }
  const held = s.drivers[driverId] ?? s.completedDrivers.find((d) => d.id === driverId);
  if (held === undefined) {
    if (a.found) v.report(Q1, `${v.name} says it found driver ${driverId} (${a.state}), which it does not hold`, [asker]);
    return;
  }
  const worker = held.workerId === undefined ? undefined : s.workers[held.workerId];
  const hostPort = worker === undefined ? undefined : `${worker.host}:${worker.port}`;
  if (!a.found || a.state !== held.state || a.workerId !== held.workerId || a.workerHostPort !== hostPort || a.exception !== held.exception)
    v.report(
      Q1,
      `${v.name} answered the status of driver ${driverId} with found=${a.found} ${a.state}@${a.workerId ?? "-"} (${a.workerHostPort ?? "-"}, ${a.exception ?? "no exception"}), but holds it ${held.state}@${held.workerId ?? "-"} (${hostPort ?? "-"}, ${held.exception ?? "no exception"})`,
      [asker],
    );
}

function checkKillDriver(v: MasterStepView, asker: string, driverId: string): void {
  const answer = oneAnswer(v, Q2, "KillDriverResponse", asker);
  if (answer === null) return;
  const a = answer.message;
  const s = v.s;
  if (a.driverId !== driverId) v.report(Q2, `${v.name} answered a kill of driver ${driverId} about driver ${a.driverId}`, [asker]);
  if (s.recoveryState !== "ALIVE") {
    if (a.success) v.report(Q2, `${v.name} (${s.recoveryState}) says it will kill driver ${driverId}`, [asker]);
    return;
  }
  const removedNow = v.effects.some((e) => e.type === "log" && e.event === "driverRemoved" && e.fields["driverId"] === driverId);
  const active = s.drivers[driverId];
  const heldBefore = active !== undefined || removedNow;
  if (a.success !== heldBefore) {
    v.report(
      Q2,
      `${v.name} answered a kill of driver ${driverId} with success=${a.success}, but it ${heldBefore ? "held" : "did not hold"} that driver`,
      [asker],
    );
    return;
  }
  if (removedNow) {
    const done = s.completedDrivers[s.completedDrivers.length - 1];
    if (
      done === undefined ||
      done.id !== driverId ||
      done.state !== "KILLED" ||
      done.workerId !== undefined ||
      s.waitingDrivers.includes(driverId as never)
    )
      v.report(
        Q2,
        `${v.name} removed driver ${driverId} on a kill request, but not as a waiting driver ends: ${done === undefined ? "nothing completed" : `completed ${done.id} ${done.state} on ${done.workerId ?? "no worker"}`}`,
        [asker],
      );
    return;
  }
  if (active === undefined) return;
  if (s.waitingDrivers.includes(active.id)) {
    v.report(
      Q2,
      `${v.name} answered a kill of waiting driver ${driverId} but left it queued (a waiting driver is removed KILLED at once)`,
      [asker],
    );
    return;
  }
  const worker = active.workerId === undefined ? undefined : s.workers[active.workerId];
  if (worker === undefined) return;
  const told = sendsOf(v.effects, "KillDriver").some((e) => e.to === worker.address && e.message.driverId === driverId);
  if (!told)
    v.report(Q2, `${v.name} answered a kill of driver ${driverId}, placed on ${worker.id}, without telling that worker to kill it`, [
      asker,
      worker.address,
    ]);
}

function checkExecutorRequest(
  v: MasterStepView,
  asker: string,
  msg: Extract<Message, { type: "RequestExecutors" | "KillExecutors" }>,
): void {
  const type = msg.type === "RequestExecutors" ? "RequestExecutorsResponse" : "KillExecutorsResponse";
  const answer = oneAnswer(v, Q3, type, asker);
  if (answer === null) return;
  const app = v.s.apps[msg.appId];
  if (answer.message.appId !== msg.appId || answer.message.acknowledged !== (app !== undefined)) {
    v.report(
      Q3,
      `${v.name} answered ${msg.type} for app ${msg.appId} with ${type}(${answer.message.appId}, acknowledged=${answer.message.acknowledged}), but it ${app === undefined ? "does not know" : "knows"} that app`,
      [asker],
    );
    return;
  }
  if (app === undefined) return;
  if (msg.type === "RequestExecutors") {
    const want = Math.max(0, Math.floor(msg.requestedTotal));
    if (app.executorLimit !== want)
      v.report(
        Q3,
        `${v.name} acknowledged a request of ${msg.requestedTotal} executors for app ${app.id} but set its limit to ${app.executorLimit}`,
        [asker],
      );
    return;
  }
  for (const raw of msg.executorIds) {
    if (app.executors[raw] !== undefined)
      v.report(Q3, `${v.name} acknowledged the kill of executor ${raw} of app ${app.id} but keeps it (${app.executors[raw]!.state})`, [
        asker,
      ]);
  }
}

function checkUnregistered(v: MasterStepView, asker: string, appId: string): void {
  const held = v.s.apps[appId];
  if (held !== undefined) {
    v.report(Q5, `${v.name} still holds app ${appId} (${held.state}) after its driver unregistered it`, [asker]);
    return;
  }
  const removed = v.effects.find((e) => e.type === "log" && e.event === "applicationRemoved" && e.fields["appId"] === appId);
  if (removed !== undefined && removed.type === "log" && removed.fields["state"] !== "FINISHED")
    v.report(Q5, `${v.name} ended app ${appId} ${String(removed.fields["state"])} when its driver unregistered it (FINISHED is its end)`, [
      asker,
    ]);
}
