/**
 * M9 `limits-held` (flint's named limits, STYLE.md rule 9): the master never holds more than
 * `maxWorkers` registered workers, `maxApplications` active apps or `maxDrivers` active drivers,
 * and refuses a registration for a limit only when that limit is reached, answering the one who
 * asked: a worker gets RegisterWorkerFailed (it exits, as on any refusal), a driver ApplicationRemoved
 * (its app is over), a submission client SubmitDriverResponse with success false. A refusal that
 * did not reach the asker leaves it waiting for ever; one it reads as a success makes it wait for
 * a driver that does not exist. Judged on the steps of those three registrations: O(1) each (the
 * counts are the master's own index sizes).
 */
import type { MasterStepView } from "./master.js";

export const M9 = "M9:limits-held";

/** M9 for one master step. */
export function checkLimitsHeld(v: MasterStepView): void {
  const input = v.input;
  if (input === null || input.type !== "message") return;
  const m = input.message;
  if (m.type !== "RegisterWorker" && m.type !== "RegisterApplication" && m.type !== "RequestSubmitDriver") return;
  const s = v.s;
  const [what, count, limit] =
    m.type === "RegisterWorker"
      ? (["maxWorkers", Object.keys(s.addressToWorker).length, s.config.maxWorkers] as const)
      : m.type === "RegisterApplication"
        ? (["maxApplications", Object.keys(s.apps).length, s.config.maxApplications] as const)
        : (["maxDrivers", Object.keys(s.drivers).length, s.config.maxDrivers] as const);
  if (count > limit) v.report(M9, `${v.name} holds ${count} (${what} is ${limit}) after a ${m.type}`, [input.from]);
  let refused = false;
  let answered = false;
  for (const e of v.effects) {
    if (e.type === "log" && e.event === "limitReached" && e.fields["limit"] === what) refused = true;
    else if (e.type === "send") {
      const out = e.message;
      if (m.type === "RegisterWorker" && out.type === "RegisterWorkerFailed" && e.to === m.workerAddress) answered = true;
      else if (m.type === "RegisterApplication" && out.type === "ApplicationRemoved" && e.to === m.driverAddress) answered = true;
      else if (m.type === "RequestSubmitDriver" && out.type === "SubmitDriverResponse" && e.to === input.from) answered = !out.success;
    }
  }
  if (!refused) return;
  if (count < limit) v.report(M9, `${v.name} refused a ${m.type} for ${what} (${limit}) while it holds ${count}`, [input.from]);
  if (!answered) v.report(M9, `${v.name} refused a ${m.type} for ${what} without telling the asker it was refused`, [input.from]);
}
