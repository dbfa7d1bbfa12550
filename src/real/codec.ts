/**
 * The wire codec for `Message`: UTF-8 JSON, one message per frame. Decoding trusts nothing: it
 * checks that the payload is a JSON object whose `type` is one of MESSAGE_TYPES and whose fields
 * are exactly those the message's schema declares (src/protocol/messages.ts, the one definition of
 * the wire format), and reports what was wrong as a value. A missing, mistyped or unknown extra
 * field is refused: the schema is the type the reducers see, and nothing else gets through.
 * Ids (appId, driverId, workerId, executorId) must match ID_PATTERN where they enter: a worker makes
 * directories named after them, so one like `../../x` must never get past the codec.
 *
 * Each message's schema is compiled once (TypeBox's TypeCompiler, which builds a check function
 * with `new Function`: that is why it lives here and not in src/protocol). A frame that passes the
 * compiled check costs nothing more; one that fails is explained by `explain` (codec-explain.ts),
 * which names the message type and the field path. JSON was measured before choosing it
 * (bench/codec.js; numbers in the report of issue 5).
 */
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import { MESSAGE_SCHEMAS, type Message } from "../protocol/messages.js";
import { fieldPathOf, ID_PATTERN, type TObject } from "../protocol/schema.js";
import { describeValue, explain } from "./codec-explain.js";

export { ID_PATTERN };

export type CodecError =
  | { kind: "malformed-json"; detail: string }
  | { kind: "not-an-object"; got: string }
  | { kind: "missing-type" }
  | { kind: "unknown-type"; type: string }
  | { kind: "bad-field"; type: string; field: string; expected: string; got: string }
  | { kind: "unknown-field"; type: string; field: string; known: readonly string[] };

export function describeCodecError(error: CodecError): string {
  switch (error.kind) {
    case "malformed-json":
      return `malformed JSON: ${error.detail}`;
    case "not-an-object":
      return `payload is ${error.got}, not a JSON object`;
    case "missing-type":
      return "message has no string 'type'";
    case "unknown-type":
      return `unknown message type ${JSON.stringify(error.type.slice(0, 64))}`;
    case "bad-field":
      return `${error.type}.${error.field}: expected ${error.expected}, got ${error.got}`;
    case "unknown-field":
      return `${error.type}.${error.field}: unknown field (the fields are ${error.known.length === 0 ? "none" : error.known.join(", ")})`;
  }
}

export type DecodeMessageResult = { ok: true; message: Message } | { ok: false; error: CodecError };

/** Whether `text` is a valid id (ID_PATTERN). */
export function isValidId(text: unknown): text is string {
  return typeof text === "string" && ID_PATTERN.test(text);
}

interface CompiledMessage {
  schema: TObject;
  check: TypeCheck<TObject>;
}

/**
 * A validator for messages of these schemas (one per type): the codec's is made from MESSAGE_SCHEMAS;
 * tests make one from an altered copy to show that the schema alone decides what passes.
 */
export function createMessageValidator(schemas: { readonly [type: string]: TObject }): (value: unknown) => DecodeMessageResult {
  // A Map, so that a type like `__proto__` finds nothing.
  const compiled = new Map<string, CompiledMessage>(
    Object.entries(schemas).map(([type, schema]) => [type, { schema, check: TypeCompiler.Compile(schema) }]),
  );
  return (value) => {
    if (typeof value !== "object" || value === null || Array.isArray(value))
      return { ok: false, error: { kind: "not-an-object", got: describeValue(value) } };
    const type = (value as Record<string, unknown>)["type"];
    if (typeof type !== "string") return { ok: false, error: { kind: "missing-type" } };
    const message = compiled.get(type);
    if (message === undefined) return { ok: false, error: { kind: "unknown-type", type } };
    if (message.check.Check(value)) return { ok: true, message: value as Message };
    return { ok: false, error: problemOf(type, message, value) };
  };
}

/** Checks an already parsed value against its message's schema. */
export const validateMessage: (value: unknown) => DecodeMessageResult = createMessageValidator(MESSAGE_SCHEMAS);

// ---- Encode / decode -------------------------------------------------------------------------

export function encodeMessage(message: Message): Buffer {
  return Buffer.from(JSON.stringify(message), "utf8");
}

export function decodeMessage(payload: Uint8Array): DecodeMessageResult {
  return decodeMessageText(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString("utf8"));
}

/** `decodeMessage` of the payload's text (the transport keeps the text for the flight recorder). */
export function decodeMessageText(text: string): DecodeMessageResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: { kind: "malformed-json", detail: (err as Error).message.slice(0, 200) } };
  }
  return validateMessage(value);
}

/** Why `value` failed its compiled check, naming the field path. */
function problemOf(type: string, compiled: CompiledMessage, value: unknown): CodecError {
  const problem = explain(value, compiled.schema);
  if (problem?.kind === "unknown-field") return { kind: "unknown-field", type, field: problem.field, known: problem.known };
  if (problem !== undefined) return { kind: "bad-field", type, field: problem.field, expected: problem.expected, got: problem.got };
  // The explainer found nothing the compiled check did: report the compiler's own first error.
  const first = compiled.check.Errors(value).First();
  return {
    kind: "bad-field",
    type,
    field: first === undefined ? "" : fieldPathOf(first.path),
    expected: first === undefined ? "a valid message" : first.message.toLowerCase(),
    got: describeValue(first?.value),
  };
}
