/**
 * Who may send the executor its messages (see ../authority.ts): only the driver it was launched
 * for (its configured driverAddress) may register it, give it tasks, kill them, stop it and
 * answer its heartbeats. The worker that launched it speaks to it only by killing its process.
 */
import { assertNever } from "../assert.js";
import { refusal, type Refusal } from "../authority.js";
import type { Address } from "../ids.js";
import type { Message, MessageType } from "../messages.js";
import type { ExecutorBackendState } from "./state.js";

type ExecutorSender = "driver";

/** Messages the executor handles, and who may send each; any other message is unexpected anyway. */
export const EXECUTOR_SENDERS: { readonly [T in MessageType]?: ExecutorSender } = {
  RegisteredExecutor: "driver",
  RegisterExecutorFailed: "driver",
  LaunchTask: "driver",
  KillTask: "driver",
  StopExecutor: "driver",
  HeartbeatResponse: "driver",
};

/** Why the executor refuses `m` from `from`, or null when `from` may send it. */
export function executorRefusal(s: ExecutorBackendState, from: Address, m: Message): Refusal | null {
  const sender = EXECUTOR_SENDERS[m.type];
  switch (sender) {
    case undefined:
      return null;
    case "driver":
      return from === s.driverAddress ? null : refusal("not-from-driver", s.driverAddress);
    default:
      return assertNever(sender, "executor sender");
  }
}
