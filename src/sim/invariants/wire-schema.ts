/**
 * N3 `messages-match-wire-schema`: every message a role sends in a simulated run is one the real
 * codec would accept: its type is declared and its fields are exactly those its schema gives
 * (src/protocol/messages.ts, the one definition of the wire format), each of its declared type,
 * ids matching ID_PATTERN. The simulator hands messages over as objects, so without this a message
 * that lost a field, carried one of the wrong type or an extra one would pass every simulated run
 * and be refused only on a real socket (where the receiver drops the connection). A violation
 * names the message type and the field path.
 *
 * The schemas are compiled once, with TypeBox's compiler, as the real codec (src/real/codec.ts,
 * which the simulator must not import) compiles them; a message that passes costs one compiled
 * check, and only a failing one is explained.
 */
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import type { Effect } from "../../protocol/index.js";
import { MESSAGE_SCHEMAS } from "../../protocol/messages.js";
import { fieldPathOf, type TObject } from "../../protocol/schema.js";

export const N3 = "N3:messages-match-wire-schema";

/** Each message type's compiled check, in a Map so that a type like `__proto__` finds nothing. */
const CHECKS: ReadonlyMap<string, TypeCheck<TObject>> = new Map(
  Object.entries(MESSAGE_SCHEMAS).map(([type, schema]) => [type, TypeCompiler.Compile(schema as TObject)]),
);

/** A field path as the codec writes it, or the message itself for an empty pointer. */
function fieldPath(pointer: string): string {
  return fieldPathOf(pointer) || "(the message)";
}

/** What the real codec would refuse in one step's sends (a sentence), or null. Allocates nothing when all is well. */
export function offWireSchema(effects: readonly Effect[]): string | null {
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type !== "send") continue;
    const m = e.message as unknown;
    const type = typeof m === "object" && m !== null ? (m as { type?: unknown }).type : undefined;
    const check = typeof type === "string" ? CHECKS.get(type) : undefined;
    if (check === undefined) return `a message to ${e.to} has no declared type (${JSON.stringify(type) ?? "none"})`;
    if (check.Check(m)) continue;
    const first = check.Errors(m).First();
    if (first === undefined) return `${type} to ${e.to} does not match its schema`;
    const got = first.value === undefined ? "nothing" : JSON.stringify(first.value)?.slice(0, 80);
    return `${type} to ${e.to}: ${fieldPath(first.path)}: ${first.message.toLowerCase()} (got ${got})`;
  }
  return null;
}
