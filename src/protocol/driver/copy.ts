/**
 * Fresh copies of user data (payloads, results, the app description) so that no effect ever holds
 * an object of the state (an immer draft would be a revoked proxy once `produce` returns).
 */

/** A deep copy of plain JSON-like data; primitives are returned as they are. */
export function copyData<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copyData(value[i]);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = copyData((value as Record<string, unknown>)[key]);
  return out as T;
}
