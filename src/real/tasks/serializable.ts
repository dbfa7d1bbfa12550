/**
 * Task inputs and results travel as JSON, which changes some values silently: a function or a
 * symbol vanishes (or becomes null in an array), NaN and Infinity become null, a Map becomes {},
 * a Date a string, a class instance a plain object, and a BigInt or a cycle throws. Instead of
 * that, `notSerializable` names the first value that would not arrive as it was sent, by its path
 * (`inputs[0].when: a Date is not serializable`), so the driver can refuse it at `ctx.run` and an
 * executor can fail the task (Spark's NotSerializableException).
 *
 * What travels: null, booleans, strings, finite numbers (-0 arrives as 0), arrays without holes
 * and plain objects (prototype Object.prototype or null) of these. A property whose value is
 * undefined is left out, as JSON does: reading it gives undefined on both sides.
 *
 * The walk is the check for plain data: one pass with a typeof per value, no allocation unless a
 * value is refused (then the path is built on the way out).
 */

/** Why `value` cannot travel unchanged, prefixed with the path of the bad part (`root` for the value itself); undefined when it can. */
export function notSerializable(value: unknown, root: string): string | undefined {
  // A no-op task's number or string: no walk, no allocation.
  if (value === null || typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value)))
    return undefined;
  const ancestors: object[] = [];
  const bad = check(value, ancestors);
  if (bad === undefined) return undefined;
  return `${root}${bad.path.reverse().join("")}: ${bad.what}`;
}

interface Refusal {
  /** Path steps from the bad value up to the root (reversed at the end). */
  path: string[];
  what: string;
}

function check(value: unknown, ancestors: object[]): Refusal | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : { path: [], what: `${String(value)} is not serializable` };
    case "undefined":
      return { path: [], what: "undefined is not serializable" };
    case "bigint":
      return { path: [], what: "a BigInt is not serializable" };
    case "symbol":
      return { path: [], what: "a symbol is not serializable" };
    case "function":
      return { path: [], what: "a function is not serializable" };
    case "object":
      if (value === null) return undefined;
      return checkObject(value, ancestors);
  }
}

function checkObject(value: object, ancestors: object[]): Refusal | undefined {
  if (ancestors.includes(value)) return { path: [], what: "a circular reference is not serializable" };
  ancestors.push(value);
  let bad: Refusal | undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && bad === undefined; i++) {
      const item: unknown = value[i];
      // Plain items need no call.
      if (typeof item === "string" || typeof item === "boolean" || (typeof item === "number" && Number.isFinite(item)) || item === null)
        continue;
      bad = item === undefined && !(i in value) ? { path: [], what: "an empty array slot is not serializable" } : check(item, ancestors);
      bad?.path.push(`[${i}]`);
    }
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      bad = { path: [], what: `${describeInstance(value)} is not serializable` };
    } else {
      for (const key in value) {
        const item: unknown = (value as Record<string, unknown>)[key];
        if (
          typeof item === "string" ||
          typeof item === "boolean" ||
          (typeof item === "number" && Number.isFinite(item)) ||
          item === null ||
          item === undefined
        )
          continue;
        bad = check(item, ancestors);
        if (bad !== undefined) {
          bad.path.push(/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);
          break;
        }
      }
    }
  }
  ancestors.pop();
  return bad;
}

/** "a Map", "an Error", "an instance of Point". */
function describeInstance(value: object): string {
  const name = (value.constructor as { name?: unknown } | undefined)?.name;
  if (typeof name !== "string" || name === "") return "an object with a prototype";
  const builtin = (globalThis as Record<string, unknown>)[name] === value.constructor;
  const article = /^[AEIO]/.test(name) ? "an" : "a";
  return builtin ? `${article} ${name}` : `an instance of ${name}`;
}
