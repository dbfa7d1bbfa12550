/**
 * Who may send which message. An authenticated connection proves only that a peer holds the
 * cluster's secret; it does not make every peer a master. So each role acts on a message only
 * when it comes from the peer with the authority to send it: a worker launches code and deletes
 * directories only for its active master, an executor runs tasks only for its driver, a master
 * takes a worker's report only from that worker, a driver takes a task's result only from the
 * executor that ran it.
 *
 * Each role keeps its table (message type -> who may send it) in its own `authority.ts` and checks
 * it once, at the top of its message dispatch, so the simulator and the fuzzer exercise it like any
 * other branch. A refused message is ignored with a `log` effect naming a stable reason
 * (`why: "not-from-active-master"`, ...), never thrown.
 *
 * `from` is the sender's address as the host reports it: the node's name in the simulator; on the
 * real transport, the address this node dialed for a connection it opened, or the address the
 * peer announced in its authenticated handshake for one it accepted. The tables compare it with
 * addresses the role already holds (its configured masters, its active master and the address it
 * reached that master by, the address a worker, an application or an executor registered with);
 * the refusals name the addresses they expected.
 */
import type { Address } from "./ids.js";
import { ignored, type Effect } from "./io.js";
import type { Message, MessageType } from "./messages.js";

/** The stable reasons of a refusal; each is reached by a unit test of the role that gives it. */
export type RefusalReason =
  /** The message names its sender's address (RegisterWorker.workerAddress, ...), and `from` differs. */
  | "sender-address-mismatch"
  /** Only one of the role's configured masters may send it. */
  | "not-from-known-master"
  /** Only the master the worker follows now may send it. */
  | "not-from-active-master"
  /** Only the driver that launched the executor may send it. */
  | "not-from-driver"
  /** Master: only the worker the message names (at the address it registered) may send it. */
  | "not-from-worker"
  /** Master: only the driver of the application the message names may send it. */
  | "not-from-app-driver"
  /** Driver: only the executor the message names (at the address it registered) may send it. */
  | "not-from-executor";

/** Why a message was refused, and whom the role would have accepted it from. */
export interface Refusal {
  why: RefusalReason;
  expected: readonly Address[];
}

export const refusal = (why: RefusalReason, expected: Address | readonly Address[] | null | undefined): Refusal => ({
  why,
  expected: expected === null || expected === undefined ? [] : typeof expected === "string" ? [expected] : expected.slice(),
});

/** The `log` effect of a refused message (STYLE.md rule 7). */
export const refused = (r: Refusal, from: Address, type: MessageType): Effect =>
  ignored(r.why, { type, from, expected: r.expected.slice() });

type AddressFieldOf<M> = { [K in keyof M]-?: M[K] extends Address ? K : never }[keyof M];

/**
 * Messages that carry their sender's own address, and the field that holds it. The receiver
 * answers or follows that address (the master replies to RegisterWorker.workerAddress, a worker
 * follows MasterChanged.masterAddress), so it must be the address the message came from: a peer
 * may not speak in another's name, nor point a role at a third party.
 *
 * Not RegisteredWorker nor RegisteredApplication: their masterAddress may differ from the
 * configured address the answer came through (SPARK-20529: a master reached through a proxy), and
 * the configured address vouches for it; the roles then follow that master.
 */
const SENDER_ADDRESS_FIELD: { [T in MessageType]?: AddressFieldOf<Extract<Message, { type: T }>> } = {
  RegisterWorker: "workerAddress",
  Heartbeat: "workerAddress",
  MasterChanged: "masterAddress",
  RegisterApplication: "driverAddress",
  RegisterExecutor: "executorAddress",
};

/** The refusal of a message whose own sender-address field is not `from`, or null. Roles apply it
 * to the messages they handle only (an unexpected message stays `unexpected-message`). */
export function senderAddressRefusal(from: Address, m: Message): Refusal | null {
  const field = SENDER_ADDRESS_FIELD[m.type];
  if (field === undefined) return null;
  const named = (m as unknown as Record<string, Address>)[field];
  return named === from ? null : refusal("sender-address-mismatch", named);
}
