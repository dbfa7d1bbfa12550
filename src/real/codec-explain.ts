/**
 * Why a value does not match a wire schema, in the codec's words: the field path
 * (`appDesc.memoryPerExecutorMb`, `executorIds[1]`, `data.kind`), what was expected and what came.
 * Only called for a frame the compiled check refused, so it may be slow. It walks the schema the
 * way the compiled check does: declared fields in order (a missing one names what it should have
 * been), then unknown extra fields; a union of objects sharing a literal tag (`kind`) is explained
 * by its tag, then by the variant the tag names.
 */
import { Kind, type TSchema } from "@sinclair/typebox";
import { ID_PATTERN } from "../protocol/schema.js";

export type Problem =
  | { kind: "bad-field"; field: string; expected: string; got: string }
  | { kind: "unknown-field"; field: string; known: readonly string[] };

const ID_EXPECTED = "an id (letters, digits, . _ : -, starting with a letter or digit, at most 200)";

/** The first problem of `value` against `schema`, or undefined when this walk finds none. */
export function explain(value: unknown, schema: TSchema): Problem | undefined {
  return check(value, schema, "");
}

function check(value: unknown, schema: TSchema, path: string): Problem | undefined {
  const bad = (expected: string): Problem => ({ kind: "bad-field", field: path, expected, got: describeValue(value) });
  switch (schema[Kind] as string) {
    case "Unknown":
    case "Any":
      return value === undefined ? bad("a value") : undefined;
    case "String":
      if (typeof value !== "string") return bad("a string");
      if (typeof schema["pattern"] !== "string" || new RegExp(schema["pattern"]).test(value)) return undefined;
      return bad(schema["pattern"] === ID_PATTERN.source ? ID_EXPECTED : `a string matching /${schema["pattern"]}/`);
    case "Number":
      return typeof value === "number" && Number.isFinite(value) ? undefined : bad("a finite number");
    case "Integer":
      return Number.isSafeInteger(value) ? undefined : bad("an integer");
    case "Boolean":
      return typeof value === "boolean" ? undefined : bad("a boolean");
    case "Literal":
      return value === schema["const"] ? undefined : bad(JSON.stringify(schema["const"]));
    case "Array": {
      if (!Array.isArray(value)) return bad("an array");
      for (let i = 0; i < value.length; i++) {
        const problem = check(value[i], schema["items"] as TSchema, `${path}[${i}]`);
        if (problem) return problem;
      }
      return undefined;
    }
    case "Object":
      return isPlainObject(value) ? checkObject(value, schema, path) : bad("an object");
    case "Record": {
      if (!isPlainObject(value)) return bad("an object");
      const [valueSchema] = Object.values(schema["patternProperties"] as Record<string, TSchema>);
      if (valueSchema === undefined) return undefined;
      for (const [key, item] of Object.entries(value)) {
        const problem = check(item, valueSchema, join(path, key));
        if (problem) return problem;
      }
      return undefined;
    }
    case "Union":
      return checkUnion(value, schema["anyOf"] as TSchema[], path, bad);
    default:
      return undefined;
  }
}

/** Declared fields in order (absent optional ones pass), then fields the schema does not declare. */
function checkObject(value: Record<string, unknown>, schema: TSchema, path: string): Problem | undefined {
  const properties = schema["properties"] as Record<string, TSchema>;
  const required: readonly string[] = schema["required"] ?? [];
  for (const [field, fieldSchema] of Object.entries(properties)) {
    const item = value[field];
    if (item === undefined && !required.includes(field)) continue;
    const problem = check(item, fieldSchema, join(path, field));
    if (problem) return problem;
  }
  if (schema["additionalProperties"] !== false) return undefined;
  const unknown = Object.getOwnPropertyNames(value).find((field) => !Object.hasOwn(properties, field));
  return unknown === undefined
    ? undefined
    : { kind: "unknown-field", field: join(path, shownName(unknown)), known: Object.keys(properties) };
}

/** A field name the peer chose, safe to log: as it is when it looks like one, else quoted and cut short. */
const shownName = (name: string): string => (/^[A-Za-z_$][\w$]{0,63}$/.test(name) ? name : JSON.stringify(name.slice(0, 64)));

function checkUnion(value: unknown, variants: readonly TSchema[], path: string, bad: (expected: string) => Problem): Problem | undefined {
  // A state enumeration: one of its literals.
  if (variants.every((v) => v[Kind] === "Literal")) {
    return variants.some((v) => v["const"] === value) ? undefined : bad(`one of ${variants.map((v) => String(v["const"])).join("|")}`);
  }
  // Objects told apart by a literal tag: the tag first, then the variant it names.
  const tag = tagOf(variants);
  if (tag !== undefined) {
    if (!isPlainObject(value)) return bad("an object");
    const named = value[tag];
    const variant = variants.find((v) => (v["properties"] as Record<string, TSchema>)[tag]!["const"] === named);
    if (variant === undefined) {
      const tags = variants.map((v) => String((v["properties"] as Record<string, TSchema>)[tag]!["const"]));
      return { kind: "bad-field", field: join(path, tag), expected: `one of ${tags.join("|")}`, got: describeValue(named) };
    }
    return checkObject(value, variant, path);
  }
  // Any other union: fine if one variant fits; else the first variant's problem.
  const problems = variants.map((v) => check(value, v, path));
  return problems.some((p) => p === undefined) ? undefined : problems[0];
}

/** The field every variant declares as a literal (`kind`), if there is one. */
function tagOf(variants: readonly TSchema[]): string | undefined {
  if (!variants.every((v) => v[Kind] === "Object")) return undefined;
  const first = variants[0]?.["properties"] as Record<string, TSchema> | undefined;
  if (first === undefined) return undefined;
  return Object.keys(first).find((field) =>
    variants.every((v) => (v["properties"] as Record<string, TSchema>)[field]?.[Kind] === "Literal"),
  );
}

const join = (path: string, field: string): string => (path === "" ? field : `${path}.${field}`);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A short description of a value for an error message (a long string is cut). */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value === undefined) return "nothing";
  if (typeof value === "string") return `string ${JSON.stringify(value.length > 32 ? value.slice(0, 32) + "..." : value)}`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}
