/**
 * fast-check arbitraries drawn from a wire schema (src/protocol/messages.ts): any value they make
 * is a valid message of that schema, so a property test needs no hand-written sample per message.
 * Numbers avoid -0 (JSON writes it as 0) so that a JSON round trip gives back an equal value.
 */
import { Kind, type TSchema } from "@sinclair/typebox";
import fc from "fast-check";
import { ID_PATTERN } from "../../src/protocol/schema.js";

const jsonValue = fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const noNegativeZero = (x: number): number => (Object.is(x, -0) ? 0 : x);

export function arbitraryOf(schema: TSchema): fc.Arbitrary<unknown> {
  switch (schema[Kind] as string) {
    case "String":
      if (schema["pattern"] === ID_PATTERN.source) return fc.stringMatching(ID_PATTERN);
      if (schema["pattern"] !== undefined) throw new Error(`no arbitrary for the pattern ${schema["pattern"]}`);
      return fc.string({ maxLength: 20 });
    case "Number":
      return fc.double({ noNaN: true, noDefaultInfinity: true }).map(noNegativeZero);
    case "Integer":
      return fc.maxSafeInteger().map(noNegativeZero);
    case "Boolean":
      return fc.boolean();
    case "Literal":
      return fc.constant(schema["const"]);
    case "Unknown":
    case "Any":
      return jsonValue;
    case "Array":
      return fc.array(arbitraryOf(schema["items"] as TSchema), { maxLength: 3 });
    case "Record":
      return fc.dictionary(fc.string({ maxLength: 8 }), jsonValue, { maxKeys: 3 });
    case "Union":
      return fc.oneof(...(schema["anyOf"] as TSchema[]).map(arbitraryOf));
    case "Object": {
      const properties = schema["properties"] as Record<string, TSchema>;
      const required: string[] = schema["required"] ?? [];
      const shape = Object.fromEntries(Object.entries(properties).map(([field, s]) => [field, arbitraryOf(s)]));
      return fc.record(shape, { requiredKeys: required });
    }
    default:
      throw new Error(`no arbitrary for schema kind ${String(schema[Kind])}`);
  }
}
