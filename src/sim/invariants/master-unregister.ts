/**
 * M8 `unregistered-app-removed` (docs/protocol.md §1.4): an app whose own driver sends
 * UnregisterApplication is removed in that step, as FINISHED: it leaves the master's apps (its
 * executors are killed, its cores freed for others) and is kept among the completed apps. Every
 * master phase handles the message (a standby knows no app, so there is nothing to remove); an app
 * the master knows is never answered as an unknown one. Judged on the step of the message, only
 * when its sender is the driver the app registered from (the authority rule lets no one else
 * unregister it). O(1) per UnregisterApplication, O(completed apps) when it broke.
 */
import type { MasterStepView } from "./master.js";

export const M8 = "M8:unregistered-app-removed";

/** M8 for one master step. */
export function checkUnregisteredAppRemoved(v: MasterStepView): void {
  const input = v.input;
  if (input === null || input.type !== "message" || input.message.type !== "UnregisterApplication") return;
  const appId = input.message.appId;
  const app = v.s.apps[appId];
  if (app !== undefined) {
    if (app.driverAddress === input.from)
      v.report(M8, `${v.name} keeps app ${appId} (${app.state}) after its driver unregistered it`, [input.from]);
    return;
  }
  for (const e of v.effects) {
    if (e.type === "log" && e.event === "applicationRemoved" && e.fields["appId"] === appId && e.fields["state"] !== "FINISHED")
      v.report(M8, `${v.name} removed app ${appId} as ${String(e.fields["state"])} when its driver unregistered it, not FINISHED`, [
        input.from,
      ]);
  }
}
