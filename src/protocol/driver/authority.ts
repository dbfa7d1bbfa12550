/**
 * Who may send the driver its messages (see ../authority.ts):
 *  - the master's messages about the application (its registration, executors granted and lost,
 *    its removal, a new leader) from a master the driver knows: one of its configured masters, or
 *    the master it follows (which a configured address named in RegisteredApplication). Any of
 *    them, not only the one it follows: a new leader's messages may overtake its MasterChanged, and
 *    Spark's AppClient takes them from every master;
 *  - an executor's registration from anyone naming its own address (the sender-address rule);
 *    afterwards, what speaks for a registered executor (LaunchedExecutor, StatusUpdate,
 *    RemoveExecutor, its heartbeat) only from the address it registered. A message naming an
 *    executor the driver does not know passes: its handler treats it as unknown, as before (a
 *    StatusUpdate then still has to name the executor its task runs on: see taskScheduler.ts).
 */
import { assertNever } from "../assert.js";
import { refusal, senderAddressRefusal, type Refusal } from "../authority.js";
import type { Address } from "../ids.js";
import type { Message, MessageType } from "../messages.js";
import type { DriverRoleState } from "./state.js";

type DriverSender = "known-master" | "anyone" | "named-executor";

/** Messages the driver handles, and who may send each; any other message is unexpected anyway. */
export const DRIVER_SENDERS: { readonly [T in MessageType]?: DriverSender } = {
  RegisteredApplication: "known-master",
  ApplicationRemoved: "known-master",
  ExecutorAdded: "known-master",
  ExecutorUpdated: "known-master",
  WorkerRemoved: "known-master",
  MasterChanged: "known-master",
  RequestExecutorsResponse: "known-master",
  KillExecutorsResponse: "known-master",
  RegisterExecutor: "anyone",
  LaunchedExecutor: "named-executor",
  StatusUpdate: "named-executor",
  RemoveExecutor: "named-executor",
  ExecutorHeartbeat: "named-executor",
};

/** Why the driver refuses `m` from `from`, or null when `from` may send it. */
export function driverRefusal(s: DriverRoleState, from: Address, m: Message): Refusal | null {
  const sender = DRIVER_SENDERS[m.type];
  if (sender === undefined) return null;
  const named = senderAddressRefusal(from, m);
  if (named !== null) return named;
  switch (sender) {
    case "anyone":
      return null;
    case "known-master":
      return s.masterAddresses.includes(from) || from === s.appClient.master ? null : refusal("not-from-known-master", s.masterAddresses);
    case "named-executor": {
      if (m.type !== "LaunchedExecutor" && m.type !== "StatusUpdate" && m.type !== "RemoveExecutor" && m.type !== "ExecutorHeartbeat")
        return null;
      const exec = s.backend.executors[m.executorId];
      return exec === undefined || exec.address === from ? null : refusal("not-from-executor", exec.address);
    }
    default:
      return assertNever(sender, "driver sender");
  }
}
