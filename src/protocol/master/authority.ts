/**
 * Who may send the master its messages (see ../authority.ts). Anyone may register a worker or an
 * application (naming its own address: the sender-address rule) and use the submission API, as in
 * Spark. But a message that speaks for a registered worker or application must come from it:
 *  - a worker's heartbeat and state reports from the address that worker registered;
 *  - an executor's state change from the worker the executor runs on, a driver's from the worker
 *    that runs the driver (a stale report of a worker that lost the driver no longer removes it);
 *  - an application's acknowledgement, unregistration and executor requests from its driver.
 * A message naming a worker, executor, driver or application the master does not know passes:
 * its handler answers it as an unknown one, as before.
 */
import { assertNever } from "../assert.js";
import { hasBug } from "../config.js";
import { refusal, senderAddressRefusal, type Refusal } from "../authority.js";
import type { Address, AppId } from "../ids.js";
import type { Message, MessageType } from "../messages.js";
import type { MasterState } from "./state.js";

type MasterSender = "anyone" | "named-worker" | "executor-worker" | "driver-worker" | "app-driver";

/** Messages the master handles, and who may send each; any other message is unexpected anyway. */
export const MASTER_SENDERS: { readonly [T in MessageType]?: MasterSender } = {
  RegisterWorker: "anyone",
  RegisterApplication: "anyone",
  RequestSubmitDriver: "anyone",
  RequestKillDriver: "anyone",
  RequestDriverStatus: "anyone",
  Heartbeat: "named-worker",
  WorkerLatestState: "named-worker",
  WorkerSchedulerStateResponse: "named-worker",
  ExecutorStateChanged: "executor-worker",
  DriverStateChanged: "driver-worker",
  MasterChangeAcknowledged: "app-driver",
  UnregisterApplication: "app-driver",
  RequestExecutors: "app-driver",
  KillExecutors: "app-driver",
};

/** Why the master refuses `m` from `from`, or null when `from` may send it. */
export function masterRefusal(s: MasterState, from: Address, m: Message): Refusal | null {
  const sender = MASTER_SENDERS[m.type];
  if (sender === undefined) return null;
  const named = senderAddressRefusal(from, m);
  if (named !== null) return named;
  switch (sender) {
    case "anyone":
      return null;
    case "named-worker":
      if (m.type !== "Heartbeat" && m.type !== "WorkerLatestState" && m.type !== "WorkerSchedulerStateResponse") return null;
      return fromWorker(from, s.workers[m.workerId]?.address);
    case "executor-worker": {
      if (m.type !== "ExecutorStateChanged") return null;
      const exec = s.apps[m.appId]?.executors[String(m.execId)];
      return exec === undefined ? null : fromWorker(from, s.workers[exec.workerId]?.address ?? null);
    }
    case "driver-worker": {
      // SPARK-19900 [< 2.2]: a relaunched driver kept its id, and Spark took a late report of the
      // worker that had lost it, removing the new run. The museum keeps that trust.
      if (m.type !== "DriverStateChanged" || hasBug(s.config, "SPARK-19900")) return null;
      const d = s.drivers[m.driverId];
      if (d === undefined) return null;
      return fromWorker(from, d.workerId === undefined ? null : (s.workers[d.workerId]?.address ?? null));
    }
    case "app-driver":
      if (
        m.type !== "MasterChangeAcknowledged" &&
        m.type !== "UnregisterApplication" &&
        m.type !== "RequestExecutors" &&
        m.type !== "KillExecutors"
      )
        return null;
      return fromAppDriver(s, from, m.appId);
    default:
      return assertNever(sender, "master sender");
  }
}

/** `expected`: the worker's registered address; undefined when the worker is unknown (passes),
 * null when the thing reported has no worker the master knows (no one may report it). */
function fromWorker(from: Address, expected: Address | null | undefined): Refusal | null {
  if (expected === undefined || expected === from) return null;
  return refusal("not-from-worker", expected);
}

function fromAppDriver(s: MasterState, from: Address, appId: AppId): Refusal | null {
  const app = s.apps[appId];
  if (app === undefined || app.driverAddress === from) return null;
  return refusal("not-from-app-driver", app.driverAddress);
}
