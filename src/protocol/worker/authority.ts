/**
 * Who may send the worker its messages (see ../authority.ts). Spark's worker trusts any peer;
 * flint's acts only for its masters:
 *  - a master it knows may register it (RegisteredWorker, RegisterWorkerFailed, MasterInStandby),
 *    answer its executor reports, and take it over: MasterChanged comes from a new leader, which
 *    the worker has not followed yet, so any master of its list may send it (as in Spark), naming
 *    itself (the sender-address rule). A master it knows is one of its configured addresses, or
 *    the master it follows now (which a configured address named in RegisteredWorker, SPARK-20529);
 *  - only the master it follows now (masterAddress, set by RegisteredWorker or MasterChanged) may
 *    order it around: launch or kill executors and drivers, delete an application's directories,
 *    make it re-register. A stale master's order is refused as well as a stranger's.
 */
import { assertNever } from "../assert.js";
import { refusal, senderAddressRefusal, type Refusal } from "../authority.js";
import type { Address } from "../ids.js";
import type { Message, MessageType } from "../messages.js";
import type { WorkerState } from "./state.js";

type WorkerSender = "known-master" | "active-master";

/** Messages the worker handles, and who may send each; any other message is unexpected anyway. */
export const WORKER_SENDERS: { readonly [T in MessageType]?: WorkerSender } = {
  RegisteredWorker: "known-master",
  RegisterWorkerFailed: "known-master",
  MasterInStandby: "known-master",
  MasterChanged: "known-master",
  ExecutorStateChangedResponse: "known-master",
  ReconnectWorker: "active-master",
  LaunchExecutor: "active-master",
  KillExecutor: "active-master",
  LaunchDriver: "active-master",
  KillDriver: "active-master",
  ApplicationFinished: "active-master",
};

/** Why the worker refuses `m` from `from`, or null when `from` may send it. */
export function workerRefusal(s: WorkerState, from: Address, m: Message): Refusal | null {
  const sender = WORKER_SENDERS[m.type];
  if (sender === undefined) return null;
  const named = senderAddressRefusal(from, m);
  if (named !== null) return named;
  switch (sender) {
    case "known-master":
      return s.masterAddresses.includes(from) || from === s.masterAddress ? null : refusal("not-from-known-master", s.masterAddresses);
    case "active-master":
      return from === s.masterAddress || (from === s.masterSender && s.masterAddress !== null)
        ? null
        : refusal("not-from-active-master", s.masterAddress);
    default:
      return assertNever(sender, "worker sender");
  }
}
