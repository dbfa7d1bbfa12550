/**
 * Q4 `master-limits-kept`: the master's named limits on what outside input can make it hold
 * (maxWorkers, maxApplications, maxDrivers; STYLE.md rule 9) are kept and answered. A
 * registration or submission it accepts never takes it above the limit; one it refuses for the
 * limit is refused only at the limit, and the asker is told (the worker RegisterWorkerFailed, the
 * driver ApplicationRemoved, the submission client an unsuccessful SubmitDriverResponse). Judged on
 * the steps that handle RegisterWorker, RegisterApplication and RequestSubmitDriver, from the
 * state after them (a refusal adds nothing), O(held) on those steps only.
 */
import type { Effect } from "../../protocol/index.js";
import type { MasterStepView } from "./master.js";

export const Q4 = "Q4:master-limits-kept";

/** The limit a `limitReached` log of this step names, or null. */
function limitReached(effects: readonly Effect[]): string | null {
  for (const e of effects) if (e.type === "log" && e.event === "limitReached") return String(e.fields["limit"]);
  return null;
}

/** Whether this step logged `event` (a registration it accepted). */
const logged = (effects: readonly Effect[], event: string): boolean => effects.some((e) => e.type === "log" && e.event === event);

function countKeys(o: object): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}

export function checkMasterLimits(v: MasterStepView): void {
  const input = v.input;
  if (input === null || input.type !== "message") return;
  const msg = input.message;
  const c = v.s.config;
  let limit: "maxWorkers" | "maxApplications" | "maxDrivers";
  let held: number;
  let asker: string;
  let told: boolean;
  let accepted: boolean;
  switch (msg.type) {
    case "RegisterWorker":
      limit = "maxWorkers";
      held = countKeys(v.s.addressToWorker);
      asker = msg.workerAddress;
      told = v.effects.some((e) => e.type === "send" && e.to === asker && e.message.type === "RegisterWorkerFailed");
      accepted = logged(v.effects, "workerRegistered");
      break;
    case "RegisterApplication":
      limit = "maxApplications";
      held = countKeys(v.s.apps);
      asker = msg.driverAddress;
      told = v.effects.some((e) => e.type === "send" && e.to === asker && e.message.type === "ApplicationRemoved");
      accepted = logged(v.effects, "applicationRegistered");
      break;
    case "RequestSubmitDriver":
      limit = "maxDrivers";
      held = countKeys(v.s.drivers);
      asker = input.from;
      told = v.effects.some((e) => e.type === "send" && e.to === asker && e.message.type === "SubmitDriverResponse" && !e.message.success);
      accepted = logged(v.effects, "driverSubmitted");
      break;
    default:
      return;
  }
  const max = c[limit];
  const refused = limitReached(v.effects);
  if (refused !== null && refused !== limit) {
    v.report(Q4, `${v.name} refused a ${msg.type} for the limit ${refused}, which does not bound it (${limit} does)`, [asker]);
    return;
  }
  if (refused === null) {
    if (accepted && held > max) v.report(Q4, `${v.name} accepted a ${msg.type} and now holds ${held}, above ${limit} (${max})`, [asker]);
    return;
  }
  if (held < max) v.report(Q4, `${v.name} refused a ${msg.type} for ${limit} (${max}) while holding only ${held}`, [asker]);
  if (!told) v.report(Q4, `${v.name} refused a ${msg.type} for ${limit} (${max}) without telling ${asker}`, [asker]);
}
