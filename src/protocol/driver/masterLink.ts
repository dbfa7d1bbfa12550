/** Sending to the active master on behalf of the backend (StandaloneAppClient's sendToMaster / asks). */
import { log, send } from "../io.js";
import type { AppId } from "../ids.js";
import type { Message } from "../messages.js";
import type { DriverStep } from "./state.js";

/**
 * Sends to the active master; with no master yet (not registered, or disconnected before any
 * MasterChanged) it only logs, as Spark's "Attempted to ... before registering with Master".
 */
export function sendToMaster(d: DriverStep, build: (appId: AppId) => Message, what: string): boolean {
  const { master, appId } = d.s.appClient;
  if (master === null || appId === null) {
    d.fx.push(log("warn", "noMasterYet", { what }));
    return false;
  }
  d.fx.push(send(master, build(appId)));
  return true;
}
