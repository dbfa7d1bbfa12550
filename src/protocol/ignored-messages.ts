/**
 * A role's ignored messages are data: each role lists the message types it never acts on
 * (`as const satisfies readonly MessageType[]`), and its dispatch switch handles the others. The
 * switch's `default` asks the list's guard, whose false branch leaves only the types neither
 * handled nor listed, which `assertNever` then proves to be none: a new message type breaks the
 * build of every role until it is handled or listed.
 */
import type { Message, MessageType } from "./messages.js";

/** A message whose type is one of `T`. */
export type MessageOfType<T extends MessageType> = Extract<Message, { type: T }>;

/** The guard of an ignore list: true for a message whose type the list holds. */
export function messageTypeGuard<T extends MessageType>(types: readonly T[]): (m: Message) => m is MessageOfType<T> {
  const listed: ReadonlySet<MessageType> = new Set(types);
  return (m): m is MessageOfType<T> => listed.has(m.type);
}
