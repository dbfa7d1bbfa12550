/**
 * A small descriptor language for JSON file formats, from which both a validator and a JSON Schema
 * are generated, so that the scenario format (scenario.ts) is defined once: the checks `flint sim`
 * runs when a file loads and the schema an editor completes and checks with can never disagree.
 *
 * The validator returns the value with defaults filled in, and throws a FormatError naming the
 * path of the first bad field and what was wrong with it. Checks that need more than one field
 * (a node pattern against the cluster, a job id against the jobs) are the caller's, after this.
 */

export class FormatError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = "FormatError";
  }
}

/** A closed set of strings (with patterns for the open-ended rest), e.g. every input selector. */
export interface Choices {
  values: readonly string[];
  /** Regular expressions (anchored) a string may match instead of being one of `values`. */
  patterns?: readonly string[];
  /** What the strings are, for error messages ("input selector"). */
  what: string;
}

export type Desc =
  | { t: "int"; min?: number; max?: number }
  | { t: "number"; min?: number; max?: number }
  | { t: "string"; choices?: Choices; pattern?: string }
  | { t: "bool" }
  | { t: "const"; value: string }
  | { t: "array"; of: Desc; minItems?: number; maxItems?: number }
  /** `[min, max]`: two integers with 0 <= min <= max. */
  | { t: "range" }
  | ObjectDesc
  /** An object with free keys, each holding an `of`. */
  | { t: "map"; of: Desc }
  /** Objects told apart by a string field (`tag`), each variant with its own fields. */
  | UnionDesc
  /** The first alternative whose JSON type fits (e.g. a number or the string "workerGiveUp"). */
  | { t: "either"; of: readonly Desc[]; what: string }
  /** Any JSON object: its contents are checked elsewhere (a protocol message). */
  | { t: "anyObject" }
  /** Any JSON value (a message field's expected value). */
  | { t: "json" };

export interface Field {
  d: Desc;
  required?: boolean;
  /** Filled in when the field is missing (and written into the schema as `default`). */
  default?: unknown;
  doc?: string;
}

export interface ObjectDesc {
  t: "object";
  fields: Record<string, Field>;
  doc?: string;
}

export interface UnionDesc {
  t: "union";
  tag: string;
  /** What the objects are, for messages: `not a field of a "crash" fault`. */
  what: string;
  /** Fields every variant has besides the tag. */
  common: Record<string, Field>;
  variants: Record<string, { fields: Record<string, Field>; doc?: string; hints?: Record<string, string> }>;
}

// ---- Validation -------------------------------------------------------------------------------

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function describeValue(v: unknown): string {
  return Array.isArray(v) ? "an array" : v === null ? "null" : isObject(v) ? "an object" : v === undefined ? "nothing" : JSON.stringify(v);
}

/** Edit distance, for "did you mean" (small inputs only). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The closest of `candidates` to `s`, when close enough to be a likely typo. */
export function closest(s: string, candidates: Iterable<string>): string | null {
  let best: string | null = null;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = distance(s, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(s.length / 4)) ? best : null;
}

const didYouMean = (s: string, candidates: Iterable<string>): string => {
  const c = closest(s, candidates);
  return c === null ? "" : ` (did you mean ${JSON.stringify(c)}?)`;
};

const child = (path: string, key: string): string => (path === "" ? key : `${path}.${key}`);

export function matchesChoices(s: string, c: Choices): boolean {
  return c.values.includes(s) || (c.patterns ?? []).some((p) => new RegExp(p).test(s));
}

