/**
 * The schema alone decides the wire format: every message the schema allows round-trips through
 * the codec, and a field taken out of a message's schema is taken out of what the codec accepts
 * (at run time) and out of the TypeScript type (at compile time: the `@ts-expect-error` lines below
 * stop compiling if the field comes back).
 */
import { Type } from "@sinclair/typebox";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { workerId } from "../../src/protocol/ids.js";
import { Heartbeat, MESSAGE_SCHEMAS, MESSAGE_TYPES, type MessageType } from "../../src/protocol/messages.js";
import type { Static } from "../../src/protocol/schema.js";
import { createMessageValidator, decodeMessage, describeCodecError, encodeMessage, validateMessage } from "../../src/real/codec.js";
import { explain } from "../../src/real/codec-explain.js";
import { SAMPLE_MESSAGES } from "./fixtures.js";
import { arbitraryOf } from "./schema-arbitrary.js";

/** MESSAGE_SCHEMAS with one field taken out of one message's schema (a clone: the real table stays as it is). */
function withoutField(type: MessageType, field: string) {
  const schema = MESSAGE_SCHEMAS[type];
  const { [field]: _gone, ...properties } = schema.properties;
  return { ...MESSAGE_SCHEMAS, [type]: Type.Object(properties, { additionalProperties: false }) };
}

describe("codec: the schema is the wire format", () => {
  it("codec: a field taken out of a message's schema is refused where it was required, and accepted missing", () => {
    const trimmed = createMessageValidator(withoutField("Heartbeat", "workerAddress"));
    const full = SAMPLE_MESSAGES.Heartbeat;
    const { workerAddress: _address, ...lacking } = full as { workerAddress: string };
    // The real schema: the full message passes, the one lacking the field does not.
    expect(validateMessage(full).ok).toBe(true);
    const refused = validateMessage(lacking);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(describeCodecError(refused.error)).toBe("Heartbeat.workerAddress: expected a string, got nothing");
    // The trimmed schema: the other way round.
    expect(trimmed(lacking).ok).toBe(true);
    const extra = trimmed(full);
    expect(extra).toEqual({
      ok: false,
      error: { kind: "unknown-field", type: "Heartbeat", field: "workerAddress", known: ["type", "workerId"] },
    });
  });

  it("codec: taking out each field of each message's schema changes what the codec accepts", () => {
    for (const type of MESSAGE_TYPES) {
      for (const field of Object.keys(MESSAGE_SCHEMAS[type].properties).filter((f) => f !== "type")) {
        const sample = SAMPLE_MESSAGES[type] as unknown as Record<string, unknown>;
        if (sample[field] === undefined) continue;
        expect(createMessageValidator(withoutField(type, field))(sample).ok, `${type}.${field}`).toBe(false);
      }
    }
  });

  it("codec: a field taken out of a schema is gone from its TypeScript type (compile-time check)", () => {
    const Trimmed = Type.Omit(Heartbeat, ["workerAddress"]);
    const message: Static<typeof Trimmed> = { type: "Heartbeat", workerId: workerId("w-1") };
    // @ts-expect-error -- workerAddress left the schema, so it left the type
    const address: string = message.workerAddress;
    expect(address).toBeUndefined();
    // @ts-expect-error -- and the full message type still requires it
    const lacking: Static<typeof Heartbeat> = { type: "Heartbeat", workerId: message.workerId };
    expect(validateMessage(lacking).ok).toBe(false);
  });

  for (const type of MESSAGE_TYPES) {
    it(`codec: any ${type} the schema allows round-trips through the codec`, () => {
      fc.assert(
        fc.property(arbitraryOf(MESSAGE_SCHEMAS[type]), (message) => {
          const decoded = decodeMessage(encodeMessage(message as never));
          expect(decoded).toEqual({ ok: true, message });
        }),
        { numRuns: 40 },
      );
    });
  }

  it("codec: the explainer finds a problem exactly when the compiled check refuses (one field of a valid message changed)", () => {
    const types = fc.constantFrom(...MESSAGE_TYPES);
    const oddValue = fc.oneof(
      fc.constant(null),
      fc.constant("x/../y"),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant([]),
      fc.constant({}),
      fc.constant("RUNNING"),
    );
    fc.assert(
      fc.property(
        types.chain((type) =>
          fc.tuple(fc.constant(type), arbitraryOf(MESSAGE_SCHEMAS[type]), fc.string({ maxLength: 12 }), oddValue, fc.nat()),
        ),
        ([type, valid, extraField, odd, pick]) => {
          const message = { ...(valid as Record<string, unknown>) };
          const fields = Object.keys(message).filter((f) => f !== "type");
          if (fields.length > 0 && pick % 3 !== 0) message[fields[pick % fields.length]!] = odd;
          else message[extraField] = odd;
          const accepted = validateMessage(message).ok;
          expect(explain(message, MESSAGE_SCHEMAS[type]) === undefined, JSON.stringify(message)).toBe(accepted);
        },
      ),
      { numRuns: 500 },
    );
  });
});
