/**
 * Who may send the submission client its messages (see ../authority.ts): only one of its
 * configured masters may answer a submission.
 */
import { assertNever } from "../assert.js";
import { refusal, type Refusal } from "../authority.js";
import type { Address } from "../ids.js";
import type { Message, MessageType } from "../messages.js";
import type { SubmissionClientState } from "./state.js";

type ClientSender = "known-master";

/** Messages the submission client handles, and who may send each; any other message is unexpected anyway. */
export const CLIENT_SENDERS: { readonly [T in MessageType]?: ClientSender } = {
  SubmitDriverResponse: "known-master",
};

/** Why the client refuses `m` from `from`, or null when `from` may send it. */
export function clientRefusal(s: SubmissionClientState, from: Address, m: Message): Refusal | null {
  const sender = CLIENT_SENDERS[m.type];
  switch (sender) {
    case undefined:
      return null;
    case "known-master":
      return s.masters.includes(from) ? null : refusal("not-from-known-master", s.masters);
    default:
      return assertNever(sender, "client sender");
  }
}