/** Checks `v` against `d`; returns it with defaults filled in (fresh objects and arrays). */
export function validate(d: Desc, v: unknown, path: string): unknown {
  const fail = (problem: string): never => {
    throw new FormatError(path, problem);
  };
  switch (d.t) {
    case "int":
    case "number": {
      if (typeof v !== "number" || !Number.isFinite(v)) return fail(`must be a number (got ${describeValue(v)})`);
      if (d.t === "int" && !Number.isInteger(v)) return fail(`must be an integer (got ${v})`);
      if (d.min !== undefined && v < d.min) return fail(`must be at least ${d.min} (got ${v})`);
      if (d.max !== undefined && v > d.max) return fail(`must be at most ${d.max} (got ${v})`);
      return v;
    }
    case "string": {
      if (typeof v !== "string" || v.length === 0) return fail(`must be a non-empty string (got ${describeValue(v)})`);
      if (d.pattern !== undefined && !new RegExp(d.pattern).test(v)) return fail(`must match ${d.pattern} (got ${JSON.stringify(v)})`);
      if (d.choices !== undefined && !matchesChoices(v, d.choices)) {
        const c = d.choices;
        const listed = c.values.length <= 12 ? ` (expected one of: ${c.values.map((x) => JSON.stringify(x)).join(", ")})` : "";
        return fail(`unknown ${c.what} ${JSON.stringify(v)}${didYouMean(v, c.values) || listed}`);
      }
      return v;
    }
    case "bool":
      return typeof v === "boolean" ? v : fail(`must be true or false (got ${describeValue(v)})`);
    case "const":
      return v === d.value ? v : fail(`must be ${JSON.stringify(d.value)} (got ${describeValue(v)})`);
    case "array": {
      if (!Array.isArray(v)) return fail(`must be an array (got ${describeValue(v)})`);
      if (d.minItems !== undefined && v.length < d.minItems)
        return fail(`must hold at least ${d.minItems} item${d.minItems === 1 ? "" : "s"}`);
      if (d.maxItems !== undefined && v.length > d.maxItems) return fail(`must hold at most ${d.maxItems} items`);
      return v.map((x, i) => validate(d.of, x, `${path}[${i}]`));
    }
    case "range": {
      if (
        !Array.isArray(v) ||
        v.length !== 2 ||
        v.some((x) => typeof x !== "number" || !Number.isInteger(x) || x < 0) ||
        (v[0] as number) > (v[1] as number)
      )
        return fail(`must be [min, max], two integers with 0 <= min <= max (got ${JSON.stringify(v)})`);
      return [v[0], v[1]];
    }
    case "object":
      if (!isObject(v)) return fail(`must be an object (got ${describeValue(v)})`);
      return validateFields(
        d.fields,
        v,
        path,
        (key) => `unknown field (expected one of: ${Object.keys(d.fields).join(", ")})${didYouMean(key, Object.keys(d.fields))}`,
      );
    case "map": {
      if (!isObject(v)) return fail(`must be an object (got ${describeValue(v)})`);
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = validate(d.of, x, child(path, k));
      return out;
    }
    case "union": {
      if (!isObject(v)) return fail(`must be an object (got ${describeValue(v)})`);
      const tags = Object.keys(d.variants);
      const tag = v[d.tag];
      if (typeof tag !== "string" || !Object.hasOwn(d.variants, tag)) {
        const problem =
          tag === undefined
            ? "is required"
            : `must be one of ${tags.map((x) => JSON.stringify(x)).join(", ")} (got ${describeValue(tag)})${typeof tag === "string" ? didYouMean(tag, tags) : ""}`;
        throw new FormatError(child(path, d.tag), problem);
      }
      const variant = d.variants[tag]!;
      const fields = { ...d.common, [d.tag]: { d: { t: "const", value: tag }, required: true } as Field, ...variant.fields };
      const own = Object.keys(variant.fields);
      return validateFields(fields, v, path, (key) => {
        const hint = variant.hints?.[key] ?? closest(key, own);
        const owners = tags.filter((t) => Object.hasOwn(d.variants[t]!.fields, key));
        const elsewhere = owners.length > 0 ? `; ${key} belongs to ${owners.map((t) => JSON.stringify(t)).join(", ")}` : "";
        const list = own.length > 0 ? `; its fields: ${own.join(", ")}` : "; it has no fields of its own";
        return `not a field of a ${JSON.stringify(tag)} ${d.what}${hint !== null ? ` (did you mean ${hint}?)` : ""}${elsewhere}${list}`;
      });
    }
    case "either": {
      for (const alt of d.of) if (fitsJsonType(alt, v)) return validate(alt, v, path);
      return fail(`must be ${d.what} (got ${describeValue(v)})`);
    }
    case "anyObject":
      return isObject(v) ? structuredClone(v) : fail(`must be an object (got ${describeValue(v)})`);
    case "json":
      return v === undefined ? fail("is required") : structuredClone(v);
  }
}

