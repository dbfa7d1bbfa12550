/**
 * The building blocks of the wire format's one definition (messages.ts, states.ts): TypeBox
 * schemas, which are plain JSON Schema data. From them come the TypeScript types (`Static`), the
 * codec's validation (src/real/codec.ts compiles them: the compiler uses `new Function`, so it
 * stays out of src/protocol) and docs/messages.md (messages-doc.ts).
 */
import {
  Type,
  type SchemaOptions,
  type Static,
  type TLiteral,
  type TObject,
  type TProperties,
  type TSchema,
  type TUnion,
  type TUnsafe,
} from "@sinclair/typebox";

export type { Static, TObject, TSchema };

/**
 * What an id may look like: a letter or digit, then letters, digits, `.`, `_`, `:` or `-`, at most
 * 200 characters in all. No `/`, no `\`, never `.` or `..`: safe as one path component. (Ids flint
 * makes: `app-<stamp>-0000`, `driver-<stamp>-0000`, `worker-<stamp>-<host>-<port>`, `0`.) A worker
 * makes directories named after ids, so one like `../../x` must never get past the codec.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

/** A string union of `values`, one literal each: a state enumeration. `title` names it in the document. */
export function oneOf<const T extends readonly [string, ...string[]]>(
  title: string,
  values: T,
  options: SchemaOptions = {},
): TUnion<{ -readonly [K in keyof T]: TLiteral<T[K]> }> {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    { title, ...options },
  ) as unknown as TUnion<{ -readonly [K in keyof T]: TLiteral<T[K]> }>;
}

/** An id (ID_PATTERN) whose TypeScript type is the branded `T`; `title` names the brand in the document. */
export const id = <T extends string>(title: string, options: SchemaOptions = {}): TUnsafe<T> =>
  Type.Unsafe<T>(Type.String({ pattern: ID_PATTERN.source, title, ...options }));

/** A string whose TypeScript type is the branded `T` (an address), not checked beyond being a string. */
export const brandedString = <T extends string>(title: string, options: SchemaOptions = {}): TUnsafe<T> =>
  Type.Unsafe<T>(Type.String({ title, ...options }));

/** An integer JSON represents exactly (a safe integer). */
export const integer = (options: SchemaOptions = {}) =>
  Type.Integer({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER, ...options });

/** A finite number (the compiled check refuses NaN and the infinities). */
export const finite = (options: SchemaOptions = {}) => Type.Number(options);

/** An object of exactly these fields: an unknown extra field is refused. */
export const exact = <P extends TProperties>(title: string | undefined, properties: P, options: SchemaOptions = {}): TObject<P> =>
  Type.Object(properties, { ...(title === undefined ? {} : { title }), ...options, additionalProperties: false });

/** A wire message: `type` is its discriminant, the other fields exactly `properties`. */
export function message<const N extends string, P extends TProperties>(
  type: N,
  properties: P,
  description?: string,
): TObject<{ type: TLiteral<N> } & P> {
  return Type.Object({ type: Type.Literal(type), ...properties } as { type: TLiteral<N> } & P, {
    title: type,
    ...(description === undefined ? {} : { description }),
    additionalProperties: false,
  });
}

/** A JSON pointer from a schema check (`/executors/0/state`) as flint's errors name a field (`executors[0].state`). */
export function fieldPathOf(pointer: string): string {
  return pointer
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path === "" ? part : `${path}.${part}`), "");
}