function fitsJsonType(d: Desc, v: unknown): boolean {
  switch (d.t) {
    case "int":
    case "number":
      return typeof v === "number";
    case "string":
    case "const":
      return typeof v === "string";
    case "bool":
      return typeof v === "boolean";
    case "array":
    case "range":
      return Array.isArray(v);
    case "object":
    case "map":
    case "union":
    case "anyObject":
      return isObject(v);
    case "either":
      return d.of.some((x) => fitsJsonType(x, v));
    case "json":
      return true;
  }
}

function validateFields(
  fields: Record<string, Field>,
  v: Record<string, unknown>,
  path: string,
  unknown: (key: string) => string,
): Record<string, unknown> {
  for (const key of Object.keys(v)) if (!Object.hasOwn(fields, key)) throw new FormatError(child(path, key), unknown(key));
  const out: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(fields)) {
    const x = v[key];
    if (x === undefined) {
      // A default goes through the validator too, so that a defaulted object gets its own fields' defaults.
      if (f.default !== undefined) out[key] = validate(f.d, structuredClone(f.default), child(path, key));
      else if (f.required)
        throw new FormatError(child(path, key), f.d.t === "object" || f.d.t === "map" ? "must be an object (missing)" : "is required");
      continue;
    }
    out[key] = validate(f.d, x, child(path, key));
  }
  return out;
}

// ---- JSON Schema (draft-07, which editors support best) ------------------------------------

type Schema = Record<string, unknown>;

export function toJsonSchema(d: Desc): Schema {
  switch (d.t) {
    case "int":
    case "number": {
      const s: Schema = { type: d.t === "int" ? "integer" : "number" };
      if (d.min !== undefined) s["minimum"] = d.min;
      if (d.max !== undefined) s["maximum"] = d.max;
      return s;
    }
    case "string": {
      if (d.choices !== undefined) {
        const alts: Schema[] = [{ enum: [...d.choices.values] }, ...(d.choices.patterns ?? []).map((p) => ({ pattern: p }))];
        return alts.length === 1 ? { type: "string", ...alts[0] } : { type: "string", anyOf: alts };
      }
      return d.pattern !== undefined ? { type: "string", minLength: 1, pattern: d.pattern } : { type: "string", minLength: 1 };
    }
    case "bool":
      return { type: "boolean" };
    case "const":
      return { const: d.value };
    case "array": {
      const s: Schema = { type: "array", items: toJsonSchema(d.of) };
      if (d.minItems !== undefined) s["minItems"] = d.minItems;
      if (d.maxItems !== undefined) s["maxItems"] = d.maxItems;
      return s;
    }
    case "range":
      return { type: "array", items: { type: "integer", minimum: 0 }, minItems: 2, maxItems: 2, description: "[min, max]" };
    case "object":
      return withDoc(objectSchema(d.fields), d.doc);
    case "map":
      return { type: "object", additionalProperties: toJsonSchema(d.of) };
    case "union": {
      const tags = Object.keys(d.variants);
      return {
        type: "object",
        required: [d.tag],
        properties: { [d.tag]: { enum: tags } },
        allOf: tags.map((tag) => {
          const variant = d.variants[tag]!;
          const fields = { ...d.common, [d.tag]: { d: { t: "const", value: tag }, required: true } as Field, ...variant.fields };
          // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable
          return { if: { properties: { [d.tag]: { const: tag } } }, then: withDoc(objectSchema(fields), variant.doc) };
        }),
      };
    }
    case "either":
      return { anyOf: d.of.map(toJsonSchema) };
    case "anyObject":
      return { type: "object" };
    case "json":
      return {};
  }
}

function withDoc(s: Schema, doc: string | undefined): Schema {
  return doc === undefined ? s : { description: doc, ...s };
}

function objectSchema(fields: Record<string, Field>): Schema {
  const properties: Schema = {};
  const required: string[] = [];
  for (const [key, f] of Object.entries(fields)) {
    const s = toJsonSchema(f.d);
    if (f.doc !== undefined) s["description"] = f.doc;
    if (f.default !== undefined) s["default"] = f.default;
    properties[key] = s;
    if (f.required) required.push(key);
  }
  const s: Schema = { type: "object", properties, additionalProperties: false };
  if (required.length > 0) s["required"] = required;
  return s;
}
